"""The board's headline measures month by month, per trust and for the network, judged by SPC.

`measure_frame` reads one measure's monthly values from the published marts (NETWORK rows are
computed from exams, never by averaging trusts); `spc_table` puts one trust's series through
`reporting.spc.xmr` with each immature month left out for its reason (`reporting.maturity`);
`judgements` reads every trust x measure the way Making Data Count's summary matrix does.
The board pack and the app call these, so both judge a month the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from reporting import maturity, spc
from reporting.measures import (
    DM01_WAITING,
    DM01_WAITING_6_WEEKS_PCT,
    EXAMS_PER_WORKING_DAY,
    EXAMS_TESTED,
    REPORTED_OVER_28_DAYS_PCT,
    REPORTED_WITHIN_TARGET_PCT,
    REQUEST_TO_TEST_MEDIAN_DAYS,
    TEST_TO_REPORT_MEDIAN_HOURS,
    TEST_TO_REPORT_P90_HOURS,
    Measure,
)

NETWORK = maturity.NETWORK
# Request-to-test in whole days is not among them: a median of whole days moves in steps of a
# day, so runs of equal months read as shifts; DM01's 6-week measure judges access instead.
# Turnaround is the 90th percentile with unreported exams at their age, not the median of
# reported exams: most exams are reported within hours whatever the backlog, so a median of
# those reported did not move when a trust's reporting capacity was halved (the routine exams
# left waiting are not in it); the tail, with the waiting exams in it, moved a hundredfold.
PACK_MEASURES: tuple[Measure, ...] = (
    EXAMS_PER_WORKING_DAY,
    TEST_TO_REPORT_P90_HOURS,
    REPORTED_WITHIN_TARGET_PCT,
    REPORTED_OVER_28_DAYS_PCT,
    DM01_WAITING,
    DM01_WAITING_6_WEEKS_PCT,
)

# the exams tat_monthly counts: tested, with a modality and a priority, not entered in error
_TESTED_EXAMS = (
    "test_date is not null and modality is not null and priority is not null "
    "and status is distinct from 'entered_in_error'"
)
_TAT = """
    select trust_code, month, sum(exams_tested) as exams_tested,
           sum(reported_over_28_days) as over_28, sum(reported_within_target) as within_target,
           sum(within_target_denominator) as target_denominator
    from tat_monthly group by trust_code, month"""
_MEDIAN_FROM_EXAMS = """
    select coalesce(trust_code, 'NETWORK') as trust_code, month, value from (
        select trust_code, cast(date_trunc('month', test_date) as date) as month,
               quantile_cont({column}, 0.5) as value
        from fct_exams where {tested}
        group by grouping sets ((trust_code, month), (month)))"""
# an unreported exam counts at its age at the end of the as-of day (`?`, an instant)
_P90_WITH_UNREPORTED = f"""
    select coalesce(trust_code, 'NETWORK') as trust_code, month, value from (
        select trust_code, cast(date_trunc('month', test_date) as date) as month,
               quantile_cont(coalesce(test_to_report_hours,
                   date_diff('second', coalesce(exam_started_at, exam_completed_at), ?) / 3600.0),
                   0.9) as value
        from fct_exams where {_TESTED_EXAMS} and status not in ('cancelled', 'did_not_attend')
        group by grouping sets ((trust_code, month), (month)))"""
_CENSUS = """
    select trust_code, cast(date_trunc('month', census_date) as date) as month,
           sum(total_waiting) as waiting, sum(waiting_6_plus_weeks) as waiting_6
    from waiting_list_census
    where census_date = last_day(census_date)
    group by trust_code, census_date"""
_WORKING_DAYS = """
    select cast(month as date) as month, count(*) filter (where is_working_day) as working_days
    from dim_date group by month"""

_SQL = {
    EXAMS_TESTED.key: f"select trust_code, month, exams_tested as value from ({_TAT})",
    EXAMS_PER_WORKING_DAY.key: f"""
        select t.trust_code, t.month, t.exams_tested / nullif(w.working_days, 0) as value
        from ({_TAT}) t join ({_WORKING_DAYS}) w using (month)""",
    REQUEST_TO_TEST_MEDIAN_DAYS.key: _MEDIAN_FROM_EXAMS.format(
        column="request_to_test_days", tested=_TESTED_EXAMS
    ),
    TEST_TO_REPORT_MEDIAN_HOURS.key: _MEDIAN_FROM_EXAMS.format(
        column="test_to_report_hours", tested=_TESTED_EXAMS
    ),
    TEST_TO_REPORT_P90_HOURS.key: _P90_WITH_UNREPORTED,
    REPORTED_WITHIN_TARGET_PCT.key: f"""
        select trust_code, month, 100.0 * within_target / nullif(target_denominator, 0) as value
        from ({_TAT})""",
    REPORTED_OVER_28_DAYS_PCT.key: f"""
        select trust_code, month, 100.0 * over_28 / nullif(exams_tested, 0) as value from ({_TAT})""",
    DM01_WAITING.key: f"select trust_code, month, waiting as value from ({_CENSUS})",
    DM01_WAITING_6_WEEKS_PCT.key: f"""
        select trust_code, month, 100.0 * waiting_6 / nullif(waiting, 0) as value from ({_CENSUS})""",
}


def measure_frame(con: duckdb.DuckDBPyConnection, measure: Measure) -> pd.DataFrame:
    """trust_code (NETWORK included), month (date), value: every published month of the measure."""
    if measure.key not in _SQL:
        raise KeyError(f"no monthly series is defined for the measure {measure.key!r}")
    sql = _SQL[measure.key]
    params = [maturity.as_of_end(maturity.published_as_of(con))] if "?" in sql else []
    frame = con.execute(f"select * from ({sql}) order by trust_code, month", params).df()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame["value"] = frame["value"].astype("float64")
    return frame


def spc_table(
    con: duckdb.DuckDBPyConnection,
    measure: Measure,
    trust_code: str = NETWORK,
    as_of: date | None = None,
    frame: pd.DataFrame | None = None,
    feed_starts: dict[str, date] | None = None,
    last_months: int | None = None,
) -> pd.DataFrame:
    """The `reporting.spc.xmr` table of one trust's monthly series, months in order.

    Every month from the trust's first published month to the last is a row (a gap is a row
    with no value); months in the feed's run-in, incomplete or not mature for the measure at
    `as_of` (default: the published as-of date) are left out with their reason.
    last_months keeps only the newest N months (the baseline is then the first 12 judged of them)."""
    as_of = as_of or maturity.published_as_of(con)
    starts = feed_starts if feed_starts is not None else maturity.feed_starts(con)
    frame = frame if frame is not None else measure_frame(con, measure)
    series = frame[frame["trust_code"] == trust_code].set_index("month")["value"]
    if series.empty:
        return spc.xmr([], [])
    months, k = [], min(series.index)
    while k <= max(series.index):
        months.append(k)
        k = maturity.add_months(k, 1)
    if last_months is not None:
        months = months[-last_months:]
    start = starts.get(trust_code)
    reasons = [maturity.left_out_reason(m, as_of, start, measure.maturity_days) for m in months]
    values = [series.get(m) for m in months]
    return spc.xmr(values, months, reasons, floor=measure.floor, ceiling=measure.ceiling)


@dataclass(frozen=True)
class Chart:
    """One trust's series of one measure, its XmR table and Making Data Count's judgement."""

    measure: Measure
    trust_code: str
    table: pd.DataFrame
    judgement: spc.Judgement

    def judged(self) -> pd.DataFrame:
        return self.table[self.table["judged"]]

    def left_out(self) -> list[tuple[date, str]]:
        """(month, reason) of every month left out of the judgement, in order."""
        rows = self.table[~self.table["judged"]]
        return [(m, str(r)) for m, r in zip(rows["label"], rows["left_out"])]


def charts(
    con: duckdb.DuckDBPyConnection,
    measures: tuple[Measure, ...] = PACK_MEASURES,
    as_of: date | None = None,
    until: date | None = None,
    last_months: int | None = None,
) -> list[Chart]:
    """A Chart per measure x trust (NETWORK first, then by code).

    until: months after it are cut before judging, so a pack for an earlier month reads as it
    would have then (maturity is still judged at `as_of`)."""
    as_of = as_of or maturity.published_as_of(con)
    starts = maturity.feed_starts(con)
    out = []
    for measure in measures:
        frame = measure_frame(con, measure)
        if until is not None:
            frame = frame[frame["month"] <= until]
        for trust in sorted(set(frame["trust_code"]), key=lambda t: (t != NETWORK, t)):
            table = spc_table(con, measure, trust, as_of, frame, starts, last_months)
            out.append(
                Chart(measure, trust, table, spc.judge(table, measure.improvement, measure.target))
            )
    return out


def judgements(
    con: duckdb.DuckDBPyConnection,
    measures: tuple[Measure, ...] = PACK_MEASURES,
    as_of: date | None = None,
    until: date | None = None,
    last_months: int | None = None,
) -> pd.DataFrame:
    """One row per measure x trust (NETWORK first): the latest judged month and value, MDC
    variation and assurance, the process limits and the months flagged."""
    rows = [
        {
            "trust_code": c.trust_code,
            "measure": c.measure.key,
            "label": c.measure.label,
            "unit": c.measure.unit,
            "latest_month": c.judgement.latest_label,
            "latest_value": c.judgement.latest_value,
            "mean": c.judgement.mean,
            "lnpl": c.judgement.lnpl,
            "unpl": c.judgement.unpl,
            "variation": c.judgement.variation,
            "assurance": c.judgement.assurance,
            "target": c.measure.target,
            "judged_months": int(c.table["judged"].sum()),
            "flagged_months": spc.flagged_labels(c.table),
        }
        for c in charts(con, measures, as_of, until, last_months)
    ]
    return pd.DataFrame(rows)
