"""The board pack's workbook against the published fixture: every detail figure equals the
marts' (after disclosure control where it is on), edge counts and inert text cells. The summary,
SPC, cadence and PDF checks are in test_board_pack_pages.py."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import openpyxl
import pytest

from exports.board_pack import build_board_pack
from tests.fixtures.published import EDGE_CASES, LATEST_MONTH, build_published_fixture

MONTH = f"{LATEST_MONTH:%Y-%m}"
PREV = date(LATEST_MONTH.year - (LATEST_MONTH.month == 1), (LATEST_MONTH.month - 2) % 12 + 1, 1)


# ---- the rule, written out again here so the test does not trust exports.disclosure
def exp_count(n, on):
    if n is None:
        return None
    n = int(n)
    if not on:
        return n
    if 1 <= abs(n) <= 7:
        return "*"
    return (1 if n >= 0 else -1) * 5 * ((abs(n) + 2) // 5)


def exp_stat(v, base, on):
    if v is None:
        return None
    return "*" if on and base is not None and 1 <= int(base) <= 7 else float(v)


def exp_pct(num, den, published, on):
    if not on:
        return published
    n, d = exp_count(num, True), exp_count(den, True)
    if n == "*" or d == "*":
        return "*"
    return None if not d else round(100 * n / d, 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    db = build_published_fixture(root / "analytics.duckdb")
    con = duckdb.connect(str(db))
    # a trust name and a check name that would be formulas if written carelessly
    con.execute("""update dim_trust set trust_name = '=HYPERLINK("http://example.invalid","x")'
                   where trust_code = 'RRK'""")
    con.execute(
        "update dq_scorecard_monthly set measure = '@SUM(A1)' where measure = 'site_code_present'"
    )
    con.close()
    on = build_board_pack(db, MONTH, root / "out", suppress=True)
    off = build_board_pack(db, MONTH, root / "internal", suppress=False)
    return db, on, off


def rows_of(ws, title_prefix: str) -> list[dict]:
    """The data rows of the table whose title row starts with `title_prefix` (header row found by
    the first bold blue row after the title)."""
    values = list(ws.iter_rows())
    start = next(
        i
        for i, r in enumerate(values)
        if isinstance(r[0].value, str) and r[0].value.startswith(title_prefix)
    )
    hdr = next(
        i for i in range(start + 1, len(values)) if values[i][0].fill.fgColor.rgb in ("FF005EB8",)
    )
    headers = [c.value for c in values[hdr] if c.value is not None]
    out = []
    for r in values[hdr + 1 :]:
        if r[0].value is None:
            break
        out.append({h: r[j] for j, h in enumerate(headers)})
    return out


def val(cell):
    return cell.value


def query(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def nn(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def check_cell(cell, expected):
    got = cell.value
    if expected is None:
        assert got is None, (cell.coordinate, got)
    elif expected == "*":
        assert got == "*", (cell.coordinate, got)
    else:
        assert cell.data_type == "n", (cell.coordinate, got)
        assert got == pytest.approx(float(expected), abs=1e-9), (cell.coordinate, got, expected)


TAT = {
    "Exams tested": ("count", "exams_tested"),
    "Request to test median (days)": ("stat", "request_to_test_median_days", "exams_tested"),
    "Request to test p90 (days)": ("stat", "request_to_test_p90_days", "exams_tested"),
    "Exams reported": ("count", "exams_reported"),
    "Test to report median (days)": ("stat", "test_to_report_median_days", "exams_reported"),
    "Test to report p90 (days)": ("stat", "test_to_report_p90_days", "exams_reported"),
    "Test to report median (hours)": ("stat", "test_to_report_median_hours", "exams_reported"),
    "Reported within target %": ("stat", "reported_within_target_pct", "exams_tested"),
    "Reported over 28 days": ("count", "reported_over_28_days"),
}


def expected(rule, mart_row, on):
    kind = rule[0]
    if kind == "count":
        return exp_count(nn(mart_row[rule[1]]), on)
    if kind == "stat":
        return exp_stat(nn(mart_row[rule[1]]), nn(mart_row[rule[2]]), on)
    if kind == "pct":
        return exp_pct(nn(mart_row[rule[2]]), nn(mart_row[rule[3]]), nn(mart_row[rule[1]]), on)
    raise AssertionError(kind)


def unquote(text: str) -> str:
    """Undo the formula-injection prefix to match a cell with its mart value."""
    return text[1:] if text[:2] in {"'" + c for c in "=+-@\t\r\n"} else text


def compare(ws, title, mart_rows, keys, rules, on):
    sheet = rows_of(ws, title)
    assert len(sheet) == len(mart_rows) > 0
    by_key = {tuple(str(r[k]) for k in keys): r for r in mart_rows}
    for s in sheet:
        key = tuple(unquote(str(s[h].value)) for h in list(s)[: len(keys)])
        m = by_key[key]
        row_on = on and m["trust_code"] != "NETWORK"
        for header, rule in rules.items():
            check_cell(s[header], expected(rule, m, row_on))


@pytest.mark.parametrize("mode", ["on", "off"])
def test_every_section_equals_the_marts(built, mode):
    db, on, off = built
    res = on if mode == "on" else off
    wb = openpyxl.load_workbook(res.xlsx_path)
    sup = mode == "on"
    tat = query(db, "select * from tat_monthly where month = ?", [LATEST_MONTH])
    compare(
        wb["TAT"], "Reporting turnaround", tat, ["trust_code", "modality", "priority"], TAT, sup
    )

    did = query(db, "select * from did_activity_monthly where month = ?", [LATEST_MONTH])
    compare(
        wb["DID activity"],
        "DID activity",
        did,
        ["trust_code", "modality", "patient_source_setting"],
        {
            "Exams tested": ("count", "exams_tested"),
            "Request to test median (days)": (
                "stat",
                "request_to_test_median_days",
                "exams_tested",
            ),
            "Test to report median (days)": ("stat", "test_to_report_median_days", "exams_tested"),
        },
        sup,
    )

    census = query(
        db,
        "select max(census_date) as c from waiting_list_census where census_date >= ?",
        [LATEST_MONTH],
    )[0]["c"]
    dm01 = query(
        db,
        """select c.*, a.waiting_list_tests, a.planned_tests, a.unscheduled_tests
                        from waiting_list_census c full join dm01_activity_monthly a
                          on a.trust_code = c.trust_code and a.dm01_test = c.dm01_test and a.month = ?
                        where c.census_date = ?""",
        [LATEST_MONTH, census],
    )
    compare(
        wb["DM01"],
        "DM01 waiting list",
        dm01,
        ["trust_code", "dm01_test"],
        {
            "Waiting at census": ("count", "total_waiting"),
            "Waiting 6+ weeks": ("count", "waiting_6_plus_weeks"),
            "% waiting 6+ weeks": (
                "pct",
                "pct_waiting_6_plus_weeks",
                "waiting_6_plus_weeks",
                "total_waiting",
            ),
            "Waiting 13+ weeks": ("count", "waiting_13_plus_weeks"),
            "Median weeks waited": ("stat", "median_weeks_waited", "total_waiting"),
            "Waiting-list tests": ("count", "waiting_list_tests"),
            "Planned tests": ("count", "planned_tests"),
            "Unscheduled tests": ("count", "unscheduled_tests"),
        },
        sup,
    )

    bdate = query(
        db,
        "select max(as_of_date) as d from reporting_backlog where as_of_date >= ?",
        [LATEST_MONTH],
    )[0]["d"]
    backlog = query(db, "select * from reporting_backlog where as_of_date = ?", [bdate])
    compare(
        wb["Backlog"],
        "Reporting backlog",
        backlog,
        ["trust_code", "modality"],
        {
            "Unreported exams": ("count", "unreported_exams"),
            "0-2 days": ("count", "age_0_2_days"),
            "3-7 days": ("count", "age_3_7_days"),
            "8-14 days": ("count", "age_8_14_days"),
            "15-28 days": ("count", "age_15_28_days"),
            "Over 28 days": ("count", "age_over_28_days"),
            "Oldest (days)": ("stat", "oldest_age_days", "unreported_exams"),
        },
        sup,
    )

    out = query(
        db,
        """select trust_code, modality, sum(exams_tested) exams_tested,
                              sum(reports_verified) reports_verified, sum(reports_outsourced) reports_outsourced,
                              sum(backlog_change) backlog_change,
                              round(100.0 * sum(reports_outsourced) / sum(reports_verified), 1) outsourced_pct
                       from reporting_throughput_weekly where week >= ? group by 1, 2""",
        [LATEST_MONTH],
    )
    compare(
        wb["Outsourcing"],
        "Reporting throughput",
        out,
        ["trust_code", "modality"],
        {
            "Exams tested": ("count", "exams_tested"),
            "Reports verified": ("count", "reports_verified"),
            "Reports outsourced": ("count", "reports_outsourced"),
            "% outsourced": ("pct", "outsourced_pct", "reports_outsourced", "reports_verified"),
            "Backlog change": ("count", "backlog_change"),
        },
        sup,
    )

    dq = query(
        db,
        """select trust_code, measure, numerator, denominator, denominator - numerator failing,
                             round(100 * rate, 1) passing_pct
                      from dq_scorecard_monthly where month = ?""",
        [LATEST_MONTH],
    )
    compare(
        wb["Data quality"],
        "Data quality",
        dq,
        ["trust_code", "measure"],
        {
            "Records checked": ("count", "denominator"),
            "Records passing": ("count", "numerator"),
            "Records failing": ("count", "failing"),
            "% passing": ("pct", "passing_pct", "numerator", "denominator"),
        },
        sup,
    )


def test_edge_counts_in_the_tat_sheet(built):
    _, on, off = built
    for res, shown in [
        (on, {0: 0, 1: "*", 7: "*", 8: 10, 12: 10, 13: 15}),
        (off, {n: n for n in (0, 1, 7, 8, 12, 13)}),
    ]:
        rows = rows_of(openpyxl.load_workbook(res.xlsx_path)["TAT"], "Reporting turnaround")
        by = {(r["Trust"].value, r["Modality"].value, r["Priority"].value): r for r in rows}
        for (_, trust, mod, pri), n in EDGE_CASES.items():
            cell = by[(trust, mod, pri)]["Exams tested"]
            assert cell.value == shown[n]
            if shown[n] != "*":
                assert cell.data_type == "n"
        inpatient = by[("RRJ", "MR", "inpatient")]  # 1 exam: its median is suppressed when on
        assert inpatient["Request to test median (days)"].value == ("*" if res is on else 1.2)


def test_text_cells_are_inert_and_modes_are_stated(built):
    _, on, off = built
    wb = openpyxl.load_workbook(on.xlsx_path)
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "s"]
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    assert '\'=HYPERLINK("http://example.invalid","x")' in texts
    assert "'@SUM(A1)" in texts
    assert not any(isinstance(t, str) and t and t[0] in "=+@" for t in texts)
    cover = [c.value for row in wb["Cover"].iter_rows() for c in row]
    assert "ON (published)" in cover
    assert any(isinstance(v, str) and v.startswith("Disclosure control ON") for v in cover)
    internal = [
        c.value for row in openpyxl.load_workbook(off.xlsx_path)["Cover"].iter_rows() for c in row
    ]
    assert "OFF (internal use only)" in internal
    assert wb.sheetnames == on.sheets


def test_month_without_data_is_refused(built, tmp_path):
    db, _, _ = built
    with pytest.raises(ValueError, match="no published data"):
        build_board_pack(db, "2019-01", tmp_path)
    with pytest.raises(ValueError, match="YYYY-MM"):
        build_board_pack(db, "2026-1", tmp_path)
