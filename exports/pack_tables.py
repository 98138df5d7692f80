"""The board pack's detail tables for one month, read from the published marts and protected
once (`reporting.disclosure`). Each is a `Table` of display values (numbers, None or `*`); the
workbook and the PDF appendix are both drawn from these same tables, so they cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from reporting import disclosure as dc
from reporting.maturity import month_end

NETWORK = dc.NETWORK
MODALITIES = ["XR", "US", "CT", "MR", "FL", "NM", "PET", "MG", "DEXA", "IR"]
PRIORITIES = ["ed", "inpatient", "suspected_cancer", "urgent", "routine", "planned"]
DM01_TESTS = ["MRI", "CT", "NOUS", "DEXA", "BARIUM_ENEMA"]
SOURCE_SETTINGS = {
    "01": "01 admitted inpatient",
    "02": "02 day case",
    "03": "03 outpatient",
    "04": "04 GP direct access",
    "05": "05 A&E",
    "06": "06 other provider",
    "07": "07 other",
}
# thresholds for the completeness assessment (a reader's warning, not a metric)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | count | stat | pct | date | month


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=[c.key for c in self.columns])


# --------------------------------------------------------------------------- helpers
def parse_month(month: str) -> date:
    try:
        y, m = month.split("-")
        d = date(int(y), int(m), 1)
    except (ValueError, AttributeError):
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None
    if len(month) != 7:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return d


def plain(v):
    """numpy/pandas scalars to plain Python; NaN/NA to None."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def network_first(df: pd.DataFrame, **orders: list[str]) -> pd.DataFrame:
    """Sort NETWORK first, then trusts alphabetically, then by the given vocabularies."""
    if df.empty:
        return df
    keys, cols = [], []
    if "trust_code" in df.columns:
        df = df.assign(_t=df["trust_code"].map(lambda t: (0, "") if t == NETWORK else (1, str(t))))
        cols.append("_t")
    for col, vocab in orders.items():
        pos = {v: i for i, v in enumerate(vocab)}
        df = df.assign(**{f"_{col}": df[col].map(lambda v, p=pos: (p.get(v, len(p)), str(v)))})
        cols.append(f"_{col}")
    keys = cols
    return df.sort_values(keys, kind="stable").drop(columns=keys).reset_index(drop=True)


def display_rows(df: pd.DataFrame, columns: list[Column]) -> list[dict]:
    return [{c.key: plain(r[c.key]) for c in columns} for _, r in df.iterrows()]


def protected(df: pd.DataFrame, spec: dc.Spec, suppress: bool) -> pd.DataFrame:
    if df.empty:
        return df
    return dc.protect(df, spec, suppress)


# --------------------------------------------------------------------------- sections
TAT_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("modality", "Modality"),
    Column("priority", "Priority"),
    Column("exams_tested", "Exams tested", "count"),
    Column("request_to_test_median_days", "Request to test median (days)", "stat"),
    Column("request_to_test_p90_days", "Request to test p90 (days)", "stat"),
    Column("exams_reported", "Exams reported", "count"),
    Column("test_to_report_median_days", "Test to report median (days)", "stat"),
    Column("test_to_report_p90_days", "Test to report p90 (days)", "stat"),
    Column("test_to_report_median_hours", "Test to report median (hours)", "stat"),
    Column("reported_within_target_pct", "Reported within target %", "pct"),
    Column("reported_over_28_days", "Reported over 28 days", "count"),
]
TAT_SPEC = dc.MART_RULES["tat_monthly"]


def tat_table(con, m: date, suppress: bool) -> Table:
    df = query(con, "select * from tat_monthly where month = ?", [m])
    df = network_first(df, modality=MODALITIES, priority=PRIORITIES)
    df = protected(df, TAT_SPEC, suppress)
    return Table(
        "TAT",
        "Reporting turnaround by trust, modality and priority",
        TAT_COLUMNS,
        display_rows(df, TAT_COLUMNS),
        "Source: tat_monthly.",
    )


DID_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("modality", "Modality"),
    Column("patient_source_setting", "Patient source setting"),
    Column("exams_tested", "Exams tested", "count"),
    Column("request_to_test_median_days", "Request to test median (days)", "stat"),
    Column("test_to_report_median_days", "Test to report median (days)", "stat"),
]
DID_SPEC = dc.MART_RULES["did_activity_monthly"]


def did_table(con, m: date, suppress: bool) -> tuple[Table, pd.DataFrame]:
    raw = query(con, "select * from did_activity_monthly where month = ?", [m])
    raw = network_first(raw, modality=MODALITIES, patient_source_setting=list(SOURCE_SETTINGS))
    df = protected(raw, DID_SPEC, suppress)
    return (
        Table(
            "DID activity",
            "DID activity by trust, modality and patient source setting",
            DID_COLUMNS,
            display_rows(df, DID_COLUMNS),
            "Source: did_activity_monthly. Test-to-report medians are suppressed on the "
            "exams-tested base (the mart does not publish a reported count).",
        ),
        raw,
    )


def did_pivot(raw: pd.DataFrame, suppress: bool) -> Table:
    """Trust x modality rows, patient source settings as columns, total from exact counts."""
    settings = [
        s for s in SOURCE_SETTINGS if not raw.empty and s in set(raw["patient_source_setting"])
    ]
    cols = [Column("trust_code", "Trust"), Column("modality", "Modality")]
    cols += [Column(f"s{s}", SOURCE_SETTINGS[s], "count") for s in settings]
    cols.append(Column("total", "Total", "count"))
    rows = []
    if not raw.empty:
        for (trust, mod), g in raw.groupby(["trust_code", "modality"], sort=False):
            s = suppress and trust != NETWORK
            row = {"trust_code": trust, "modality": mod}
            by = dict(zip(g["patient_source_setting"], g["exams_tested"]))
            for st in settings:
                row[f"s{st}"] = dc.count(by.get(st), s) if st in by else None
            row["total"] = dc.total(g["exams_tested"], s)
            rows.append(row)
    return Table(
        "DID pivot",
        "DID exams tested by patient source setting",
        cols,
        rows,
        "Totals are protected from exact sums, so they need not equal the sum of the "
        "rounded cells.",
    )


DM01_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("dm01_test", "DM01 test"),
    Column("total_waiting", "Waiting at census", "count"),
    Column("waiting_6_plus_weeks", "Waiting 6+ weeks", "count"),
    Column("pct_waiting_6_plus_weeks", "% waiting 6+ weeks", "pct"),
    Column("waiting_13_plus_weeks", "Waiting 13+ weeks", "count"),
    Column("median_weeks_waited", "Median weeks waited", "stat"),
    Column("waiting_list_tests", "Waiting-list tests", "count"),
    Column("planned_tests", "Planned tests", "count"),
    Column("unscheduled_tests", "Unscheduled tests", "count"),
]
DM01_SPEC = dc.Spec(
    counts=(
        "total_waiting",
        "waiting_6_plus_weeks",
        "waiting_13_plus_weeks",
        "waiting_list_tests",
        "planned_tests",
        "unscheduled_tests",
    ),
    statistics={"median_weeks_waited": "total_waiting"},
    percentages={"pct_waiting_6_plus_weeks": ("waiting_6_plus_weeks", "total_waiting")},
)


def census_date_for(con, m: date) -> date | None:
    v = con.execute(
        "select max(census_date) from waiting_list_census where census_date between ? and ?",
        [m, month_end(m)],
    ).fetchone()[0]
    return v


def dm01_table(con, m: date, suppress: bool) -> Table:
    c = census_date_for(con, m)
    census = query(
        con,
        "select census_date, trust_code, dm01_test, total_waiting, waiting_6_plus_weeks, "
        "waiting_13_plus_weeks, pct_waiting_6_plus_weeks, median_weeks_waited "
        "from waiting_list_census where census_date = ?",
        [c],
    )
    act = query(
        con,
        "select trust_code, dm01_test, waiting_list_tests, planned_tests, unscheduled_tests "
        "from dm01_activity_monthly where month = ?",
        [m],
    )
    df = census.drop(columns="census_date").merge(act, on=["trust_code", "dm01_test"], how="outer")
    df = network_first(df, dm01_test=DM01_TESTS)
    df = protected(df, DM01_SPEC, suppress)
    return Table(
        "DM01",
        f"DM01 waiting list at census {c.isoformat() if c else 'n/a'} and the month's "
        "DM01 activity",
        DM01_COLUMNS,
        display_rows(df, DM01_COLUMNS),
        "Sources: waiting_list_census, dm01_activity_monthly. Standard: no more than 1% "
        "waiting 6+ weeks (interim ambition 5%).",
    )


BACKLOG_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("modality", "Modality"),
    Column("unreported_exams", "Unreported exams", "count"),
    Column("age_0_2_days", "0-2 days", "count"),
    Column("age_3_7_days", "3-7 days", "count"),
    Column("age_8_14_days", "8-14 days", "count"),
    Column("age_15_28_days", "15-28 days", "count"),
    Column("age_over_28_days", "Over 28 days", "count"),
    Column("oldest_age_days", "Oldest (days)", "stat"),
]
BACKLOG_SPEC = dc.Spec(
    counts=(
        "unreported_exams",
        "age_0_2_days",
        "age_3_7_days",
        "age_8_14_days",
        "age_15_28_days",
        "age_over_28_days",
    ),
    statistics={"oldest_age_days": "unreported_exams"},
)


def backlog_date_for(con, m: date) -> date | None:
    return con.execute(
        "select max(as_of_date) from reporting_backlog where as_of_date between ? and ?",
        [m, month_end(m)],
    ).fetchone()[0]


def backlog_table(con, m: date, suppress: bool) -> Table:
    d = backlog_date_for(con, m)
    df = (
        query(con, "select * from reporting_backlog where as_of_date = ?", [d])
        if d
        else pd.DataFrame()
    )
    df = network_first(df, modality=MODALITIES)
    df = protected(df, BACKLOG_SPEC, suppress)
    note = (
        "Source: reporting_backlog."
        if d
        else "No backlog snapshot of this month is published (the mart keeps recent days only)."
    )
    return Table(
        "Backlog",
        f"Reporting backlog at the end of {d.isoformat() if d else 'n/a'}",
        BACKLOG_COLUMNS,
        display_rows(df, BACKLOG_COLUMNS) if d else [],
        note,
    )


OUTSOURCING_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("modality", "Modality"),
    Column("weeks", "Weeks"),
    Column("exams_tested", "Exams tested", "count"),
    Column("reports_verified", "Reports verified", "count"),
    Column("reports_outsourced", "Reports outsourced", "count"),
    Column("outsourced_pct", "% outsourced", "pct"),
    Column("backlog_change", "Backlog change", "count"),
]
OUTSOURCING_SPEC = dc.Spec(
    counts=("exams_tested", "reports_verified", "reports_outsourced", "backlog_change"),
    percentages={"outsourced_pct": ("reports_outsourced", "reports_verified")},
)


def outsourcing_frame(con, m: date) -> pd.DataFrame:
    return query(
        con,
        """
        select trust_code, modality, count(*)::int as weeks, sum(exams_tested)::bigint as exams_tested,
               sum(reports_verified)::bigint as reports_verified,
               sum(reports_outsourced)::bigint as reports_outsourced,
               sum(backlog_change)::bigint as backlog_change
        from reporting_throughput_weekly where week between ? and ?
        group by trust_code, modality""",
        [m, month_end(m)],
    )


def outsourcing_table(con, m: date, suppress: bool) -> Table:
    df = outsourcing_frame(con, m)
    if not df.empty:
        df["outsourced_pct"] = [
            round(100.0 * o / v, 1) if v else None
            for o, v in zip(df["reports_outsourced"], df["reports_verified"])
        ]
    df = network_first(df, modality=MODALITIES)
    df = protected(df, OUTSOURCING_SPEC, suppress)
    return Table(
        "Outsourcing",
        "Reporting throughput and outsourcing (weeks beginning in the month)",
        OUTSOURCING_COLUMNS,
        display_rows(df, OUTSOURCING_COLUMNS),
        "Source: reporting_throughput_weekly, weeks (Monday) beginning in the month.",
    )


DQ_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("measure", "Check"),
    Column("denominator", "Records checked", "count"),
    Column("numerator", "Records passing", "count"),
    Column("failing", "Records failing", "count"),
    Column("passing_pct", "% passing", "pct"),
]
DQ_SPEC = dc.Spec(
    counts=("denominator", "numerator", "failing"),
    percentages={"passing_pct": ("numerator", "denominator")},
)


def dq_frame(con, m: date, have: set[str]) -> pd.DataFrame:
    if "dq_scorecard_monthly" not in have:
        return pd.DataFrame(columns=["trust_code", "measure", "numerator", "denominator", "rate"])
    return query(
        con,
        "select trust_code, measure, numerator, denominator, rate "
        "from dq_scorecard_monthly where month = ?",
        [m],
    )


def dq_table(raw: pd.DataFrame, suppress: bool) -> Table:
    df = raw.copy()
    if not df.empty:
        df["failing"] = df["denominator"] - df["numerator"]
        df["passing_pct"] = [round(100.0 * r, 1) if pd.notna(r) else None for r in df["rate"]]
    df = network_first(df)
    df = protected(df, DQ_SPEC, suppress)
    return Table(
        "Data quality",
        "Data quality checks by trust",
        DQ_COLUMNS,
        display_rows(df, DQ_COLUMNS),
        "Source: dq_scorecard_monthly."
        if not raw.empty
        else "dq_scorecard_monthly is not published in this database.",
    )
