"""The synthetic network profile: trusts, sites, procedures, calendar and capacity settings.

Everything the simulation needs to know about the network that is not random lives here:
volumes and modality mix per trust, how strained each trust's scanners and reporters are,
the appointment-book session templates, and the calendar (weekday, seasonal and bank-holiday
factors). Reference data (sites, procedures, bank holidays) is read from the seed files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.contract import MODALITIES

# The synthetic trusts' own feed specs (one per trust of TRUST_ORDER); onboarded trusts' specs
# live in ingest/feeds/ and never reach the generator.
SYNTHETIC_FEEDS_DIR = Path(__file__).parent / "feeds"

# Fixed order of the trusts: random streams are spawned in this order, so a trust's data does
# not depend on which other trusts are simulated.
TRUST_ORDER: tuple[str, ...] = (
    "RRK", "RQ3", "RRJ", "RXK", "RNA", "RBK", "RL4", "RKB",
    "RLT", "RJC", "RWP", "RLQ", "RXW", "RL1", "RJE",
)  # fmt: skip

# Network modality mix (DOMAIN.md), percent.
BASE_MIX: dict[str, float] = {
    "XR": 45.0, "US": 22.0, "CT": 14.0, "MR": 9.0, "FL": 2.5,
    "NM": 1.5, "PET": 0.6, "MG": 2.4, "DEXA": 1.5, "IR": 1.5,
}  # fmt: skip
ORTHO_MIX: dict[str, float] = {
    "XR": 55.0, "US": 7.0, "CT": 8.0, "MR": 25.0, "FL": 2.0,
    "NM": 0.5, "PET": 0.0, "MG": 0.0, "DEXA": 1.5, "IR": 1.0,
}  # fmt: skip
CHILDREN_MIX: dict[str, float] = {
    "XR": 49.0, "US": 36.0, "CT": 5.0, "MR": 6.0, "FL": 2.5,
    "NM": 1.0, "PET": 0.0, "MG": 0.0, "DEXA": 0.0, "IR": 0.5,
}  # fmt: skip

# Share of a modality's unscheduled work that comes from the ED (the rest is inpatients).
ED_SHARE_OF_UNSCHEDULED: dict[str, float] = {
    "XR": 0.72, "US": 0.35, "CT": 0.62, "MR": 0.35, "FL": 0.05,
    "NM": 0.10, "PET": 0.0, "MG": 0.0, "DEXA": 0.0, "IR": 0.15,
}  # fmt: skip

# Elective priority mix per modality: suspected_cancer, urgent, routine, planned.
ELECTIVE_PRIORITY_MIX: dict[str, tuple[float, float, float, float]] = {
    "XR": (0.03, 0.12, 0.82, 0.03),
    "US": (0.08, 0.20, 0.64, 0.08),
    "CT": (0.20, 0.20, 0.42, 0.18),
    "MR": (0.10, 0.20, 0.55, 0.15),
    "FL": (0.08, 0.20, 0.62, 0.10),
    "NM": (0.15, 0.20, 0.55, 0.10),
    "PET": (0.55, 0.20, 0.10, 0.15),
    "MG": (0.50, 0.20, 0.25, 0.05),
    "DEXA": (0.00, 0.05, 0.75, 0.20),
    "IR": (0.25, 0.30, 0.35, 0.10),
}
ELECTIVE_PRIORITIES = ("suspected_cancer", "urgent", "routine", "planned")

# Elective patient source settings: 02 day case, 03 outpatient, 04 GP, 06 other provider, 07 other.
ELECTIVE_SOURCES = ("02", "03", "04", "06", "07")
ELECTIVE_SOURCE_MIX: dict[str, tuple[float, float, float, float, float]] = {
    "XR": (0.01, 0.42, 0.52, 0.03, 0.02),
    "US": (0.02, 0.45, 0.48, 0.03, 0.02),
    "CT": (0.04, 0.78, 0.13, 0.04, 0.01),
    "MR": (0.02, 0.73, 0.20, 0.04, 0.01),
    "FL": (0.05, 0.75, 0.15, 0.04, 0.01),
    "NM": (0.02, 0.88, 0.03, 0.06, 0.01),
    "PET": (0.00, 0.85, 0.00, 0.14, 0.01),
    "MG": (0.00, 0.90, 0.08, 0.01, 0.01),
    "DEXA": (0.00, 0.35, 0.62, 0.02, 0.01),
    "IR": (0.30, 0.62, 0.00, 0.07, 0.01),
}

# Did-not-attend probability per elective source setting.
DNA_RATE: dict[str, float] = {"02": 0.02, "03": 0.065, "04": 0.06, "06": 0.03, "07": 0.05}
CANCEL_WHILE_WAITING = 0.03  # share of elective patients who would cancel if still waiting
REBOOK_AFTER_DNA = 0.85  # the rest are discharged back to the referrer (cancelled)
BLOCKED_SLOT_RATE = 0.03
WLI_TRIGGER_DAYS = 91  # longest routine wait that triggers waiting-list initiative sessions
WLI_BOOST = 0.22  # extra sessions as a share of the weekly base sessions

# Report units per modality (US and IR are reported by the operator at the exam).
REPORT_UNITS: dict[str, float] = {
    "XR": 1.0, "US": 0.0, "CT": 3.0, "MR": 4.0, "FL": 2.0,
    "NM": 4.0, "PET": 5.0, "MG": 1.0, "DEXA": 0.5, "IR": 0.0,
}  # fmt: skip
OPERATOR_REPORTED = ("US", "IR")


@dataclass(frozen=True)
class TrustProfile:
    code: str
    annual_exams: int
    has_ed: bool = True
    kind: str = "acute"  # acute | ortho | children
    # capacity/demand ratio of elective appointment slots per modality (default 1.08)
    capacity: dict[str, float] = field(default_factory=dict)
    reporting_ratio: float = 1.10  # in-house reporting capacity / demand (report units)
    outsource_share: float = 0.30  # share of new CT/MR sent out while the backlog is old
    outsource_trigger_days: int = 10
    wli: bool = True  # waiting-list initiative sessions when waits pass 13 weeks

    @property
    def mix(self) -> dict[str, float]:
        base = {"ortho": ORTHO_MIX, "children": CHILDREN_MIX}.get(self.kind, BASE_MIX)
        total = sum(base.values())
        return {m: base[m] / total for m in MODALITIES}

    def capacity_ratio(self, modality: str) -> float:
        return self.capacity.get(modality, 1.08)


# Annual exams at scale 1.0 (sum ~4.93M) and where each trust is strained.
PROFILES: dict[str, TrustProfile] = {
    p.code: p
    for p in (
        TrustProfile(
            "RRK", 960_000, capacity={"MR": 0.88, "CT": 0.93, "US": 1.0}, reporting_ratio=1.04
        ),
        TrustProfile("RQ3", 150_000, kind="children", capacity={"MR": 1.02}),
        TrustProfile("RRJ", 62_000, has_ed=False, kind="ortho", capacity={"MR": 0.95}),
        TrustProfile(
            "RXK",
            410_000,
            capacity={"MR": 0.87, "CT": 0.90, "US": 0.92},
            reporting_ratio=0.93,
            outsource_share=0.25,
            outsource_trigger_days=21,
        ),
        TrustProfile(
            "RNA",
            335_000,
            capacity={
                "MR": 1.18,
                "CT": 1.2,
                "US": 1.18,
                "XR": 1.2,
                "DEXA": 1.2,
                "NM": 1.2,
                "FL": 1.2,
            },
        ),
        TrustProfile(
            "RBK",
            245_000,
            capacity={"US": 0.88, "MR": 0.94},
            reporting_ratio=0.92,
            outsource_share=0.15,
            outsource_trigger_days=28,
        ),
        TrustProfile("RL4", 410_000, capacity={"MR": 1.0}),
        TrustProfile("RKB", 480_000, capacity={"MR": 0.86, "CT": 0.91}, reporting_ratio=1.0),
        TrustProfile("RLT", 152_000, capacity={"CT": 1.15, "MR": 1.15}),
        TrustProfile("RJC", 180_000, capacity={"MR": 1.12}),
        TrustProfile("RWP", 400_000, capacity={"US": 0.90, "MR": 0.93}, reporting_ratio=1.02),
        TrustProfile("RLQ", 150_000, capacity={"MR": 0.97}),
        TrustProfile("RXW", 345_000, capacity={"CT": 0.96, "MR": 0.95}),
        TrustProfile("RL1", 60_000, has_ed=False, kind="ortho", capacity={"MR": 1.0}),
        TrustProfile("RJE", 590_000, capacity={"CT": 0.89, "MR": 0.92}, reporting_ratio=1.03),
    )
}

# Where a trust's patients live (postcode areas and districts).
HOME_AREAS: dict[str, tuple[str, ...]] = {
    "RRK": ("B",), "RQ3": ("B", "WS", "DY", "CV"), "RRJ": ("B", "WS", "CV", "WR"),
    "RXK": ("B", "DY"), "RNA": ("DY", "B", "WV"), "RBK": ("WS",), "RL4": ("WV", "WS"),
    "RKB": ("CV",), "RLT": ("CV",), "RJC": ("CV", "B"), "RWP": ("WR", "B", "DY"),
    "RLQ": ("HR",), "RXW": ("SY", "TF"), "RL1": ("SY", "TF", "ST"), "RJE": ("ST",),
}  # fmt: skip
DISTRICT_RANGE: dict[str, int] = {
    "B": 98, "CV": 37, "DY": 14, "WV": 16, "WS": 15, "WR": 15, "HR": 9, "SY": 25, "TF": 13,
    "ST": 21,
}  # fmt: skip


def default_seeds_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "seeds"


@dataclass(frozen=True)
class Reference:
    """Seed data the simulation reads."""

    procedures: pd.DataFrame  # nicip_code, modality, typical_duration_minutes, weights
    sites: pd.DataFrame  # site_code, trust_code, postcode_district
    holidays: frozenset[int]  # bank holidays as days since 1970-01-01
    slot_minutes: dict[str, int]


def load_reference(seeds_dir: Path | None = None) -> Reference:
    seeds = Path(seeds_dir) if seeds_dir is not None else default_seeds_dir()
    proc = pd.read_csv(seeds / "procedures.csv", dtype={"nicip_code": str, "modality": str})
    proc = proc[proc["modality"].isin(MODALITIES)].reset_index(drop=True)
    proc["demand_weight"] = proc["demand_weight"].astype(float).fillna(0.0)
    proc["unscheduled_share"] = proc["unscheduled_share"].astype(float).fillna(0.0).clip(0, 1)
    proc["typical_duration_minutes"] = (
        proc["typical_duration_minutes"].astype(float).fillna(20.0).clip(lower=5)
    )
    sites_path = seeds / "sites.csv"
    if sites_path.exists():
        sites = pd.read_csv(sites_path, dtype=str, keep_default_na=False)
        # an onboarded trust's real (ODS) sites may sit beside the invented ones of the same
        # trust code: the simulation runs only on the invented sites
        sites = sites.loc[
            sites["is_synthetic_code"].str.lower() == "true",
            ["site_code", "trust_code", "postcode_district"],
        ].reset_index(drop=True)
    else:
        sites = pd.DataFrame(columns=["site_code", "trust_code", "postcode_district"])
    hol: set[int] = set()
    hol_path = seeds / "bank_holidays.csv"
    if hol_path.exists():
        h = pd.read_csv(hol_path, dtype=str)
        if "region" in h.columns:
            h = h[h["region"].str.lower().str.startswith("england")]
        days = pd.to_datetime(h["holiday_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
        hol = {int(x) for x in days}
    slot_minutes = {"XR": 10, "US": 20, "CT": 15, "MR": 30, "FL": 30, "NM": 60, "PET": 90,
                    "MG": 20, "DEXA": 20, "IR": 60}  # fmt: skip
    mod_path = seeds / "modalities.csv"
    if mod_path.exists():
        mods = pd.read_csv(mod_path, dtype={"modality": str})
        if "default_slot_minutes" in mods.columns:
            for m, v in zip(mods["modality"], mods["default_slot_minutes"], strict=True):
                if m in slot_minutes and pd.notna(v):
                    slot_minutes[m] = int(v)
    return Reference(proc, sites, frozenset(hol), slot_minutes)


def trust_sites(ref: Reference, trust: str) -> list[str]:
    codes = ref.sites.loc[ref.sites["trust_code"] == trust, "site_code"].tolist()
    return codes or [f"{trust}01"]


# --- calendar ---------------------------------------------------------------------------------


def day_number(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 for days since 1970-01-01 (a Thursday)."""
    return (days + 3) % 7


def month_and_dom(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    dom = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return month, dom


def is_holiday(days: np.ndarray, ref: Reference) -> np.ndarray:
    if not ref.holidays:
        return np.zeros(days.shape, dtype=bool)
    return np.isin(days, np.fromiter(ref.holidays, dtype=np.int64))


def elective_day_factor(days: np.ndarray, ref: Reference) -> np.ndarray:
    """Relative elective referral volume per day (weekdays, season, bank holidays)."""
    wd = weekday(days)
    f = np.where(wd < 5, 1.0, np.where(wd == 5, 0.06, 0.03))
    f = np.where(is_holiday(days, ref), 0.03, f)
    month, dom = month_and_dom(days)
    season = np.select(
        [month == 8, (month == 12) & (dom >= 20), (month == 1) & (dom <= 3), month == 12],
        [0.86, 0.55, 0.75, 0.97],
        default=1.02,
    )
    return f * season


def unscheduled_day_factor(days: np.ndarray, ref: Reference, ed: bool) -> np.ndarray:
    wd = weekday(days)
    month, _ = month_and_dom(days)
    if ed:
        f = np.where(wd == 0, 1.08, np.where(wd >= 5, 0.92, 1.0))
        season = np.select([np.isin(month, (12, 1, 2)), np.isin(month, (6, 7, 8))],
                           [1.10, 0.95], default=1.0)  # fmt: skip
    else:
        f = np.where(wd < 5, 1.0, 0.7)
        f = np.where(is_holiday(days, ref), 0.7, f)
        season = np.where(np.isin(month, (12, 1, 2)), 1.06, 1.0)
    return f * season


def reference_mean(fn, start_day: int, *args) -> float:
    """Mean factor over the year from start_day, used to normalise annual volumes."""
    days = np.arange(start_day, start_day + 365, dtype=np.int64)
    return float(fn(days, *args).mean())


# ED hourly arrival profile (local hour 0..23), relative.
ED_HOURLY = np.array(
    [0.45, 0.38, 0.32, 0.28, 0.25, 0.25, 0.30, 0.45, 0.70, 0.95, 1.10, 1.15,
     1.15, 1.12, 1.10, 1.08, 1.05, 1.05, 1.05, 1.00, 0.95, 0.85, 0.70, 0.55]
)  # fmt: skip
INPATIENT_HOURLY = np.array(
    [0.05, 0.04, 0.03, 0.03, 0.03, 0.04, 0.08, 0.30, 0.80, 1.20, 1.30, 1.25,
     1.15, 1.10, 1.05, 0.95, 0.85, 0.70, 0.50, 0.35, 0.25, 0.15, 0.10, 0.07]
)  # fmt: skip


# --- appointment book templates ----------------------------------------------------------------

# (weekday, start minute, end minute); weekday 0..4 Mon-Fri, 5 Saturday, 6 Sunday.
SESSION_AM = (8 * 60, 12 * 60 + 30)
SESSION_PM = (13 * 60 + 30, 17 * 60 + 30)
SESSION_EVE = (18 * 60, 20 * 60)
WLI_SESSIONS = ((5, 13 * 60 + 30, 17 * 60 + 30), (6, 8 * 60, 12 * 60 + 30),
                (6, 13 * 60 + 30, 17 * 60 + 30))  # fmt: skip


@dataclass(frozen=True)
class Session:
    site: str
    room: str
    weekday: int
    start_min: int
    end_min: int
    every: float  # fraction of weeks the session runs (1.0 = weekly)
    phase: float = 0.0  # spreads part-time sessions over different weeks


def session_templates(
    sites: list[str], modality: str, slots_per_week: float, slot_minutes: int, strained: bool
) -> list[Session]:
    """Weekly sessions that give about `slots_per_week` slots.

    Rooms are filled one at a time, weekday AM and PM first; strained CT/MR also run evening
    and Saturday lists. The last session runs on a fraction of weeks so the capacity is exact.
    """
    if slots_per_week <= 0:
        return []
    site_weights = np.array([2.0] + [1.0] * (len(sites) - 1))
    parts: list[tuple[int, int, int]] = []
    for wd in range(5):
        parts.append((wd, *SESSION_AM))
        parts.append((wd, *SESSION_PM))
    if strained and modality in ("CT", "MR"):
        parts += [(wd, *SESSION_EVE) for wd in range(4)]
        parts.append((5, *SESSION_AM))
    sessions: list[Session] = []
    remaining = slots_per_week
    room_no = dict.fromkeys(sites, 0)
    load = np.zeros(len(sites))
    sizes = [(b - a) // slot_minutes for _, a, b in parts]
    room_cap = float(sum(sizes))
    if room_cap <= 0:
        return []
    while remaining > 1e-9:
        i = int(np.argmin(load / site_weights))
        site = sites[i]
        room_no[site] += 1
        room = f"{modality}{room_no[site]}"
        # a full room, or the last room part-time with its sessions spread over the weeks
        every = min(1.0, remaining / room_cap)
        for j, ((wd, a, b), n) in enumerate(zip(parts, sizes, strict=True)):
            if n > 0:
                phase = (j * 0.6180339887 + room_no[site] * 0.377) % 1.0
                sessions.append(Session(site, room, wd, a, b, every, phase))
        remaining -= room_cap * every
        load[i] += room_cap * every
    return sessions
