"""The board pack's figures, read from the published database and protected once.

Every table of the pack is built here as a `Table` of display values (numbers, None or `*`);
the workbook and the PDF are both drawn from these same tables, so they cannot disagree.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from reporting import disclosure as dc
from exports.xmr import Xmr, xmr

LONDON = ZoneInfo("Europe/London")
NETWORK = dc.NETWORK
MODALITIES = ["XR", "US", "CT", "MR", "FL", "NM", "PET", "MG", "DEXA", "IR"]
PRIORITIES = ["ed", "inpatient", "suspected_cancer", "urgent", "routine", "planned"]
DM01_TESTS = ["MRI", "CT", "NOUS", "DEXA", "BARIUM_ENEMA"]
SOURCE_SETTINGS = {"01": "01 admitted inpatient", "02": "02 day case", "03": "03 outpatient",
                   "04": "04 GP direct access", "05": "05 A&E", "06": "06 other provider",
                   "07": "07 other"}
# thresholds for the completeness assessment (a reader's warning, not a metric)
VOLUME_LOW_PCT = 90.0
DQ_LOW_PCT = 95.0


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | count | stat | pct


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=[c.key for c in self.columns])


@dataclass
class Headline:
    measure: str
    kind: str  # count | pct
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 1 if self.kind == "pct" else 0)

    @property
    def change_pct(self) -> float | None:
        if self.kind == "pct" or self.change is None or not self.previous:
            return None
        return round(100.0 * self.change / self.previous, 1)


@dataclass
class SpcSeries:
    measure: str
    unit: str
    labels: list[str]
    values: list[float]
    chart: Xmr
    left_out: list[str] = field(default_factory=list)


@dataclass
class PackData:
    month: date
    month_label: str
    suppress: bool
    published_at: datetime | None
    as_of_date: date | None
    window_start: date | None
    window_end: date | None
    partial_month: bool
    headlines: list[Headline]
    tables: dict[str, Table]
    spc: list[SpcSeries]
    trust_names: dict[str, str]
    notes: list[str] = field(default_factory=list)


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


def month_end(m: date) -> date:
    return date(m.year, m.month, calendar.monthrange(m.year, m.month)[1])


def add_months(m: date, k: int) -> date:
    i = m.year * 12 + m.month - 1 + k
    return date(i // 12, i % 12 + 1, 1)


def _py(v):
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


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _order(df: pd.DataFrame, **orders: list[str]) -> pd.DataFrame:
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


def _rows(df: pd.DataFrame, columns: list[Column]) -> list[dict]:
    return [{c.key: _py(r[c.key]) for c in columns} for _, r in df.iterrows()]


def _protect(df: pd.DataFrame, spec: dc.Spec, suppress: bool) -> pd.DataFrame:
    if df.empty:
        return df
    return dc.protect(df, spec, suppress)


# --------------------------------------------------------------------------- sections
TAT_COLUMNS = [
    Column("trust_code", "Trust"), Column("modality", "Modality"), Column("priority", "Priority"),
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
    df = _df(con, "select * from tat_monthly where month = ?", [m])
    df = _order(df, modality=MODALITIES, priority=PRIORITIES)
    df = _protect(df, TAT_SPEC, suppress)
    return Table("TAT", "Reporting turnaround by trust, modality and priority", TAT_COLUMNS,
                 _rows(df, TAT_COLUMNS), "Source: tat_monthly.")


DID_COLUMNS = [
    Column("trust_code", "Trust"), Column("modality", "Modality"),
    Column("patient_source_setting", "Patient source setting"),
    Column("exams_tested", "Exams tested", "count"),
    Column("request_to_test_median_days", "Request to test median (days)", "stat"),
    Column("test_to_report_median_days", "Test to report median (days)", "stat"),
]
DID_SPEC = dc.Spec(counts=("exams_tested",),
                   statistics={"request_to_test_median_days": "exams_tested",
                               "test_to_report_median_days": "exams_tested"})


def did_table(con, m: date, suppress: bool) -> tuple[Table, pd.DataFrame]:
    raw = _df(con, "select * from did_activity_monthly where month = ?", [m])
    raw = _order(raw, modality=MODALITIES, patient_source_setting=list(SOURCE_SETTINGS))
    df = _protect(raw, DID_SPEC, suppress)
    return (Table("DID activity", "DID activity by trust, modality and patient source setting",
                  DID_COLUMNS, _rows(df, DID_COLUMNS),
                  "Source: did_activity_monthly. Test-to-report medians are suppressed on the "
                  "exams-tested base (the mart does not publish a reported count)."), raw)


def did_pivot(raw: pd.DataFrame, suppress: bool) -> Table:
    """Trust x modality rows, patient source settings as columns, total from exact counts."""
    settings = [s for s in SOURCE_SETTINGS if not raw.empty and s in set(raw["patient_source_setting"])]
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
    return Table("DID pivot", "DID exams tested by patient source setting", cols, rows,
                 "Totals are protected from exact sums, so they need not equal the sum of the "
                 "rounded cells.")


DM01_COLUMNS = [
    Column("trust_code", "Trust"), Column("dm01_test", "DM01 test"),
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
    counts=("total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks", "waiting_list_tests",
            "planned_tests", "unscheduled_tests"),
    statistics={"median_weeks_waited": "total_waiting"},
    percentages={"pct_waiting_6_plus_weeks": ("waiting_6_plus_weeks", "total_waiting")},
)


def census_date_for(con, m: date) -> date | None:
    v = con.execute("select max(census_date) from waiting_list_census where census_date between ? and ?",
                    [m, month_end(m)]).fetchone()[0]
    return v


def dm01_table(con, m: date, suppress: bool) -> Table:
    c = census_date_for(con, m)
    census = _df(con, "select census_date, trust_code, dm01_test, total_waiting, waiting_6_plus_weeks, "
                      "waiting_13_plus_weeks, pct_waiting_6_plus_weeks, median_weeks_waited "
                      "from waiting_list_census where census_date = ?", [c])
    act = _df(con, "select trust_code, dm01_test, waiting_list_tests, planned_tests, unscheduled_tests "
                   "from dm01_activity_monthly where month = ?", [m])
    df = census.drop(columns="census_date").merge(act, on=["trust_code", "dm01_test"], how="outer")
    df = _order(df, dm01_test=DM01_TESTS)
    df = _protect(df, DM01_SPEC, suppress)
    return Table("DM01", f"DM01 waiting list at census {c.isoformat() if c else 'n/a'} and the month's "
                 "DM01 activity", DM01_COLUMNS, _rows(df, DM01_COLUMNS),
                 "Sources: waiting_list_census, dm01_activity_monthly. Standard: no more than 1% "
                 "waiting 6+ weeks (interim ambition 5%).")


BACKLOG_COLUMNS = [
    Column("trust_code", "Trust"), Column("modality", "Modality"),
    Column("unreported_exams", "Unreported exams", "count"),
    Column("age_0_2_days", "0-2 days", "count"), Column("age_3_7_days", "3-7 days", "count"),
    Column("age_8_14_days", "8-14 days", "count"), Column("age_15_28_days", "15-28 days", "count"),
    Column("age_over_28_days", "Over 28 days", "count"),
    Column("oldest_age_days", "Oldest (days)", "stat"),
]
BACKLOG_SPEC = dc.Spec(
    counts=("unreported_exams", "age_0_2_days", "age_3_7_days", "age_8_14_days", "age_15_28_days",
            "age_over_28_days"),
    statistics={"oldest_age_days": "unreported_exams"})


def backlog_date_for(con, m: date) -> date | None:
    return con.execute("select max(as_of_date) from reporting_backlog where as_of_date between ? and ?",
                       [m, month_end(m)]).fetchone()[0]


def backlog_table(con, m: date, suppress: bool) -> Table:
    d = backlog_date_for(con, m)
    df = _df(con, "select * from reporting_backlog where as_of_date = ?", [d]) if d else pd.DataFrame()
    df = _order(df, modality=MODALITIES)
    df = _protect(df, BACKLOG_SPEC, suppress)
    note = "Source: reporting_backlog." if d else \
        "No backlog snapshot of this month is published (the mart keeps recent days only)."
    return Table("Backlog", f"Reporting backlog at the end of {d.isoformat() if d else 'n/a'}",
                 BACKLOG_COLUMNS, _rows(df, BACKLOG_COLUMNS) if d else [], note)


OUTSOURCING_COLUMNS = [
    Column("trust_code", "Trust"), Column("modality", "Modality"),
    Column("weeks", "Weeks"),
    Column("exams_tested", "Exams tested", "count"),
    Column("reports_verified", "Reports verified", "count"),
    Column("reports_outsourced", "Reports outsourced", "count"),
    Column("outsourced_pct", "% outsourced", "pct"),
    Column("backlog_change", "Backlog change", "count"),
]
OUTSOURCING_SPEC = dc.Spec(
    counts=("exams_tested", "reports_verified", "reports_outsourced", "backlog_change"),
    percentages={"outsourced_pct": ("reports_outsourced", "reports_verified")})


def outsourcing_frame(con, m: date) -> pd.DataFrame:
    return _df(con, """
        select trust_code, modality, count(*)::int as weeks, sum(exams_tested)::bigint as exams_tested,
               sum(reports_verified)::bigint as reports_verified,
               sum(reports_outsourced)::bigint as reports_outsourced,
               sum(backlog_change)::bigint as backlog_change
        from reporting_throughput_weekly where week between ? and ?
        group by trust_code, modality""", [m, month_end(m)])


def outsourcing_table(con, m: date, suppress: bool) -> Table:
    df = outsourcing_frame(con, m)
    if not df.empty:
        df["outsourced_pct"] = [round(100.0 * o / v, 1) if v else None
                                for o, v in zip(df["reports_outsourced"], df["reports_verified"])]
    df = _order(df, modality=MODALITIES)
    df = _protect(df, OUTSOURCING_SPEC, suppress)
    return Table("Outsourcing", "Reporting throughput and outsourcing (weeks beginning in the month)",
                 OUTSOURCING_COLUMNS, _rows(df, OUTSOURCING_COLUMNS),
                 "Source: reporting_throughput_weekly, weeks (Monday) beginning in the month.")


DQ_COLUMNS = [
    Column("trust_code", "Trust"), Column("measure", "Check"),
    Column("denominator", "Records checked", "count"), Column("numerator", "Records passing", "count"),
    Column("failing", "Records failing", "count"), Column("passing_pct", "% passing", "pct"),
]
DQ_SPEC = dc.Spec(counts=("denominator", "numerator", "failing"),
                  percentages={"passing_pct": ("numerator", "denominator")})


def dq_frame(con, m: date, have: set[str]) -> pd.DataFrame:
    if "dq_scorecard_monthly" not in have:
        return pd.DataFrame(columns=["trust_code", "measure", "numerator", "denominator", "rate"])
    return _df(con, "select trust_code, measure, numerator, denominator, rate "
                    "from dq_scorecard_monthly where month = ?", [m])


def dq_table(raw: pd.DataFrame, suppress: bool) -> Table:
    df = raw.copy()
    if not df.empty:
        df["failing"] = df["denominator"] - df["numerator"]
        df["passing_pct"] = [round(100.0 * r, 1) if pd.notna(r) else None for r in df["rate"]]
    df = _order(df)
    df = _protect(df, DQ_SPEC, suppress)
    return Table("Data quality", "Data quality checks by trust", DQ_COLUMNS, _rows(df, DQ_COLUMNS),
                 "Source: dq_scorecard_monthly." if not raw.empty else
                 "dq_scorecard_monthly is not published in this database.")


COMPLETENESS_COLUMNS = [
    Column("trust_code", "Trust"), Column("trust_name", "Trust name"),
    Column("exams_tested", "Exams tested", "count"),
    Column("expected_exams", "Expected (3-month mean)", "count"),
    Column("volume_pct", "Volume vs expected %", "pct"),
    Column("feed_days", "Days with a feed file"),
    Column("rows_rejected_pct", "Rows rejected %", "pct"),
    Column("lowest_dq", "Lowest data-quality check"),
    Column("lowest_dq_pct", "Lowest check % passing", "pct"),
    Column("feed_status_as_of", "Feed on as-of date"),
    Column("assessment", "Assessment"),
]


def completeness_table(con, m: date, as_of: date | None, window_start: date | None,
                       dq: pd.DataFrame, names: dict[str, str], have: set[str], suppress: bool) -> Table:
    """Per trust: volume against its own recent months, feed days, rejected rows and the weakest
    data-quality check, with a plain-words assessment of whether the month's figures rest on thin
    data."""
    end = month_end(m)
    covered_to = min(end, as_of) if as_of else end
    covered_from = max(m, window_start) if window_start else m
    days_in_month = end.day
    days_covered = max(0, (covered_to - covered_from).days + 1)
    share = days_covered / days_in_month
    vol = _df(con, "select month, trust_code, sum(exams_tested)::bigint as n from tat_monthly "
                   "where month between ? and ? group by month, trust_code", [add_months(m, -3), m])
    feed = pd.DataFrame()
    if "feed_health_daily" in have:
        feed = _df(con, "select date, trust_code, files_received, rows_read, rows_rejected, status "
                        "from feed_health_daily where date between ? and ?", [m, end])
        status_as_of = dict(con.execute(
            "select trust_code, status from feed_health_daily where date = ?", [as_of]).fetchall()) if as_of else {}
    else:
        status_as_of = {}
    trusts = sorted(set(vol["trust_code"]) - {NETWORK})
    rows = []
    for code in [NETWORK] + trusts:
        s = suppress and code != NETWORK
        v = vol[vol["trust_code"] == code]
        cur = v.loc[v["month"] == pd.Timestamp(m), "n"]
        n = int(cur.iloc[0]) if len(cur) else 0
        prev = v[v["month"] < pd.Timestamp(m)]["n"]
        expected = round(float(prev.mean()) * share) if len(prev) else None
        reasons = []
        volume_pct = None
        if expected:
            exact_pct = 100.0 * n / expected
            volume_pct = dc.percentage(n, expected, s)
            if exact_pct < VOLUME_LOW_PCT:
                reasons.append(f"volume {exact_pct:.0f}% of expected")
        if share < 1:
            reasons.append(f"partial month ({days_covered} of {days_in_month} days)")
        f = feed[feed["trust_code"] == code] if not feed.empty else feed
        feed_days = rej_pct = None
        if code != NETWORK and not feed.empty:
            with_file = int((f["files_received"] > 0).sum())
            feed_days = f"{with_file} of {len(f)}" if len(f) else "no feed records"
            if len(f) and with_file < len(f):
                reasons.append(f"no file on {len(f) - with_file} day(s)")
            read, rejected = int(f["rows_read"].sum()), int(f["rows_rejected"].sum())
            rej_pct = dc.percentage(rejected, read, s)
            if read and rejected / read > 0.02:
                reasons.append(f"{100 * rejected / read:.1f}% rows rejected")
        elif code != NETWORK:
            feed_days = "feed health not published for this month"
        d = dq[dq["trust_code"] == code] if not dq.empty else dq
        low_name = low_pct = None
        if not d.empty and d["rate"].notna().any():
            worst = d.loc[d["rate"].idxmin()]
            low_name = str(worst["measure"])
            low_pct = dc.percentage(worst["numerator"], worst["denominator"], s)
            if float(worst["rate"]) * 100 < DQ_LOW_PCT:
                reasons.append(f"{low_name} {100 * float(worst['rate']):.1f}% passing")
        st = status_as_of.get(code)
        if st and st != "ok" and as_of is not None and m <= as_of <= end:
            reasons.append(f"feed {st} on the as-of date")
        rows.append({
            "trust_code": code, "trust_name": names.get(code, "whole network" if code == NETWORK else ""),
            "exams_tested": dc.count(n, s), "expected_exams": dc.count(expected, s),
            "volume_pct": volume_pct, "feed_days": feed_days, "rows_rejected_pct": rej_pct,
            "lowest_dq": low_name, "lowest_dq_pct": low_pct,
            "feed_status_as_of": st if code != NETWORK else None,
            "assessment": "complete" if not reasons else "CAUTION: " + "; ".join(reasons),
        })
    return Table("Completeness", "Completeness per trust: which figures rest on thin data",
                 COMPLETENESS_COLUMNS, rows,
                 f"Expected = mean of the trust's previous 3 months x share of the month covered "
                 f"({days_covered}/{days_in_month} days). Caution when volume < {VOLUME_LOW_PCT:.0f}% "
                 f"of expected, a check < {DQ_LOW_PCT:.0f}% passing, rows rejected > 2%, a day "
                 f"without a file, or a late/missing/failed feed.")


# --------------------------------------------------------------------------- headline + SPC
def _network_month(con, m: date) -> dict[str, float | None]:
    """The network's headline figures for one month (exact sums of NETWORK rows)."""
    out: dict[str, float | None] = {}
    r = con.execute("""select sum(exams_tested), sum(exams_reported), sum(reported_over_28_days)
                       from tat_monthly where trust_code = 'NETWORK' and month = ?""", [m]).fetchone()
    out["exams_tested"], out["exams_reported"], out["over_28"] = (_py(x) for x in r)
    c = census_date_for(con, m)
    r = con.execute("""select sum(total_waiting), sum(waiting_6_plus_weeks), sum(waiting_13_plus_weeks)
                       from waiting_list_census where trust_code = 'NETWORK' and census_date = ?""",
                    [c]).fetchone() if c else (None, None, None)
    out["waiting"], out["waiting_6"], out["waiting_13"] = (_py(x) for x in r)
    r = con.execute("""select sum(waiting_list_tests + planned_tests + unscheduled_tests)
                       from dm01_activity_monthly where trust_code = 'NETWORK' and month = ?""", [m]).fetchone()
    out["dm01_tests"] = _py(r[0])
    d = backlog_date_for(con, m)
    r = con.execute("""select sum(unreported_exams), sum(age_over_28_days) from reporting_backlog
                       where trust_code = 'NETWORK' and as_of_date = ?""", [d]).fetchone() if d else (None, None)
    out["backlog"], out["backlog_28"] = (_py(x) for x in r)
    r = con.execute("""select sum(reports_verified), sum(reports_outsourced) from reporting_throughput_weekly
                       where trust_code = 'NETWORK' and week between ? and ?""", [m, month_end(m)]).fetchone()
    out["verified"], out["outsourced"] = (_py(x) for x in r)
    return out


def _pct(num, den, digits: int = 1) -> float | None:
    return round(100.0 * num / den, digits) if num is not None and den else None


HEADLINE_MEASURES = [
    ("Exams tested", "count", lambda f: f["exams_tested"]),
    ("Exams reported (tested in the month)", "count", lambda f: f["exams_reported"]),
    ("Reported over 28 days after test", "count", lambda f: f["over_28"]),
    ("% reported over 28 days after test", "pct", lambda f: _pct(f["over_28"], f["exams_tested"])),
    ("DM01 patients waiting at census", "count", lambda f: f["waiting"]),
    ("DM01 waiting 6+ weeks", "count", lambda f: f["waiting_6"]),
    ("DM01 % waiting 6+ weeks (standard 1%)", "pct", lambda f: _pct(f["waiting_6"], f["waiting"])),
    ("DM01 waiting 13+ weeks", "count", lambda f: f["waiting_13"]),
    ("DM01 tests in the month", "count", lambda f: f["dm01_tests"]),
    ("Unreported exams (backlog, month's last snapshot)", "count", lambda f: f["backlog"]),
    ("Unreported over 28 days", "count", lambda f: f["backlog_28"]),
    ("Reports verified (weeks beginning in month)", "count", lambda f: f["verified"]),
    ("% of reports outsourced", "pct", lambda f: _pct(f["outsourced"], f["verified"])),
]


def headlines(con, m: date) -> list[Headline]:
    cur, prev = _network_month(con, m), _network_month(con, add_months(m, -1))
    return [Headline(name, kind, fn(cur), fn(prev)) for name, kind, fn in HEADLINE_MEASURES]


SPC_MEASURES = [
    ("Exams tested (network)", "exams", lambda f: f["exams_tested"]),
    ("% reported over 28 days after test", "%", lambda f: _pct(f["over_28"], f["exams_tested"], 3)),
    ("DM01 % waiting 6+ weeks", "%", lambda f: _pct(f["waiting_6"], f["waiting"], 3)),
    ("DM01 patients waiting at census", "patients", lambda f: f["waiting"]),
]


def spc_series(con, m: date, window_start: date | None, as_of: date | None) -> list[SpcSeries]:
    first = con.execute("select min(month) from tat_monthly").fetchone()[0]
    if first is None:
        return []
    months, k = [], first
    while k <= m:
        months.append(k)
        k = add_months(k, 1)
    per_month = {k: _network_month(con, k) for k in months}
    out = []
    for name, unit, fn in SPC_MEASURES:
        labels, values, left = [], [], []
        for k in months:
            partial = (as_of is not None and month_end(k) > as_of) or (window_start is not None and k < window_start)
            v = fn(per_month[k])
            if partial:
                left.append(k.strftime("%b %Y") + " (incomplete month)")
            elif v is None:
                left.append(k.strftime("%b %Y") + " (no data)")
            else:
                labels.append(k.strftime("%Y-%m"))
                values.append(float(v))
        out.append(SpcSeries(name, unit, labels, values, xmr(labels, values), left))
    return out


# --------------------------------------------------------------------------- all of it
def collect(con: duckdb.DuckDBPyConnection, month: str, suppress: bool) -> PackData:
    m = parse_month(month)
    have = _tables(con)
    info = {}
    if "publish_info" in have:
        r = con.execute("select published_at, as_of_date, data_window_start, data_window_end "
                        "from publish_info limit 1").fetchone()
        if r:
            info = dict(zip(["published_at", "as_of_date", "data_window_start", "data_window_end"], r))
    as_of = info.get("as_of_date")
    if as_of is None:
        as_of = con.execute("select max(month) from tat_monthly").fetchone()[0]
    published_at = info.get("published_at")
    if isinstance(published_at, datetime):
        published_at = published_at.astimezone(LONDON)
    window_start, window_end = info.get("data_window_start"), info.get("data_window_end")
    months = [r[0] for r in con.execute("select distinct month from tat_monthly order by 1").fetchall()]
    if m not in months:
        span = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else "none"
        raise ValueError(f"no published data for {month} (months published: {span})")
    names = {}
    if "dim_trust" in have:
        names = dict(con.execute("select trust_code, trust_name from dim_trust").fetchall())
    partial = bool(as_of and month_end(m) > as_of) or bool(window_start and m < window_start)
    dq_raw = dq_frame(con, m, have)
    did, did_raw = did_table(con, m, suppress)
    tables = {
        "completeness": completeness_table(con, m, as_of, window_start, dq_raw, names, have, suppress),
        "tat": tat_table(con, m, suppress),
        "did": did,
        "did_pivot": did_pivot(did_raw, suppress),
        "dm01": dm01_table(con, m, suppress),
        "backlog": backlog_table(con, m, suppress),
        "outsourcing": outsourcing_table(con, m, suppress),
        "dq": dq_table(dq_raw, suppress),
    }
    notes = []
    if partial:
        notes.append(f"{m:%B %Y} is incomplete: data to {as_of.isoformat()}; compare with the "
                     "previous month with care.")
    return PackData(
        month=m, month_label=m.strftime("%B %Y"), suppress=suppress, published_at=published_at,
        as_of_date=as_of, window_start=window_start, window_end=window_end, partial_month=partial,
        headlines=headlines(con, m), tables=tables, spc=spc_series(con, m, window_start, as_of),
        trust_names=names, notes=notes)
