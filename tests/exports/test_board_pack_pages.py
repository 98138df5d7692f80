"""What the board sees, looked at: the PDF rendered page by page (page count, cover dates, the
summary's icons), mature-month comparisons, SPC baselines without run-in months and limits
within bounds, feed cautions by each trust's cadence, and the workbook's filters and dates."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime

import duckdb
import openpyxl
import pytest
from fpdf import FPDF
from PIL import Image

from exports.board_pack import build_board_pack
from exports.pack_data import Chart
from exports.pack_pdf import MAX_MAIN_PAGES
from exports.pack_spc_chart import draw_xmr
from reporting import spc
from reporting.measures import DM01_WAITING_6_WEEKS_PCT
from reporting.monthly import PACK_MEASURES
from tests.fixtures.published import AS_OF, FIRST_MONTH, LATEST_MONTH, build_published_fixture

POPPLER = shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(
    not POPPLER,
    reason="poppler-utils (pdftoppm, pdftotext) not installed: `apt-get install poppler-utils`",
)
MONTH = f"{LATEST_MONTH:%Y-%m}"  # October 2026, as of 28 October: incomplete
PREVIOUS = "2026-09"
DATA_SHEETS_EXCEPT = {"Cover", "SPC charts"}


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    db = build_published_fixture(root / "analytics.duckdb")
    return db, {month: build_board_pack(db, month, root / "out") for month in (MONTH, PREVIOUS)}


def text_of(pdf, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-layout"] + (
        ["-f", str(first), "-l", str(last or first)] if first else []
    )
    return subprocess.run(args + [str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def sheet_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def network_pct(db, column: str, month: date) -> float:
    with duckdb.connect(str(db), read_only=True) as con:
        num, den = con.execute(
            f"select sum({column}), sum(exams_tested) from tat_monthly "
            "where trust_code = 'NETWORK' and month = ?",
            [month],
        ).fetchone()
    return 100.0 * num / den


# ------------------------------------------------------------------------------ PDF, rendered
@needs_poppler
def test_every_page_renders_and_the_body_fits_twelve_pages(packs, tmp_path):
    _, built = packs
    for month, res in built.items():
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", str(res.pdf_path), str(tmp_path / month)], check=True
        )
        pngs = sorted(tmp_path.glob(f"{month}-*.png"))
        assert len(pngs) == res.pages <= MAX_MAIN_PAGES
        for png in pngs:  # every page carries something besides its header and footer
            extrema = Image.open(png).convert("L").getextrema()
            assert extrema[0] < 128, png.name


@needs_poppler
def test_cover_states_real_dates(packs):
    _, built = packs
    cover = text_of(built[MONTH].pdf_path, 1)
    assert (
        "01 November" not in cover
        and "28 October 2026 (the data run to the end of the day before)" in cover
    )
    window = f"{FIRST_MONTH:%d %B %Y} to {AS_OF:%d %B %Y}"
    assert window in cover
    assert (
        "29 October 2026 at 02:15 GMT" in cover
    )  # published 02:15 UTC = 02:15 GMT (clocks back 25 Oct)
    assert "None" not in cover and "?" not in cover and "not recorded" not in cover
    assert "Disclosure control ON" in cover


@needs_poppler
def test_a_missing_window_is_said_in_words(packs, tmp_path):
    db, _ = packs
    copy = tmp_path / "analytics.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update publish_info set data_window_start = null, data_window_end = null")
    cover = text_of(build_board_pack(copy, MONTH, tmp_path / "out").pdf_path, 1)
    assert "not recorded to not recorded" in cover and "None" not in cover


@needs_poppler
def test_summary_page_has_mdc_icons_for_every_measure(packs, tmp_path):
    _, built = packs
    res = built[MONTH]
    summary = text_of(res.pdf_path, 2)
    for measure in PACK_MEASURES:
        assert measure.label in summary
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-f",
            "2",
            "-l",
            "2",
            "-png",
            str(res.pdf_path),
            str(tmp_path / "s"),
        ],
        check=True,
    )
    page = Image.open(next(tmp_path.glob("s-*.png"))).convert("RGB")
    colours = {rgb for _, rgb in page.getcolors(maxcolors=1 << 20)}

    def near(hex_colour: str) -> bool:
        target = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return any(sum(abs(a - b) for a, b in zip(c, target)) < 12 for c in colours)

    assert near(spc.POINT_COLOURS["common cause"])  # at least the grey icons are drawn


# ------------------------------------------------------------------------------ months compared
def test_28_day_measures_compare_mature_months_only(packs):
    db, built = packs
    rows = {
        r["Measure"]: r
        for r in sheet_rows(openpyxl.load_workbook(built[MONTH].xlsx_path)["Summary"])
    }
    over_28 = rows["% reported over 28 days after test"]
    # as of 28 Oct: September's 28 days after its end have not passed, October is incomplete
    assert (over_28["Latest mature month"], over_28["Previous mature month"]) == (
        datetime(2026, 8, 1),
        datetime(2026, 7, 1),
    )
    assert over_28["Value"] == pytest.approx(
        network_pct(db, "reported_over_28_days", date(2026, 8, 1))
    )
    assert over_28["Previous value"] == pytest.approx(
        network_pct(db, "reported_over_28_days", date(2026, 7, 1))
    )
    exams = rows["Exams tested per working day"]
    assert exams["Latest mature month"] == datetime(2026, 9, 1)  # complete, no maturity wait


@needs_poppler
def test_pdf_names_the_months_compared(packs):
    _, built = packs
    summary = text_of(built[MONTH].pdf_path, 2)
    assert "Aug 2026 vs Jul 2026" in summary and "Sep 2026 vs Aug 2026" in summary


# ------------------------------------------------------------------------------ SPC
def test_spc_baseline_leaves_out_run_in_and_immature_months(packs):
    _, built = packs
    rows = sheet_rows(openpyxl.load_workbook(built[MONTH].xlsx_path)["SPC data"])
    assert {r["Measure"] for r in rows} == {m.label for m in PACK_MEASURES}
    for r in rows:
        month = r["Month"].date()
        if month < date(2025, 10, 1):  # the feeds started 10 Sep 2025: September is run-in
            assert r["Judged"] == "no" and r["Left out because"].startswith("run-in")
        if month == LATEST_MONTH:
            assert r["Judged"] == "no" and r["Left out because"].startswith("incomplete")
    judged = [r for r in rows if r["Judged"] == "yes"]
    # the workbook's charts plot the judged values only
    assert all(
        r["Judged value (charted)"] == (r["Value"] if r["Judged"] == "yes" else None) for r in rows
    )
    assert judged and min(r["Month"] for r in judged) >= datetime(2025, 10, 1)
    over_28 = [r for r in rows if r["Measure"] == "% reported over 28 days after test"]
    september = next(r for r in over_28 if r["Month"] == datetime(2026, 9, 1))
    assert september["Judged"] == "no" and september["Left out because"].startswith("not mature")


def test_limits_stay_within_the_measures_bounds(packs):
    _, built = packs
    bounds = {m.label: (m.floor, m.ceiling) for m in PACK_MEASURES}
    for r in sheet_rows(openpyxl.load_workbook(built[MONTH].xlsx_path)["SPC data"]):
        floor, ceiling = bounds[r["Measure"]]
        for limit in (r["Lower process limit"], r["Upper process limit"]):
            if limit is None:
                continue
            assert floor is None or limit >= floor
            assert ceiling is None or limit <= ceiling


def _chart_pdf(tmp_path, values: list[float], target_measure=DM01_WAITING_6_WEEKS_PCT) -> str:
    months = [date(2025 + (9 + i) // 12, (9 + i) % 12 + 1, 1) for i in range(len(values))]
    table = spc.xmr(values, months, floor=0.0, ceiling=100.0)
    chart = Chart(target_measure, "NETWORK", table, spc.judge(table, "down", target_measure.target))
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_page()
    draw_xmr(pdf, chart, 10, 20, 200, 150, lambda v: f"{v:.1f}%")
    path = tmp_path / f"chart{len(values)}.pdf"
    pdf.output(str(path))
    return text_of(path)


@needs_poppler
def test_a_far_target_is_printed_not_drawn(tmp_path):
    far = _chart_pdf(tmp_path, [55, 57, 54, 56, 58, 55, 57, 56, 54, 55, 57, 56, 55])  # target 1%
    assert "far from the data: not drawn" in far and "target 1.0%" not in far
    near = _chart_pdf(tmp_path, [2.0, 1.8, 2.4, 2.1, 1.9, 2.2, 2.0, 2.3, 1.7, 2.1, 2.2, 1.9])
    assert "target 1.0%" in near and "not drawn" not in near


# ------------------------------------------------------------------------------ feed cautions
def test_weekly_feed_is_judged_by_its_cadence(packs):
    _, built = packs
    completeness = {
        r["Trust"]: r
        for r in sheet_rows(openpyxl.load_workbook(built[PREVIOUS].xlsx_path)["Completeness"])
    }
    rkb = completeness["RKB"]  # weekly: five Wednesdays in September 2026, all delivered
    assert rkb["Feed cadence"] == "weekly" and rkb["Due deliveries received"] == "5 of 5"
    assert "missed" not in rkb["Assessment"] and "no file" not in rkb["Assessment"]
    october = {
        r["Trust"]: r
        for r in sheet_rows(openpyxl.load_workbook(built[MONTH].xlsx_path)["Completeness"])
    }
    # one weekly file missed (seven days shown missing until the next came) is one delivery
    assert october["RKB"]["Due deliveries received"] == "3 of 4"
    assert "1 due delivery missed" in october["RKB"]["Assessment"]
    assert "1 failed delivery" in october["RKB"]["Assessment"]
    assert "feed missing on the as-of date" in october["RRJ"]["Assessment"]
    assert "feed late on the as-of date" in october["RXK"]["Assessment"]


# ------------------------------------------------------------------------------ workbook
def test_every_data_sheet_has_a_filter_a_frozen_header_and_real_dates(packs):
    _, built = packs
    wb = openpyxl.load_workbook(built[MONTH].xlsx_path)
    for ws in wb:
        if ws.title in DATA_SHEETS_EXCEPT:
            continue
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A3:"), ws.title
        assert ws.freeze_panes == "A4", ws.title
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert cover["Data as of"] == datetime.combine(AS_OF, datetime.min.time())
    assert cover["Data window start"] == datetime.combine(FIRST_MONTH, datetime.min.time())
    assert cover["Published at (Europe/London)"] == datetime(2026, 10, 29, 2, 15)
    months = [c for (c,) in wb["SPC data"].iter_rows(min_row=4, min_col=2, max_col=2)]
    assert months and all(c.is_date for c in months)
    matrix = sheet_rows(wb["Trust matrix"])
    assert {r["Trust"] for r in matrix} == {"NETWORK", "RRK", "RXK", "RKB", "RRJ"}
    assert len(matrix) == 5 * len(PACK_MEASURES)
    assert {r["Variation"] for r in matrix} <= set(spc.VARIATION_TEXT.values())


@needs_poppler
def test_a_pack_before_enough_mature_months_says_so(packs, tmp_path):
    db, _ = packs
    res = build_board_pack(db, "2025-10", tmp_path)  # the first month after the feeds' run-in
    rows = sheet_rows(openpyxl.load_workbook(res.xlsx_path)["Summary"])
    assert {r["Variation"] for r in rows} == {spc.VARIATION_TEXT["not_enough_data"]}
    dm01 = next(r for r in rows if r["Measure"] == DM01_WAITING_6_WEEKS_PCT.label)
    assert dm01["Assurance"] == "Target not judged: too few mature months"
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(res.pdf_path), str(tmp_path / "e")], check=True
    )
    assert len(list(tmp_path.glob("e-*.png"))) == res.pages <= MAX_MAIN_PAGES
    assert "Not enough mature months for an XmR chart" in text_of(res.pdf_path)
