"""The published marts recomputed with plain pandas from the synthetic ground truth.

The way an analyst would do it today: read `home/truth/*.parquet` and `seeds/*.csv`, work out
each exam's timeline, then group. Written from `docs/metrics.md`, not from the dbt models,
so the two can check each other (tests/truth) and be timed against each other (issue 9).

    truth = read_truth(home)
    seeds = read_seeds(seeds_dir)
    facts = exam_facts(truth, seeds, as_of)     # fct_exams, one row per exam
    tat_monthly(truth, seeds, as_of, facts)     # every mart takes the facts, or computes them

Dates are pandas Timestamps at local midnight (naive, Europe/London calendar dates); instants
stay tz-aware UTC.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

LONDON = "Europe/London"
NETWORK = "NETWORK"
SCHEDULING_WEEKS = 6  # scheduling_capacity looks six weeks ahead
BACKLOG_DAILY_DAYS = 90  # reporting_backlog: every day of the last 90 days, plus month ends
BACKLOG_COLUMNS = ["age_0_2_days", "age_3_7_days", "age_8_14_days", "age_15_28_days",
                   "age_over_28_days"]  # fmt: skip


@dataclass(frozen=True)
class Truth:
    exams: pd.DataFrame
    events: pd.DataFrame
    slots: pd.DataFrame


@dataclass(frozen=True)
class Seeds:
    procedures: pd.DataFrame
    reporting_targets: pd.DataFrame
    weeks_bands: pd.DataFrame
    backlog_age_bands: pd.DataFrame


def read_truth(home: Path) -> Truth:
    folder = Path(home) / "truth"
    exams = pd.read_parquet(folder / "exams.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    slots = pd.read_parquet(folder / "slots.parquet")
    # plain object strings: categoricals would make every groupby emit empty combinations
    for df in (exams, events, slots):
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype) or df[c].dtype == "string":
                df[c] = df[c].astype(object).where(df[c].notna(), None)
    return Truth(exams, events, slots)


def read_seeds(seeds_dir: Path) -> Seeds:
    def csv(name: str) -> pd.DataFrame:
        return pd.read_csv(Path(seeds_dir) / f"{name}.csv", dtype=str, keep_default_na=False)

    procedures = csv("procedures")
    procedures["dm01_test"] = procedures["dm01_test"].replace("", None)
    targets = csv("reporting_targets")
    targets["target_hours"] = targets["target_hours"].astype(float)
    bands = csv("weeks_bands")
    bands["min_weeks"] = bands["min_weeks"].astype(int)
    bands["max_weeks"] = pd.to_numeric(bands["max_weeks"].replace("", None))
    age = csv("backlog_age_bands")
    age["min_days"] = age["min_days"].astype(int)
    age["max_days"] = pd.to_numeric(age["max_days"].replace("", None))
    return Seeds(procedures, targets, bands, age)


def at_feed_precision(truth: Truth, feeds_dir: Path) -> Truth:
    """The truth as the trusts' feeds can carry it: a feed writing timestamps as text without
    seconds (its `datetime_format`) sends wall-clock minutes, so those trusts' event times are
    floored to the minute. Binary and HL7 timestamps and Excel date cells keep their seconds."""
    default_text = "%Y-%m-%d %H:%M"  # FeedSpec's default, which an Excel feed writes as a date cell
    minute_trusts = set()
    for path in sorted(Path(feeds_dir).glob("*.yml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        fmt = spec.get("datetime_format", default_text)
        as_text = spec["family"] in ("wide_csv", "event_csv") or (
            spec["family"] == "excel"
            and fmt != default_text
            and "excel_serial_dates" not in (spec.get("quirks") or [])
        )
        if as_text and not any(d in fmt for d in ("%S", "%T", "%X")):
            minute_trusts.add(spec["trust_code"])
    events = truth.events.copy()
    floor = events["trust_code"].isin(minute_trusts)
    for c in ("event_at", "appointment_at"):
        events[c] = events[c].where(~floor, events[c].dt.floor("min"))
    return Truth(truth.exams, events, truth.slots)


# --- time helpers -------------------------------------------------------------------------------


def local_date(instants: pd.Series) -> pd.Series:
    """The Europe/London calendar date of each instant, as a naive midnight Timestamp."""
    return instants.dt.tz_convert(LONDON).dt.tz_localize(None).dt.normalize()


def is_month_end(days: pd.Series) -> pd.Series:
    """Whether each date (naive Timestamp) is the last day of its month."""
    return (days + pd.Timedelta(days=1)).dt.day == 1


def local_midnight(day: date) -> pd.Timestamp:
    """The instant (UTC) local midnight starts `day`."""
    return pd.Timestamp(day).tz_localize(LONDON).tz_convert("UTC")


def as_of_end(as_of: date) -> pd.Timestamp:
    """End of the as-of day: events at or after it are not known yet."""
    return local_midnight(as_of + timedelta(days=1))


def known_events(events: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The events the figures count at the as-of time: happened by its end and not withdrawn by
    then (a withdrawn event, e.g. a report the RIS took back, counts nowhere once withdrawn)."""
    end = as_of_end(as_of)
    known = events["event_at"] < end
    if "withdrawn_at" in events:  # a truth written before withdrawals were recorded has none
        known &= events["withdrawn_at"].isna() | (events["withdrawn_at"] >= end)
    return events[known]


def _days(a: pd.Series, b: pd.Series) -> pd.Series:
    """Whole calendar days b - a between two date columns (NaN if either is missing)."""
    return (b - a).dt.days


def _with_network(df: pd.DataFrame, keys: list[str], aggregate) -> pd.DataFrame:
    """`aggregate(df, keys)` per trust, plus the NETWORK rows aggregated over all exams."""
    trusts = aggregate(df, ["trust_code", *keys])
    network = aggregate(df, keys)
    network.insert(0, "trust_code", NETWORK)
    return pd.concat([trusts, network], ignore_index=True)


# --- fct_exams ----------------------------------------------------------------------------------


def exam_facts(truth: Truth, seeds: Seeds, as_of: date, pseudonym_key: bytes | None = None
               ) -> pd.DataFrame:  # fmt: skip
    """One row per exam with its timeline as known at the end of the as-of day and the
    docs/metrics.md conventions (local dates, intervals only when in order, target, reporter type).
    With `pseudonym_key`, also the published keys `exam_key` and `patient_key`. The NHS number
    stays (in memory only): the DM01 waiting list counts each patient once per test."""
    ev = known_events(truth.events, as_of)
    ev = ev.sort_values(["event_at", "event_id"], kind="stable")
    key = ["trust_code", "accession"]
    firsts = ev.groupby(key + ["event"], sort=False)["event_at"].first().unstack("event")
    ex = truth.exams.merge(firsts, how="left", left_on=key, right_index=True)

    def at(event: str) -> pd.Series:
        if event in ex:
            return pd.to_datetime(ex[event], utc=True)
        return pd.Series(pd.NaT, index=ex.index, dtype="datetime64[us, UTC]")

    verified = ev[ev["event"] == "report_verified"].groupby(key, sort=False).first()
    bookings = ev[ev["event"] == "booked"].groupby(key, sort=False).last()
    dna = ev[ev["event"] == "did_not_attend"].groupby(key, sort=False).size()
    out = ex[["trust_code", "accession", "site_code", "room", "nicip_code", "priority",
              "patient_source_setting", "activity_category", "status", "sex", "nhs_number",
              "birth_date", "clock_start_date"]].copy()  # fmt: skip
    proc = seeds.procedures.set_index("nicip_code")
    for c in ("procedure_name", "modality", "body_region", "dm01_test"):
        out[c] = out["nicip_code"].map(proc[c])
    out["requested_at"] = at("requested")
    out["request_received_at"] = at("request_received")
    out["exam_started_at"] = at("exam_started")
    out["exam_completed_at"] = at("exam_completed")
    out["cancelled_at"] = at("cancelled")
    out["entered_in_error_at"] = at("entered_in_error")
    idx = pd.MultiIndex.from_frame(out[key])
    out["report_verified_at"] = pd.to_datetime(
        verified["event_at"].reindex(idx).to_numpy(), utc=True
    )
    out["booked_for"] = pd.to_datetime(bookings["appointment_at"].reindex(idx).to_numpy(), utc=True)
    out["did_not_attend_count"] = dna.reindex(idx).fillna(0).astype(int).to_numpy()
    # the verifier: an outsourced company, a radiographer or sonographer (RGR/SON staff ids)
    outsourced = verified["actor_outsourced"].reindex(idx).fillna(False).astype(bool).to_numpy()
    actor = pd.Series(verified["actor_id"].reindex(idx).astype(object).to_numpy())
    reporter = np.select(
        [outsourced, actor.str[:3].isin(["RGR", "SON"]).to_numpy()],
        ["outsourced", "radiographer"],
        "radiologist",
    )
    out["reporter_type"] = pd.Series(reporter, index=out.index).where(
        out["report_verified_at"].notna(), None
    )

    out["test_at"] = out["exam_started_at"].fillna(out["exam_completed_at"])
    out["test_date"] = local_date(out["test_at"])
    out["request_date"] = local_date(out["requested_at"])
    out["received_date"] = local_date(out["request_received_at"]).fillna(out["request_date"])
    out["report_date"] = local_date(out["report_verified_at"])
    out["cancelled_date"] = local_date(out["cancelled_at"])
    sent = pd.to_datetime(out["clock_start_date"].astype("datetime64[ns]"))
    out["clock_start_date"] = sent.fillna(out["request_date"])

    r2t = _days(out["request_date"], out["test_date"])
    out["request_to_test_days"] = r2t.where(r2t >= 0)
    hours = (out["report_verified_at"] - out["test_at"]).dt.total_seconds() / 3600.0
    in_order = hours >= 0
    out["test_to_report_hours"] = hours.where(in_order)
    out["test_to_report_days"] = _days(out["test_date"], out["report_date"]).where(in_order)
    targets = seeds.reporting_targets.set_index("priority")["target_hours"]
    out["target_hours"] = out["priority"].map(targets)
    within = in_order & (hours <= out["target_hours"])
    out["reported_within_target"] = within.astype(object).where(
        out["report_verified_at"].notna(), None
    )

    birth = pd.to_datetime(out["birth_date"].astype("datetime64[ns]"))
    td = out["test_date"]
    before_birthday = (td.dt.month * 100 + td.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    age = td.dt.year - birth.dt.year - before_birthday.astype(int)
    out["age_at_test"] = age.where(td.notna() & birth.notna() & (td >= birth))

    if pseudonym_key is not None:  # the published keys: md5 of trust|accession, HMAC of NHS no.
        keys = out["trust_code"] + "|" + out["accession"]
        out["exam_key"] = [hashlib.md5(k.encode()).hexdigest() for k in keys]
        table = {
            n: hmac.new(pseudonym_key, n.encode(), hashlib.sha256).hexdigest()
            for n in out["nhs_number"].dropna().unique()
        }
        out["patient_key"] = out["nhs_number"].map(table)
    return out.drop(columns=["birth_date"]).reset_index(drop=True)


def _facts(truth: Truth, seeds: Seeds, as_of: date, facts: pd.DataFrame | None) -> pd.DataFrame:
    """The exams the marts count: docs/metrics.md, a request withdrawn as entered in error never
    existed (on no waiting list, past censuses too, and no activity); fct_exams keeps it."""
    f = facts if facts is not None else exam_facts(truth, seeds, as_of)
    return f[f["entered_in_error_at"].isna()]


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.to_timestamp()


# --- tat and did --------------------------------------------------------------------------------


def tat_monthly(truth: Truth, seeds: Seeds, as_of: date, facts: pd.DataFrame | None = None
                ) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    f = f[f["test_date"].notna()].copy()
    f["month"] = _month(f["test_date"])
    reported = f["report_verified_at"].notna()
    hours_since_test = (as_of_end(as_of) - f["test_at"]).dt.total_seconds() / 3600.0
    f["pending_inside_target"] = ~reported & (hours_since_test <= f["target_hours"])
    f["within_target"] = f["reported_within_target"].eq(True)
    days_since_test = (pd.Timestamp(as_of) - f["test_date"]).dt.days
    f["over_28"] = (reported & (f["test_to_report_days"] > 28)) | (
        ~reported & (days_since_test > 28)
    )
    f["reported"] = reported

    def aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=False)
        out = pd.DataFrame(
            {
                "exams_tested": g.size(),
                "request_to_test_median_days": g["request_to_test_days"].quantile(0.5),
                "request_to_test_p90_days": g["request_to_test_days"].quantile(0.9),
                "exams_reported": g["reported"].sum(),
                "test_to_report_median_days": g["test_to_report_days"].quantile(0.5),
                "test_to_report_p90_days": g["test_to_report_days"].quantile(0.9),
                "test_to_report_median_hours": g["test_to_report_hours"].quantile(0.5),
                "reported_within_target": g["within_target"].sum(),
                "within_target_denominator": g.size() - g["pending_inside_target"].sum(),
                "reported_over_28_days": g["over_28"].sum(),
            }
        )
        den = out["within_target_denominator"]
        out["reported_within_target_pct"] = (100.0 * out["reported_within_target"] / den).where(
            den > 0
        )
        return out.reset_index()

    return _with_network(f, ["month", "modality", "priority"], aggregate)


def did_activity_monthly(truth: Truth, seeds: Seeds, as_of: date,
                         facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    f = f[f["test_date"].notna()].copy()
    f["month"] = _month(f["test_date"])

    def aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=False)
        return pd.DataFrame(
            {
                "exams_tested": g.size(),
                "request_to_test_median_days": g["request_to_test_days"].quantile(0.5),
                "test_to_report_median_days": g["test_to_report_days"].quantile(0.5),
                "exams_reported": g["report_verified_at"].count(),
            }
        ).reset_index()

    return _with_network(f, ["month", "modality", "patient_source_setting"], aggregate)


# --- waiting list (DM01) ------------------------------------------------------------------------


def census_dates(facts: pd.DataFrame, as_of: date) -> list[pd.Timestamp]:
    """Every month end from the first month with a test up to before the as-of date, and the
    as-of date itself."""
    as_of_ts = pd.Timestamp(as_of)
    tested = facts.loc[facts["test_date"] <= as_of_ts, "test_date"]
    first = tested.min() if len(tested) else as_of_ts
    ends = pd.date_range(first, as_of_ts, freq="ME")
    return sorted({*[d for d in ends if d < as_of_ts], as_of_ts})


def waiting_list_members(facts: pd.DataFrame, when: list[pd.Timestamp],
                         dm01_only: bool = True) -> pd.DataFrame:  # fmt: skip
    """The exams on the waiting list at the end of each date in `when`, with weeks waited and
    the patient they are for (`patient`: the NHS number; an exam without one is a patient of
    its own, since nothing ties it to the patient's other requests)."""
    f = facts[facts["activity_category"] == "waiting_list"].copy()
    if dm01_only:
        f = f[f["dm01_test"].notna()]
    f["patient"] = f["nhs_number"].fillna("exam:" + f["trust_code"] + "|" + f["accession"])
    parts = []
    for c in when:
        on = f[(f["clock_start_date"] <= c)
               & ~(f["test_date"] <= c)
               & ~(f["cancelled_date"] <= c)].copy()  # fmt: skip
        on["census_date"] = c
        on["weeks_waited"] = (c - on["clock_start_date"]).dt.days // 7
        parts.append(on)
    return pd.concat(parts, ignore_index=True)


def dm01_patients(members: pd.DataFrame) -> pd.DataFrame:
    """DOMAIN.md DM01, "each patient counted once per test": one row per census date, trust,
    DM01 test and patient, the patient's longest wait. Per trust, as DM01 is returned by each
    provider: a patient on two trusts' lists is on both, and NETWORK is the sum of the trusts."""
    m = members[members["dm01_test"].notna()]
    longest = m.groupby(["census_date", "trust_code", "dm01_test", "patient"],
                        sort=False)["weeks_waited"].max()  # fmt: skip
    return longest.reset_index()


def waiting_list_census(truth: Truth, seeds: Seeds, as_of: date,
                        facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    m = dm01_patients(waiting_list_members(f, census_dates(f, as_of)))
    m["six_plus"] = m["weeks_waited"] >= 6
    m["thirteen_plus"] = m["weeks_waited"] >= 13

    def aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=False)
        out = pd.DataFrame(
            {
                "total_waiting": g.size(),
                "waiting_6_plus_weeks": g["six_plus"].sum(),
                "waiting_13_plus_weeks": g["thirteen_plus"].sum(),
                "median_weeks_waited": g["weeks_waited"].quantile(0.5),
                "max_weeks_waited": g["weeks_waited"].max(),
            }
        )
        out["pct_waiting_6_plus_weeks"] = 100.0 * out["waiting_6_plus_weeks"] / out["total_waiting"]
        return out.reset_index()

    out = _with_network(m, ["census_date", "dm01_test"], aggregate)
    out["is_month_end"] = is_month_end(out["census_date"])
    return out


def waiting_list_bands(truth: Truth, seeds: Seeds, as_of: date,
                       facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    m = dm01_patients(waiting_list_members(f, census_dates(f, as_of)))
    bands = seeds.weeks_bands
    band = pd.Series(None, index=m.index, dtype=object)
    for b in bands.itertuples():
        upper = b.max_weeks if pd.notna(b.max_weeks) else np.inf
        band[(m["weeks_waited"] >= b.min_weeks) & (m["weeks_waited"] <= upper)] = b.weeks_band
    m["weeks_band"] = band

    def aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return df.groupby(keys, sort=False).size().rename("patients").reset_index()

    out = _with_network(m, ["census_date", "dm01_test", "weeks_band"], aggregate)
    order = bands.set_index("weeks_band")["sort_order"].astype(int)
    out["band_sort_order"] = out["weeks_band"].map(order)
    out["is_month_end"] = is_month_end(out["census_date"])
    return out


def dm01_activity_monthly(truth: Truth, seeds: Seeds, as_of: date,
                          facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    f = f[f["test_date"].notna() & f["dm01_test"].notna()].copy()
    f["month"] = _month(f["test_date"])
    for cat in ("waiting_list", "planned", "unscheduled"):
        f[f"{cat}_tests"] = f["activity_category"] == cat

    def aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=False)
        return pd.DataFrame(
            {
                "waiting_list_tests": g["waiting_list_tests"].sum(),
                "planned_tests": g["planned_tests"].sum(),
                "unscheduled_tests": g["unscheduled_tests"].sum(),
                "total_tests": g.size(),
            }
        ).reset_index()

    return _with_network(f, ["month", "dm01_test"], aggregate)


# --- reporting ----------------------------------------------------------------------------------


def backlog_dates(facts: pd.DataFrame, as_of: date) -> list[pd.Timestamp]:
    """The census dates plus every day of the last BACKLOG_DAILY_DAYS days up to the as-of date."""
    recent = pd.date_range(pd.Timestamp(as_of) - pd.Timedelta(days=BACKLOG_DAILY_DAYS - 1),
                           pd.Timestamp(as_of), freq="D")  # fmt: skip
    return sorted({*census_dates(facts, as_of), *recent})


def reporting_backlog(truth: Truth, seeds: Seeds, as_of: date,
                      facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    f = f[f["test_date"].notna()]
    parts = []
    for d in backlog_dates(f, as_of):
        on = f[(f["test_date"] <= d) & ~(f["cancelled_date"] <= d) & ~(f["report_date"] <= d)]
        on = on[["trust_code", "modality", "test_date"]].copy()
        on["as_of_date"] = d
        on["age_days"] = (d - on["test_date"]).dt.days
        parts.append(on)
    u = pd.concat(parts, ignore_index=True)
    for band in seeds.backlog_age_bands.itertuples():
        upper = band.max_days if pd.notna(band.max_days) else np.inf
        u[band.column_name] = (u["age_days"] >= band.min_days) & (u["age_days"] <= upper)

    def aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=False)
        out = pd.DataFrame({"unreported_exams": g.size()})
        for c in BACKLOG_COLUMNS:
            out[c] = g[c].sum()
        out["oldest_age_days"] = g["age_days"].max()
        return out.reset_index()

    return _with_network(u, ["as_of_date", "modality"], aggregate)


def reporting_throughput_weekly(truth: Truth, seeds: Seeds, as_of: date,
                                facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)

    def monday(d: pd.Series) -> pd.Series:
        return d - pd.to_timedelta(d.dt.dayofweek, unit="D")

    tested = f[f["test_date"].notna()].assign(week=lambda x: monday(x["test_date"]))
    verified = f[f["report_date"].notna()].assign(
        week=lambda x: monday(x["report_date"]),
        outsourced=lambda x: x["reporter_type"] == "outsourced",
    )

    def count_tested(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return df.groupby(keys, sort=False).size().rename("exams_tested").reset_index()

    def count_verified(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=False)
        return pd.DataFrame(
            {"reports_verified": g.size(), "reports_outsourced": g["outsourced"].sum()}
        ).reset_index()

    keys = ["trust_code", "week", "modality"]
    out = _with_network(tested, ["week", "modality"], count_tested).merge(
        _with_network(verified, ["week", "modality"], count_verified), on=keys, how="outer"
    )
    out = out.fillna({"exams_tested": 0, "reports_verified": 0, "reports_outsourced": 0})
    out["backlog_change"] = out["exams_tested"] - out["reports_verified"]
    return out


# --- capacity -----------------------------------------------------------------------------------


def scanner_utilisation_daily(truth: Truth, seeds: Seeds, as_of: date,
                              facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    s = truth.slots[truth.slots["state"].isin(["free", "booked"])].copy()
    s["date"] = local_date(s["slot_start"])
    s["booked_minutes"] = s["slot_minutes"].where(s["state"] == "booked", 0)
    ev = known_events(truth.events, as_of)
    dna = ev[ev["event"] == "did_not_attend"]
    dna = dna.assign(date=local_date(dna["event_at"]))[["trust_code", "accession", "date"]]
    dna_keys = set(map(tuple, dna.drop_duplicates().to_numpy()))
    s["dna"] = [(s_state == "booked") and (t, a, d) in dna_keys
                for s_state, t, a, d in zip(s["state"], s["trust_code"], s["accession"], s["date"],
                                            strict=True)]  # fmt: skip
    slots = (
        s.groupby(["date", "site_code", "room"], sort=False)
        .agg(
            available_minutes=("slot_minutes", "sum"),
            booked_minutes=("booked_minutes", "sum"),
            dna_slots=("dna", "sum"),
        )
        .reset_index()
    )

    # exams and open (free or booked) slot time, each cut at every local midnight it crosses
    x = f[f["exam_started_at"].notna() & (f["exam_completed_at"] > f["exam_started_at"])]
    busy: dict[tuple, list] = {}
    open_time: dict[tuple, list] = {}
    for site, room, start, end in zip(x["site_code"], x["room"], x["exam_started_at"],
                                      x["exam_completed_at"], strict=True):  # fmt: skip
        _cut_at_midnights(busy, site, room, start, end)
    for site, room, start, minutes in zip(s["site_code"], s["room"], s["slot_start"],
                                          s["slot_minutes"], strict=True):  # fmt: skip
        _cut_at_midnights(open_time, site, room, start, start + pd.Timedelta(minutes=int(minutes)))
    rows = []
    for key, pieces in busy.items():
        merged = _union(pieces)
        opened = _union(open_time.get(key, []))
        inside = sum(max(0.0, (min(b, d) - max(a, c)).total_seconds())
                     for a, b in merged for c, d in opened)  # fmt: skip
        rows.append((*key, sum((b - a).total_seconds() for a, b in merged), inside))
    used = pd.DataFrame(rows, columns=["date", "site_code", "room", "used_seconds", "in_seconds"])
    out = slots.merge(used, on=["date", "site_code", "room"], how="outer")
    out = out[out["date"] <= pd.Timestamp(as_of)]
    out = out.fillna({"available_minutes": 0, "booked_minutes": 0, "dna_slots": 0,
                      "used_seconds": 0.0, "in_seconds": 0.0})  # fmt: skip
    # whole minutes, halves rounded up (numpy's round() would round them to even)
    out["used_minutes"] = np.floor(out["used_seconds"] / 60 + 0.5)
    out["used_in_slots_minutes"] = np.floor(out["in_seconds"] / 60 + 0.5)
    out["used_outside_slots_minutes"] = out["used_minutes"] - out["used_in_slots_minutes"]
    avail = out["available_minutes"]
    out["utilisation_pct"] = (100.0 * out["in_seconds"] / 60 / avail).where(avail > 0)
    return out.drop(columns=["used_seconds", "in_seconds"]).reset_index(drop=True)


def _cut_at_midnights(into: dict, site, room, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Add start..end to into[(local date, site, room)], one piece per local day it touches."""
    day = start.tz_convert(LONDON).date()
    while local_midnight(day) < end:
        lo = max(start, local_midnight(day))
        hi = min(end, local_midnight(day + timedelta(days=1)))
        if hi > lo:
            into.setdefault((pd.Timestamp(day), site, room), []).append((lo, hi))
        day += timedelta(days=1)


def _union(pieces: list) -> list:
    """Overlapping intervals merged: time covered once however many intervals cover it."""
    merged: list = []
    for lo, hi in sorted(pieces):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def scheduling_capacity(truth: Truth, seeds: Seeds, as_of: date,
                        facts: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    f = _facts(truth, seeds, as_of, facts)
    s = truth.slots.copy()
    s["date"] = local_date(s["slot_start"])
    as_of_ts = pd.Timestamp(as_of)
    horizon = as_of_ts + pd.Timedelta(days=7 * SCHEDULING_WEEKS)
    free = s[(s["state"] == "free") & (s["date"] > as_of_ts) & (s["date"] <= horizon)]
    free = (
        free.groupby(["site_code", "modality"], sort=False)
        .agg(
            free_slots=("slot_id", "size"),
            free_minutes=("slot_minutes", "sum"),
            earliest_free_slot_at=("slot_start", "min"),
        )
        .reset_index()
    )
    members = waiting_list_members(f, [as_of_ts], dm01_only=False)
    unbooked = members[~(members["booked_for"] >= as_of_end(as_of))]
    # patients (docs/metrics.md): one with any request of the modality still to book needs a slot
    waiting = (
        unbooked.groupby(["trust_code", "modality"], sort=False)["patient"]
        .nunique()
        .rename("waiting_unbooked")
        .reset_index()
    )
    out = s[["site_code", "trust_code", "modality"]].drop_duplicates()
    out = out.merge(free, on=["site_code", "modality"], how="left")
    out = out.merge(waiting, on=["trust_code", "modality"], how="left")
    out = out.fillna({"free_slots": 0, "free_minutes": 0, "waiting_unbooked": 0})
    out["as_of_date"] = as_of_ts
    weekly = out["free_slots"] / SCHEDULING_WEEKS
    out["est_weeks_to_clear"] = (out["waiting_unbooked"] / weekly).where(out["free_slots"] > 0)
    # soonest first: earliest free slot (sites without one last), then time to clear, then code
    out = out.sort_values(["modality", "earliest_free_slot_at", "est_weeks_to_clear", "site_code"],
                          na_position="last", kind="stable")  # fmt: skip
    out["network_rank"] = out.groupby("modality", sort=False).cumcount() + 1
    out["earliest_free_slot_at_local"] = (
        out["earliest_free_slot_at"].dt.tz_convert(LONDON).dt.tz_localize(None)
    )
    return out.reset_index(drop=True)


MARTS = {
    "tat_monthly": tat_monthly,
    "did_activity_monthly": did_activity_monthly,
    "waiting_list_census": waiting_list_census,
    "waiting_list_bands": waiting_list_bands,
    "dm01_activity_monthly": dm01_activity_monthly,
    "reporting_backlog": reporting_backlog,
    "reporting_throughput_weekly": reporting_throughput_weekly,
    "scanner_utilisation_daily": scanner_utilisation_daily,
    "scheduling_capacity": scheduling_capacity,
}
