"""Referral demand: who asks for which test, when, and how fast it is received and vetted.

All times are local wall-clock seconds since 1970-01-01 (Europe/London, naive); -1 = none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.contract import MODALITIES, PRIORITIES

from .network import (
    ED_HOURLY,
    ED_SHARE_OF_UNSCHEDULED,
    ELECTIVE_PRIORITY_MIX,
    ELECTIVE_SOURCE_MIX,
    ELECTIVE_SOURCES,
    INPATIENT_HOURLY,
    Reference,
    TrustProfile,
    elective_day_factor,
    reference_mean,
    unscheduled_day_factor,
)

DAY = 86_400
HOUR = 3_600
MINUTE = 60
PRIO = {p: i for i, p in enumerate(PRIORITIES)}
CAT_WAITING, CAT_PLANNED, CAT_UNSCHEDULED = 0, 1, 2  # index into ACTIVITY_CATEGORIES
PLANNED_INTERVALS = np.array([28, 42, 56, 91, 182])
ELECTIVE_LOSS = 1.045


@dataclass
class Requests:
    """One row per referral (an exam to be)."""

    modality: np.ndarray  # int8 index into MODALITIES
    proc: np.ndarray  # int32 index into Reference.procedures
    priority: np.ndarray  # int8 index into PRIORITIES
    source: np.ndarray  # '01'..'07'
    category: np.ndarray  # int8 index into ACTIVITY_CATEGORIES
    requested: np.ndarray  # int64 local seconds
    received: np.ndarray
    vetted: np.ndarray  # -1 when not vetted
    ready_day: np.ndarray  # elective: first day a slot can be used; -1 unscheduled

    @property
    def size(self) -> int:
        return int(self.requested.size)


def _procedure_tables(ref: Reference) -> dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]]:
    """Per (modality, unscheduled?) the procedure indices and their probabilities."""
    out = {}
    proc = ref.procedures
    for m in MODALITIES:
        idx = np.flatnonzero(proc["modality"].to_numpy() == m)
        w = proc["demand_weight"].to_numpy()[idx]
        u = proc["unscheduled_share"].to_numpy()[idx]
        for unsched in (False, True):
            p = w * (u if unsched else (1.0 - u))
            if idx.size == 0:
                continue
            if p.sum() <= 0:
                p = np.maximum(w, 1e-9)
            out[(m, unsched)] = (idx, p / p.sum())
    return out


def unscheduled_share(ref: Reference, modality: str) -> float:
    proc = ref.procedures
    sel = proc["modality"] == modality
    w = proc.loc[sel, "demand_weight"].to_numpy()
    u = proc.loc[sel, "unscheduled_share"].to_numpy()
    return float((w * u).sum() / w.sum()) if w.sum() > 0 else 0.0


def stream_volumes(profile: TrustProfile, ref: Reference, scale: float) -> dict[str, tuple]:
    """Annual (ed, inpatient, elective) volumes per modality at `scale`."""
    raw = {}
    for m, share in profile.mix.items():
        v = profile.annual_exams * share
        us = unscheduled_share(ref, m)
        ed_part = ED_SHARE_OF_UNSCHEDULED[m]
        ed = v * us * ed_part if profile.has_ed else 0.0
        ip = v * us * (1 - ed_part) * (1.0 if profile.has_ed else 0.5)
        el = v * (1 - us)
        raw[m] = (ed, ip, el)
    total = sum(sum(x) for x in raw.values())
    k = profile.annual_exams * scale / total if total > 0 else 0.0
    # referrals that cancel or are discharged after DNAs never become tests: ask a bit more
    # elective demand so that tests done match the annual volume
    return {m: (ed * k, ip * k, el * k * ELECTIVE_LOSS) for m, (ed, ip, el) in raw.items()}


def _office_time(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move times outside 08:00-18:00 to the next morning."""
    tod = t % DAY
    day = t - tod
    late = tod >= 18 * HOUR
    early = tod < 8 * HOUR
    morning = 8 * HOUR + rng.integers(0, 3 * HOUR, t.size)
    return np.where(late, day + DAY + morning, np.where(early, day + morning, t))


def generate_requests(
    rng: np.random.Generator,
    profile: TrustProfile,
    ref: Reference,
    scale: float,
    first_day: int,
    last_day: int,
    norm_day: int,
    surge: np.ndarray | None = None,
) -> Requests:
    """Referrals requested on days first_day..last_day (inclusive); `surge`, a factor on the
    elective rate of each of those days (a surge-demand scenario), or None."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    factors = _day_factors(days, ref, norm_day, surge)
    tables = _procedure_tables(ref)
    vols = stream_volumes(profile, ref, scale)
    parts: list[dict[str, np.ndarray]] = []
    for mi, m in enumerate(MODALITIES):
        for kind, v in zip(("ed", "ip", "el"), vols[m], strict=True):
            if v <= 0 or (m, kind != "el") not in tables:
                continue
            part = _stream(
                rng, mi, kind, v / 365.0 * factors[kind], days, tables[(m, kind != "el")]
            )
            if part is not None:
                parts.append(part)
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["modality"], cols["requested"]))
    cols = {k: v[order] for k, v in cols.items()}
    req, mod, prio = cols["requested"], cols["modality"], cols["priority"]
    unsched = cols["category"] == CAT_UNSCHEDULED
    xr_like = np.isin(mod, [MODALITIES.index(x) for x in ("XR", "DEXA")])
    rec, vet = _received_and_vetted(rng, req, mod, prio, unsched, xr_like)
    return Requests(
        modality=mod,
        proc=cols["proc"],
        priority=prio,
        source=cols["source"],
        category=cols["category"],
        requested=req,
        received=rec,
        vetted=vet,
        ready_day=_ready_day(rng, req, prio, vet, ~unsched, xr_like),
    )


def _day_factors(
    days: np.ndarray, ref: Reference, norm_day: int, surge: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Each day's rate against the reference mean, per stream (ED, inpatient, elective)."""
    el_f = elective_day_factor(days, ref) / reference_mean(elective_day_factor, norm_day, ref)
    if surge is not None:
        el_f = el_f * surge
    ed_f = unscheduled_day_factor(days, ref, True) / reference_mean(
        unscheduled_day_factor, norm_day, ref, True
    )
    ip_f = unscheduled_day_factor(days, ref, False) / reference_mean(
        unscheduled_day_factor, norm_day, ref, False
    )
    return {"ed": ed_f, "ip": ip_f, "el": el_f}


_ED_CDF = np.cumsum(ED_HOURLY) / ED_HOURLY.sum()
_INPATIENT_CDF = np.cumsum(INPATIENT_HOURLY) / INPATIENT_HOURLY.sum()


def _stream(
    rng: np.random.Generator,
    mi: int,
    kind: str,
    daily: np.ndarray,
    days: np.ndarray,
    table: tuple[np.ndarray, np.ndarray],
) -> dict[str, np.ndarray] | None:
    """One modality's requests of one stream (ed, ip or el) at `daily` mean requests a day."""
    m = MODALITIES[mi]
    counts = rng.poisson(daily)
    n = int(counts.sum())
    if n == 0:
        return None
    day = np.repeat(days, counts)
    idx, p = table
    proc = idx[rng.choice(idx.size, n, p=p)]
    if kind == "el":
        tod = rng.integers(8 * HOUR, 18 * HOUR, n)
        pr = rng.choice(4, n, p=np.array(ELECTIVE_PRIORITY_MIX[m]))
        priority = np.array([2, 3, 4, 5], dtype=np.int8)[pr]
        sm = np.array(ELECTIVE_SOURCE_MIX[m])
        source = np.array(ELECTIVE_SOURCES)[rng.choice(len(ELECTIVE_SOURCES), n, p=sm)]
        category = np.where(priority == PRIO["planned"], CAT_PLANNED, CAT_WAITING)
    else:
        cdf = _ED_CDF if kind == "ed" else _INPATIENT_CDF
        hour = np.searchsorted(cdf, rng.random(n))
        tod = hour * HOUR + rng.integers(0, HOUR, n)
        priority = np.full(n, PRIO["ed" if kind == "ed" else "inpatient"], dtype=np.int8)
        source = np.full(n, "05" if kind == "ed" else "01")
        category = np.full(n, CAT_UNSCHEDULED)
    return {
        "modality": np.full(n, mi, dtype=np.int8),
        "proc": proc.astype(np.int32),
        "priority": priority.astype(np.int8),
        "source": source.astype("<U2"),
        "category": category.astype(np.int8),
        "requested": day * DAY + tod,
    }


def _received_and_vetted(
    rng: np.random.Generator,
    req: np.ndarray,
    mod: np.ndarray,
    prio: np.ndarray,
    unsched: np.ndarray,
    xr_like: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """When each request reached radiology, and when it was vetted (-1: X-ray-like unscheduled
    requests are not)."""
    n = req.size
    rec = np.empty(n, dtype=np.int64)
    vet = np.full(n, -1, dtype=np.int64)
    quick = unsched | xr_like
    rec[quick] = req[quick] + rng.integers(1 * MINUTE, 12 * MINUTE, int(quick.sum()))
    slow = ~quick
    ns = int(slow.sum())
    rec[slow] = req[slow] + np.minimum(rng.exponential(10 * HOUR, ns), 2 * DAY - 1).astype(np.int64)
    # vetting: unscheduled CT/MR/US/NM/FL/IR minutes later; elective within 0-5 days
    vetted_unsched = unsched & ~np.isin(mod, [MODALITIES.index("XR")])
    vet[vetted_unsched] = rec[vetted_unsched] + rng.integers(
        3 * MINUTE, 40 * MINUTE, int(vetted_unsched.sum())
    )
    el = ~unsched
    el_xr = el & xr_like
    vet[el_xr] = rec[el_xr] + rng.integers(1 * MINUTE, 30 * MINUTE, int(el_xr.sum()))
    el_slow = el & ~xr_like
    fast = prio[el_slow] == PRIO["suspected_cancer"]
    mean_vet = np.where(fast, 0.3 * DAY, 1.2 * DAY)
    vet[el_slow] = _office_time(
        rng,
        rec[el_slow] + np.minimum(rng.exponential(mean_vet), 5 * DAY - 4 * HOUR).astype(np.int64),
    )
    vet[el_slow] = np.maximum(vet[el_slow], rec[el_slow] + MINUTE)
    return rec, vet


def _ready_day(
    rng: np.random.Generator,
    req: np.ndarray,
    prio: np.ndarray,
    vet: np.ndarray,
    el: np.ndarray,
    xr_like: np.ndarray,
) -> np.ndarray:
    """The first day a slot can be used: the day after vetting, plus patient choice for
    routine and urgent requests; a planned exam's due day; -1 for unscheduled requests."""
    n = req.size
    ready = np.full(n, -1, dtype=np.int64)
    vday = vet // DAY
    choice = np.where(
        prio == PRIO["routine"],
        rng.geometric(0.3, n) - 1,
        np.where(prio == PRIO["urgent"], rng.geometric(0.6, n) - 1, 0),
    )
    ready[el] = vday[el] + 1 + np.where(xr_like[el], 0, choice[el])
    planned = prio == PRIO["planned"]
    due = req // DAY + PLANNED_INTERVALS[rng.integers(0, PLANNED_INTERVALS.size, n)]
    ready[planned] = np.maximum(ready[planned], due[planned])
    return ready
