"""docs/sql.md's cookbook: every query runs on a published network and gives the answer pandas
computes on its own from the published tables, so the cookbook cannot rot.

The network is the truth suite's (conftest.py: 20 March to 5 April 2026, as of 6 April, so "last
month" is March and the last month end 31 March), published as the nightly publishes it. Each
question of the cookbook has a check below, named by its heading; a question without one fails
`test_every_question_has_a_check`. A check computes the answer from the rows a planner could
read (mostly `fct_exams`) with the definitions of docs/metrics.md, not with the query's SQL.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.publish import publish, published_relations
from tests.truth.conftest import AS_OF

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "sql.md"
DM01_SEED = Path(__file__).resolve().parents[2] / "seeds" / "dm01_tests.csv"
LOCAL = "Europe/London"
SCHEDULING_WEEKS = 6  # dbt var scheduling_weeks, the horizon of scheduling_capacity


def cookbook_queries(text: str) -> dict[str, str]:
    """Question heading -> its SQL, from the `## Cookbook` section of docs/sql.md."""
    assert "\n## Cookbook\n" in text, "docs/sql.md has no '## Cookbook' section"
    section = re.split(r"\n## ", text.split("\n## Cookbook\n", 1)[1], maxsplit=1)[0]
    queries = {}
    for block in re.split(r"\n### ", "\n" + section)[1:]:
        title, body = block.split("\n", 1)
        sql = re.findall(r"```sql\n(.*?)```", body, re.DOTALL)
        assert len(sql) == 1, f"{title!r}: {len(sql)} sql blocks (one per question)"
        assert title.strip() not in queries, f"{title!r} asked twice"
        queries[title.strip()] = sql[0]
    return queries


# --------------------------------------------------------------------------- the network


class Published:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._tables: dict[str, pd.DataFrame] = {}

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = self.con.execute(f'select * from "{name}"').df()
        return self._tables[name].copy()

    def exams(self) -> pd.DataFrame:
        """fct_exams without the requests entered in error, which no mart counts (metrics.md)."""
        exams = self.table("fct_exams")
        return exams[exams.entered_in_error_at.isna()]

    def run(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()


@pytest.fixture(scope="module")
def published(truth_home: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("cookbook")
    # publish from a copy: other truth tests hold the restricted file open read-only
    restricted = shutil.copyfile(
        truth_home / "warehouse" / "restricted.duckdb", folder / "restricted.duckdb"
    )
    relations = published_relations(truth_home / "dbt_target" / "manifest.json")
    publish(Path(restricted), folder / "analytics.duckdb", relations, as_of=AS_OF)
    con = duckdb.connect(str(folder / "analytics.duckdb"), read_only=True)
    con.execute(f"set TimeZone = '{LOCAL}'")  # as `wmin sql` opens a session
    yield Published(con)
    con.close()


# --------------------------------------------------------------------------- helpers

LAST_MONTH_FIRST = (AS_OF.replace(day=1) - timedelta(days=1)).replace(day=1)
LAST_MONTH_LAST = AS_OF.replace(day=1) - timedelta(days=1)


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def in_last_month(series: pd.Series) -> pd.Series:
    d = _dates(series)
    return d.notna() & (d >= LAST_MONTH_FIRST) & (d <= LAST_MONTH_LAST)


def is_month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


def last_month_end(dates: pd.Series) -> date:
    return max(d for d in _dates(dates) if is_month_end(d))


def trusts(df: pd.DataFrame) -> pd.DataFrame:
    return df[df.trust_code != "NETWORK"]


def pct(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return 100.0 * numerator / denominator.where(denominator > 0)


def band_weeks(band: str) -> int:
    return int(band.rstrip("+"))


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(object)
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.astype("datetime64[us]")
        elif s.map(lambda v: isinstance(v, date)).any():
            out[col] = pd.to_datetime(s).astype("datetime64[us]")
    return out


def assert_same_answer(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected), (len(actual), len(expected))
    a, e = _comparable(actual), _comparable(expected)
    for col in a.columns:
        if pd.api.types.is_float_dtype(a[col]) and pd.api.types.is_float_dtype(e[col]):
            assert np.allclose(a[col], e[col], rtol=1e-9, atol=1e-9, equal_nan=True), col
        else:
            assert a[col].tolist() == e[col].tolist(), col


# --------------------------------------------------------------------------- the checks
# Each returns the expected answer (columns and row order as the question asks for them).


def earliest_mri(p: Published) -> pd.DataFrame:
    cap = p.table("scheduling_capacity")
    # the local column is the UTC instant read on a UK clock
    local = cap.earliest_free_slot_at.dt.tz_convert(LOCAL).dt.tz_localize(None)
    assert (
        local.fillna(pd.Timestamp(0)) == cap.earliest_free_slot_at_local.fillna(pd.Timestamp(0))
    ).all()
    mri = cap[(cap.modality == "MR") & cap.earliest_free_slot_at.notna()]
    mri = mri.merge(p.table("dim_site")[["site_code", "site_name"]], on="site_code")
    mri = mri.sort_values(["earliest_free_slot_at_local", "site_code"]).head(5)
    return mri[
        [
            "site_code",
            "site_name",
            "earliest_free_slot_at_local",
            "free_slots",
            "est_weeks_to_clear",
        ]
    ]


def waiting_6_weeks_at_month_end(p: Published) -> pd.DataFrame:
    bands = trusts(p.table("waiting_list_bands"))
    census = last_month_end(bands.census_date)
    bands = bands[_dates(bands.census_date) == census]
    bands = bands.assign(six=np.where(bands.weeks_band.map(band_weeks) >= 6, bands.patients, 0))
    out = bands.groupby(["census_date", "trust_code", "dm01_test"], as_index=False).agg(
        total_waiting=("patients", "sum"), waiting_6_plus_weeks=("six", "sum")
    )
    out["pct_waiting_6_plus_weeks"] = pct(out.waiting_6_plus_weeks, out.total_waiting)
    return out.sort_values(["trust_code", "dm01_test"])


def ct_report_times(p: Published) -> pd.DataFrame:
    ex = p.exams()
    ex = ex[(ex.modality == "CT") & in_last_month(ex.test_date) & ex.test_to_report_hours.notna()]
    hours = ex.groupby(["trust_code", "priority"]).test_to_report_hours
    out = pd.DataFrame(
        {
            "exams_reported": hours.size(),
            "median_hours": hours.median(),
            "p90_hours": hours.quantile(0.9),
        }
    ).reset_index()
    return out.sort_values(["trust_code", "priority"])


def backlog_ageing(p: Published) -> pd.DataFrame:
    ex = p.exams()
    tested, cancelled, reported = (
        _dates(ex[c]) for c in ("test_date", "cancelled_date", "report_date")
    )
    open_ = (
        ex.modality.notna()
        & tested.notna()
        & (tested <= AS_OF)
        & (cancelled.isna() | (cancelled > AS_OF))
        & (reported.isna() | (reported > AS_OF))
    )
    ex = ex[open_].assign(age=[(AS_OF - d).days for d in tested[open_]])
    bands = {
        "age_0_2_days": (0, 2),
        "age_3_7_days": (3, 7),
        "age_8_14_days": (8, 14),
        "age_15_28_days": (15, 28),
        "age_over_28_days": (29, 10**6),
    }
    for name, (lo, hi) in bands.items():
        ex[name] = ex.age.between(lo, hi).astype(int)
    out = ex.groupby("trust_code", as_index=False).agg(
        unreported_exams=("age", "size"),
        **{b: (b, "sum") for b in bands},
        oldest_age_days=("age", "max"),
    )
    return out.sort_values(["unreported_exams", "trust_code"], ascending=[False, True])


def dna_rate(p: Published) -> pd.DataFrame:
    use = p.table("scanner_utilisation_daily")
    missed = use[in_last_month(use.date)].groupby("site_code").dna_slots.sum().rename("missed")
    ex = p.exams()
    ex = ex[ex.booked_for.notna() & ex.site_code.notna() & in_last_month(ex.test_date)]
    attended = ex.groupby("site_code").size().rename("attended")
    out = pd.concat([missed, attended], axis=1).fillna(0).reset_index(names="site_code")
    out["dna_rate_pct"] = pct(out.missed, out.missed + out.attended)
    return out.sort_values(
        ["dna_rate_pct", "site_code"], ascending=[False, True], na_position="last"
    )


def capacity_against_demand(p: Published) -> pd.DataFrame:
    cap = p.table("scheduling_capacity")
    out = cap.groupby(["trust_code", "modality"], as_index=False).agg(
        waiting_unbooked=("waiting_unbooked", "max"), free_slots_6_weeks=("free_slots", "sum")
    )
    out = out[out.waiting_unbooked > out.free_slots_6_weeks].copy()
    weekly = out.free_slots_6_weeks / SCHEDULING_WEEKS
    out["weeks_to_clear"] = out.waiting_unbooked / weekly.where(weekly > 0)
    return out.sort_values(
        ["weeks_to_clear", "trust_code", "modality"],
        ascending=[False, True, True],
        na_position="first",
    )


def month_on_month(p: Published) -> pd.DataFrame:
    ex = p.exams()
    ex = ex[ex.test_date.notna() & ex.modality.notna() & ex.priority.notna()]
    month = pd.to_datetime(ex.test_date).dt.to_period("M").dt.to_timestamp()
    out = (
        ex.assign(month=month)
        .groupby(["month", "modality"])
        .size()
        .rename("exams_tested")
        .reset_index()
        .sort_values(["modality", "month"])
    )
    out["change_on_previous_month"] = out.groupby("modality").exams_tested.diff()
    return out


def within_target_by_trust(p: Published) -> pd.DataFrame:
    ex = p.exams()
    ex = ex[in_last_month(ex.test_date) & ex.modality.notna() & ex.priority.notna()]
    as_of_end = pd.Timestamp(AS_OF + timedelta(days=1), tz=LOCAL)
    hours_since_test = (as_of_end - ex.test_at).dt.total_seconds() / 3600
    pending = ex.report_verified_at.isna() & (hours_since_test <= ex.target_hours)
    ex = ex.assign(
        within=ex.reported_within_target.fillna(False).astype(bool).astype(int),
        counted=(~pending).astype(int),
    )
    out = ex.groupby("trust_code", as_index=False).agg(
        reported_within_target=("within", "sum"), exams_counted=("counted", "sum")
    )
    out["reported_within_target_pct"] = pct(out.reported_within_target, out.exams_counted)
    return out.sort_values(
        ["reported_within_target_pct", "trust_code"], ascending=[False, True], na_position="last"
    )


def dm01_month_ends(p: Published) -> pd.DataFrame:
    census = trusts(p.table("waiting_list_census"))
    census = census[[is_month_end(d) for d in _dates(census.census_date)]]
    out = census.groupby(["census_date", "dm01_test"], as_index=False)[
        ["total_waiting", "waiting_6_plus_weeks"]
    ].sum()
    out["pct_waiting_6_plus_weeks"] = pct(out.waiting_6_plus_weeks, out.total_waiting)
    return out.sort_values(["dm01_test", "census_date"])


def mri_weeks_histogram(p: Published) -> pd.DataFrame:
    bands = trusts(p.table("waiting_list_bands"))
    census = last_month_end(bands.census_date)
    bands = bands[(_dates(bands.census_date) == census) & (bands.dm01_test == "MRI")]
    out = bands.groupby("weeks_band", as_index=False).patients.sum()
    return out.sort_values("weeks_band", key=lambda s: s.map(band_weeks))


def outsourced_share(p: Published) -> pd.DataFrame:
    ex = p.exams()
    ex = ex[in_last_month(ex.report_date)]
    ex = ex.assign(outsourced=(ex.reporter_type == "outsourced").astype(int))
    out = ex.groupby("trust_code", as_index=False).agg(
        reports_verified=("outsourced", "size"), reports_outsourced=("outsourced", "sum")
    )
    out["outsourced_pct"] = pct(out.reports_outsourced, out.reports_verified)
    return out.sort_values(["outsourced_pct", "trust_code"], ascending=[False, True])


def site_utilisation(p: Published) -> pd.DataFrame:
    use = p.table("scanner_utilisation_daily")
    use = use[in_last_month(use.date)]
    use = use.merge(p.table("dim_site")[["site_code", "site_name"]], on="site_code")
    out = use.groupby(["site_code", "site_name"], as_index=False)[
        ["available_minutes", "used_in_slots_minutes", "used_outside_slots_minutes"]
    ].sum()
    out["utilisation_pct"] = pct(out.used_in_slots_minutes, out.available_minutes)
    return out.sort_values(
        ["utilisation_pct", "site_code"], ascending=[False, True], na_position="last"
    )


def routine_mri_waits(p: Published) -> pd.DataFrame:
    ex = p.exams()
    ex = ex[in_last_month(ex.test_date) & (ex.modality == "MR") & (ex.priority == "routine")]
    days = ex.groupby("trust_code").request_to_test_days
    out = pd.DataFrame(
        {
            "exams_tested": ex.groupby("trust_code").size(),
            "request_to_test_median_days": days.median(),
            "request_to_test_p90_days": days.quantile(0.9),
        }
    ).reset_index()
    return out.sort_values(
        ["request_to_test_median_days", "trust_code"], ascending=[False, True], na_position="last"
    )


def feed_week(p: Published) -> pd.DataFrame:
    feed = p.table("feed_health_daily")
    feed = feed[_dates(feed.date) > AS_OF - timedelta(days=7)]
    counts = pd.crosstab(feed.trust_code, feed.status).reindex(
        columns=["ok", "late", "missing", "failed"], fill_value=0
    )
    out = pd.DataFrame({"days": feed.groupby("trust_code").size()})
    for status in counts.columns:
        out[f"{status}_days"] = counts[status]
    out["rows_rejected"] = feed.groupby("trust_code").rows_rejected.sum()
    out = out.reset_index()
    out["not_ok"] = out.days - out.ok_days
    return out.sort_values(["not_ok", "trust_code"], ascending=[False, True]).drop(columns="not_ok")


def free_slots_per_dm01_list(p: Published) -> pd.DataFrame:
    modality_of = pd.read_csv(DM01_SEED).set_index("dm01_test").modality  # the seed, not the mart
    census = trusts(p.table("waiting_list_census"))
    census = census[_dates(census.census_date) == AS_OF]
    census = census.assign(modality=census.dm01_test.map(modality_of))
    free = (
        p.table("scheduling_capacity")
        .groupby(["trust_code", "modality"], as_index=False)
        .free_slots.sum()
    )
    out = census.merge(free, on=["trust_code", "modality"], how="left")
    out["free_slots_6_weeks"] = out.free_slots.fillna(0)
    return out.sort_values(["trust_code", "dm01_test"])[
        ["trust_code", "dm01_test", "modality", "total_waiting", "free_slots_6_weeks"]
    ]


PLANNING_WINDOW_WEEKS, TARGET_MEAN_WAIT, RELIEF_WEEKS = 12, 6 / 4, 12  # dbt vars (metrics.md)


def sql_round(values: pd.Series, digits: int) -> pd.Series:
    """DuckDB's round: halves away from zero (pandas rounds them to even)."""
    scale = 10.0**digits
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale


def _weekly_mean(dates: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """Mean count a planning week over the window (weeks end on the as-of date's weekday)."""
    d = pd.to_datetime(dates)
    first = pd.Timestamp(AS_OF) - pd.Timedelta(weeks=PLANNING_WINDOW_WEEKS)
    keep = d.notna() & (d > first) & (d <= pd.Timestamp(AS_OF))
    return keys[keep].value_counts() / PLANNING_WINDOW_WEEKS


def lists_needing_tests(p: Published) -> pd.DataFrame:
    ex = p.exams()
    ex = ex[(ex.activity_category == "waiting_list") & ex.dm01_test.notna()]
    ex = ex[ex.clock_start_date.notna()]
    keys = ex[["trust_code", "dm01_test"]]
    census = trusts(p.table("waiting_list_census"))
    census = census[_dates(census.census_date) == AS_OF].set_index(["trust_code", "dm01_test"])
    # every list with a request in the data (the mart keeps a list's weeks without patients)
    started = ex[_dates(ex.clock_start_date) <= AS_OF]
    lists = pd.MultiIndex.from_frame(started[["trust_code", "dm01_test"]].drop_duplicates())
    out = pd.DataFrame({"waiting": census.total_waiting.reindex(lists).fillna(0)})
    out["added_a_week"] = _weekly_mean(ex.clock_start_date, keys)
    out["tested_a_week"] = _weekly_mean(ex.test_date, keys)
    out = out.fillna({"added_a_week": 0.0, "tested_a_week": 0.0}).reset_index()
    out["queue_load"] = sql_round(
        out.added_a_week / out.tested_a_week.where(out.tested_a_week > 0), 3
    )
    relief = out.added_a_week + (out.waiting - out.added_a_week * TARGET_MEAN_WAIT) / RELIEF_WEEKS
    out["relief_tests_a_week"] = sql_round(relief, 2)
    out["more_tests_a_week"] = sql_round(relief - out.tested_a_week, 2)
    out["added_a_week"] = sql_round(out.added_a_week, 2)
    out["tested_a_week"] = sql_round(out.tested_a_week, 2)
    return out.sort_values(
        ["more_tests_a_week", "trust_code", "dm01_test"], ascending=[False, True, True]
    )


def breaches_in_12_weeks(p: Published) -> pd.DataFrame:
    rows = p.table("waiting_list_projection")
    # week 0 is the list at the as-of date, band by band
    now = rows[rows.weeks_ahead == 0].groupby(["trust_code", "dm01_test"]).projected_patients.sum()
    census = trusts(p.table("waiting_list_census"))
    census = census[_dates(census.census_date) == AS_OF].set_index(["trust_code", "dm01_test"])
    assert (now == census.total_waiting.reindex(now.index)).all()
    later = rows[rows.weeks_ahead == 12]
    six = later[later.min_weeks_waited >= 6].groupby(["trust_code", "dm01_test"]).projected_patients
    out = later.groupby(["trust_code", "dm01_test", "week_end_date"], as_index=False).agg(
        band_sum=("projected_patients", "sum"),
        waiting=("waiting_projected", "first"),
        waiting_6_plus_weeks=("waiting_6_plus_weeks_projected", "first"),
        low=("waiting_6_plus_weeks_low", "first"),
        high=("waiting_6_plus_weeks_high", "first"),
    )
    # the list's and the 6+ figures are the sums of the bands (read from the mart, so the
    # rounding below sees the same doubles as the query's)
    six_sum = six.sum().reindex(pd.MultiIndex.from_frame(out[["trust_code", "dm01_test"]]))
    assert np.allclose(out.band_sum, out.waiting, atol=1e-6)
    assert np.allclose(six_sum.fillna(0).values, out.waiting_6_plus_weeks, atol=1e-6)
    for col in ("waiting", "waiting_6_plus_weeks", "low", "high"):
        out[col] = sql_round(out[col], 1)
    out = out[
        [
            "trust_code",
            "dm01_test",
            "week_end_date",
            "waiting",
            "waiting_6_plus_weeks",
            "low",
            "high",
        ]
    ]
    return out.sort_values(
        ["waiting_6_plus_weeks", "trust_code", "dm01_test"], ascending=[False, True, True]
    )


CHECKS: dict[str, Callable[[Published], pd.DataFrame]] = {
    "Which sites can offer the earliest MRI appointment?": earliest_mri,
    "How many patients were waiting 6 weeks or more for each DM01 test, by trust, at the last "
    "month end?": waiting_6_weeks_at_month_end,
    "What were CT report times by trust and priority last month?": ct_report_times,
    "How old is each trust's reporting backlog at the as-of date?": backlog_ageing,
    "What share of booked appointments did patients miss at each site last month?": dna_rate,
    "Where do waiting patients outnumber the free slots of the next six weeks?": capacity_against_demand,
    "How many exams were done each month by modality, and how did that change on the month "
    "before?": month_on_month,
    "Which trusts reported most exams within their target times last month?": within_target_by_trust,
    "How has the network's DM01 waiting list moved from month end to month end?": dm01_month_ends,
    "How long had the network's MRI patients waited at the last month end, week by week?": mri_weeks_histogram,
    "What share of last month's reports were outsourced, by trust?": outsourced_share,
    "How much of each site's bookable scanner time was used last month?": site_utilisation,
    "How long did routine MRI patients wait from request to test last month, by trust?": routine_mri_waits,
    "How did each trust's feed arrive over the last seven days?": feed_week,
    "How many free slots does each trust have for the patients on each DM01 list?": free_slots_per_dm01_list,
    "Which DM01 lists need more tests a week, and how many, to reach the 6-week target in 12 weeks?": lists_needing_tests,
    "How many patients will be waiting 6 weeks or more in 12 weeks' time if nothing changes?": breaches_in_12_weeks,
}

QUERIES = cookbook_queries(COOKBOOK.read_text(encoding="utf-8"))


def test_every_question_has_a_check() -> None:
    assert len(QUERIES) >= 12
    assert sorted(QUERIES) == sorted(CHECKS), (
        f"questions without a check: {sorted(set(QUERIES) - set(CHECKS))}; "
        f"checks without a question: {sorted(set(CHECKS) - set(QUERIES))}"
    )


@pytest.mark.parametrize("question", sorted(QUERIES))
def test_cookbook_answer_matches_pandas(published: Published, question: str) -> None:
    if question not in CHECKS:
        pytest.fail(f"no check for {question!r}: add one to CHECKS")
    answer = published.run(QUERIES[question])
    assert len(answer) > 0, "the network gives this question no rows: the check would be empty"
    assert_same_answer(answer, CHECKS[question](published))
