"""The board pack PDF (fpdf2, A4 landscape, core fonts only so nothing is read from disk).

Main body, at most `MAX_MAIN_PAGES` pages: cover (month, as-of date, publish time, data window,
disclosure mode); a one-page summary of the headline measures with Making Data Count icons; the
trust x measure matrix of variation icons; the network's XmR charts (two measures a page); the
completeness and feed cautions per trust; how to read the pack and the definitions. Per-trust
detail tables are in the workbook only.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from exports.definitions import DEFINITIONS, SOURCE
from exports.pack_data import Headline, PackData, assurance_reading
from exports.pack_icons import assurance_icon, legend, variation_icon
from exports.pack_spc_chart import draw_xmr
from exports.pack_tables import Table
from reporting import disclosure as dc
from reporting.measures import Measure
from reporting.spc import ASSURANCE_TEXT, BASELINE_POINTS, E2, VARIATION_TEXT

MAX_MAIN_PAGES = 12
BLUE = (0, 94, 184)
GREY = (90, 90, 90)
RED = (204, 0, 0)


def latin1(text: object) -> str:
    s = "" if text is None else str(text)
    s = (
        s.replace("\u2013", "-")
        .replace("\u2014", "-")
        .replace("\u00d7", "x")
        .replace("\u2264", "<=")
        .replace("\u2265", ">=")
        .replace("\u2019", "'")
    )
    return s.encode("latin-1", "replace").decode("latin-1")


def fmt(v: object, kind: str) -> str:
    """A detail-table cell for the PDF: counts whole, statistics and percentages to 1 dp."""
    if v is None:
        return ""
    if v == dc.SUPPRESSED:
        return "*"
    if kind == "count" and isinstance(v, (int, float)):
        return f"{round(v):,}"
    if kind in ("stat", "pct") and isinstance(v, (int, float)):
        return f"{float(v):,.1f}"
    return latin1(v)


def fmt_measure(measure: Measure, v: float | None, signed: bool = False) -> str:
    """A measure's value in its unit: percentages to 1 dp, large counts whole."""
    if v is None:
        return "-"
    sign = "+" if signed else ""
    if measure.unit == "%":
        return f"{v:{sign}.1f}" + (" pts" if signed else "%")
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:{sign},.0f}"
    return f"{v:{sign},.1f}"


def day(d: date | None) -> str:
    return f"{d:%d %B %Y}" if d else "not recorded"


class _Pdf(FPDF):
    def __init__(self, data: PackData, mode_short: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.data = data
        self.mode_short = mode_short
        self.set_auto_page_break(True, margin=14)
        self.set_margins(10, 12, 10)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*GREY)
        self.cell(
            0,
            4,
            latin1(f"WMIN imaging board pack - {self.data.month_label} - {self.mode_short}"),
            align="R",
        )
        self.ln(5)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*GREY)
        self.cell(
            0,
            4,
            latin1(
                f"Data as of {day(self.data.as_of_date)}. Source: the published "
                f"marts (analytics.duckdb). Page {self.page_no()} of {{nb}}"
            ),
            align="C",
        )
        self.set_text_color(0, 0, 0)

    def h1(self, text: str) -> None:
        self.set_font("Helvetica", "B", 15)
        self.set_text_color(*BLUE)
        self.cell(0, 8, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def para(self, text: str, size: float = 8.5, style: str = "", color=(0, 0, 0)) -> None:
        self.set_font("Helvetica", style, size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def grid(
        self,
        headers: list[str],
        rows: list[list[str]],
        widths: list[float],
        aligns: list[str],
        size: float = 7,
        bold_rows: set[int] | None = None,
    ) -> None:
        bold_rows = bold_rows or set()
        avail = self.w - self.l_margin - self.r_margin
        if sum(widths) > avail:  # real data can bring more columns than the page holds
            widths = [w * avail / sum(widths) for w in widths]
        self.set_font("Helvetica", "", size)
        self.set_fill_color(255, 255, 255)
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE)
        with self.table(
            col_widths=widths,
            width=sum(widths),
            align="LEFT",
            text_align=aligns,
            headings_style=heading,
            line_height=size * 0.5 + 0.6,
            padding=0.6,
        ) as t:
            r = t.row()
            for h in headers:
                r.cell(latin1(h))
            for i, values in enumerate(rows):
                r = t.row(style=FontFace(emphasis="BOLD") if i in bold_rows else None)
                for v in values:
                    r.cell(latin1(v))
        self.ln(2)

    def table_of(
        self, table: Table, size: float = 7, widths: dict[str, float] | None = None
    ) -> None:
        widths = widths or {}
        cols = table.columns
        rows = [[fmt(r.get(c.key), c.kind) for c in cols] for r in table.rows]
        if not rows:
            self.para("(no rows)", style="I")
            return
        bold = {i for i, r in enumerate(table.rows) if r.get("trust_code") == dc.NETWORK}
        self.grid(
            [c.header for c in cols],
            rows,
            [widths.get(c.key, 19) for c in cols],
            ["LEFT" if c.kind == "text" else "RIGHT" for c in cols],
            size,
            bold,
        )


# ------------------------------------------------------------------------------ pages
def cover(pdf: _Pdf, data: PackData, mode_text: str) -> None:
    pdf.add_page()
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, pdf.w, 62, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(18, 16)
    pdf.set_font("Helvetica", "B", 26)
    pdf.cell(0, 12, "West Midlands Imaging Network")
    pdf.set_xy(18, 30)
    pdf.set_font("Helvetica", "", 18)
    pdf.cell(0, 10, latin1(f"Imaging board pack - {data.month_label}"))
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(18, 74)
    published = (
        data.published_at.strftime("%d %B %Y at %H:%M %Z") if data.published_at else "not recorded"
    )
    facts = [
        ("Month reported", data.month_label),
        ("Data as of", day(data.as_of_date) + " (the data run to the end of the day before)"),
        ("Published", published),
        ("Data window", f"{day(data.window_start)} to {day(data.window_end)}"),
        ("Disclosure control", "ON (published)" if data.suppress else "OFF - INTERNAL USE ONLY"),
    ]
    for key, value in facts:
        pdf.set_x(18)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(55, 8, latin1(key))
        pdf.set_font("Helvetica", "", 12)
        pdf.cell(0, 8, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_x(18)
    pdf.set_font("Helvetica", "I", 9)
    pdf.set_text_color(*(RED if not data.suppress else GREY))
    pdf.multi_cell(250, 4.5, latin1(mode_text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*RED)
    for note in data.notes:
        pdf.set_x(18)
        pdf.multi_cell(250, 4.5, latin1(note), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    pdf.set_x(18)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in [
        "Summary: the network's headline measures, with variation and assurance",
        "Trust x measure matrix: which trust moved",
        "SPC (XmR) charts of the headline measures for the network",
        "Completeness and feed cautions per trust",
        "How to read this pack; definitions",
        "Detail per trust, modality and priority: the workbook (.xlsx) of this pack",
    ]:
        pdf.set_x(22)
        pdf.cell(0, 5.5, latin1("- " + line), new_x="LMARGIN", new_y="NEXT")


def _compared(h: Headline) -> str:
    if h.month is None:
        return "no mature month"
    if h.previous_month is None:
        return f"{h.month:%b %Y}"
    return f"{h.month:%b %Y} vs {h.previous_month:%b %Y}"


def summary(pdf: _Pdf, data: PackData) -> None:
    pdf.add_page()
    pdf.h1(f"Summary: the network's headline measures ({data.month_label} pack)")
    pdf.para(
        "Each measure shows its latest month that is mature at the as-of date, compared with "
        "the mature month before it. A 28-day measure matures 28 days after its month ends, "
        "so it may lag the pack's month. Variation and assurance read the month against the "
        "SPC limits (Making Data Count).",
        8,
        "I",
        GREY,
    )
    pdf.ln(1)
    cols = [
        ("Measure", 72),
        ("Months compared", 34),
        ("Latest", 22),
        ("Previous", 22),
        ("Change", 22),
        ("Target", 20),
        ("Variation", 17),
        ("Assurance", 17),
        ("Reading", 51),
    ]
    x0, y = pdf.l_margin, pdf.get_y()
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_fill_color(*BLUE)
    pdf.set_text_color(255, 255, 255)
    x = x0
    for name, w in cols:
        pdf.set_xy(x, y)
        pdf.cell(w, 7, name, fill=True, align="L" if name in ("Measure", "Reading") else "C")
        x += w
    pdf.set_text_color(0, 0, 0)
    y += 7
    row_h = 14
    for i, h in enumerate(data.headlines):
        m, j = h.measure, h.chart.judgement
        if i % 2:
            pdf.set_fill_color(242, 245, 250)
            pdf.rect(x0, y, sum(w for _, w in cols), row_h, style="F")
        target = fmt_measure(m, m.target) if m.target is not None else "none"
        reading = f"{j.variation_text}. {assurance_reading(m, j.assurance)}."
        cells = [
            f"{m.label} ({m.unit})",
            _compared(h),
            fmt_measure(m, h.value),
            fmt_measure(m, h.previous_value),
            fmt_measure(m, h.change, signed=True) if h.change is not None else "-",
            target,
        ]
        x = x0
        for (name, w), text in zip(cols, cells):
            pdf.set_font(
                "Helvetica", "B" if name == "Latest" else "", 8.5 if name != "Measure" else 9
            )
            pdf.set_xy(x, y)
            pdf.cell(w, row_h, latin1(text), align="L" if name == "Measure" else "C")
            x += w
        variation_icon(pdf, x + 17 / 2, y + row_h / 2, 4.2, j.variation)
        x += 17
        assurance_icon(pdf, x + 17 / 2, y + row_h / 2, 4.2, j.assurance)
        if j.assurance is None:
            pdf.set_font("Helvetica", "", 7)
            pdf.set_xy(x, y)
            pdf.cell(17, row_h, "no target" if m.target is None else "-", align="C")
        x += 17
        pdf.set_font("Helvetica", "", 7)
        pdf.set_xy(x, y + 1.5)
        pdf.multi_cell(cols[-1][1], 3.4, latin1(reading), align="L")
        y += row_h
    pdf.set_y(y + 4)
    pdf.para("Key to the icons", 9, "B")
    below = legend(pdf, pdf.l_margin, pdf.get_y() + 1, 270)
    planning = data.tables.get("planning")
    if planning is not None:
        pdf.set_y(below)
        planning_block(pdf, planning)


def planning_block(pdf: _Pdf, table: Table) -> None:
    """The DM01 lists' pressure and 12-week outlook (exports/pack_planning.py), on a page of
    its own when the summary is full."""
    if pdf.get_y() > pdf.h - 75:
        pdf.add_page()
        pdf.h1("Summary, continued: DM01 waiting-list pressure and outlook")
    pdf.ln(2)
    pdf.para(table.title, 9, "B")
    widths = {"trust_code": 16, "dm01_test": 22}
    pdf.table_of(table, 7.5, {c.key: widths.get(c.key, 27) for c in table.columns})
    pdf.para(table.note, 7, "I", GREY)


def trust_matrix(pdf: _Pdf, data: PackData) -> None:
    pdf.add_page()
    pdf.h1("Which trust moved: variation of each trust's latest mature month")
    pdf.para(
        f"One SPC chart per trust and measure (limits from the trust's own first {BASELINE_POINTS} mature "
        "months). Blue/orange icons mark a trust whose latest month is special cause; the "
        "month judged is in each column's heading. Trust-level values are in the workbook.",
        8,
        "I",
        GREY,
    )
    matrix = data.matrix
    measures = list(dict.fromkeys(matrix["measure"]))
    trusts = list(dict.fromkeys(matrix["trust_code"]))
    headings = {h.measure.key: h for h in data.headlines}
    name_w, col_w, row_h = 82, (pdf.w - 20 - 82) / max(len(measures), 1), 7.6
    x0, y = pdf.l_margin, pdf.get_y() + 1
    pdf.set_fill_color(*BLUE)
    pdf.rect(x0, y, name_w + col_w * len(measures), 11, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_xy(x0 + 1, y)
    pdf.cell(name_w, 11, "Trust")
    for k, key in enumerate(measures):
        h = headings.get(key)
        label = matrix.loc[matrix["measure"] == key, "label"].iloc[0]
        month = f" ({h.month:%b %Y})" if h is not None and h.month else ""
        pdf.set_xy(x0 + name_w + k * col_w, y + 0.6)
        pdf.multi_cell(col_w, 3.3, latin1(label + month), align="C")
    pdf.set_text_color(0, 0, 0)
    y += 11
    cells = {(r.trust_code, r.measure): r for r in matrix.itertuples()}
    for i, trust in enumerate(trusts):
        if i % 2:
            pdf.set_fill_color(242, 245, 250)
            pdf.rect(x0, y, name_w + col_w * len(measures), row_h, style="F")
        pdf.set_font("Helvetica", "B" if trust == dc.NETWORK else "", 7)
        pdf.set_xy(x0 + 1, y)
        name = data.trust_names.get(trust, "whole network" if trust == dc.NETWORK else "")
        pdf.cell(name_w, row_h, latin1(f"{trust}  {name}"[:64]))
        for k, key in enumerate(measures):
            r = cells.get((trust, key))
            if r is None:
                continue
            cx = x0 + name_w + k * col_w + col_w / 2
            if r.assurance:
                variation_icon(pdf, cx - 3.2, y + row_h / 2, 2.9, r.variation)
                assurance_icon(pdf, cx + 3.2, y + row_h / 2, 2.9, r.assurance)
            else:
                variation_icon(pdf, cx, y + row_h / 2, 2.9, r.variation)
        y += row_h
    legend(pdf, pdf.l_margin, y + 3, 270)


def spc_pages(pdf: _Pdf, data: PackData) -> None:
    charts = data.charts
    for start in range(0, len(charts), 2):
        pdf.add_page()
        pdf.h1("SPC (XmR) charts: the network" + (" (continued)" if start else ""))
        if not start:
            pdf.para(
                "Points coloured by Making Data Count: grey common cause, blue improvement, "
                "orange concern, purple neither; hollow grey points are months left out "
                "(run-in, incomplete or not yet mature), listed under each chart. Limits "
                f"= mean +/- {E2} x mean moving range of the baseline, fixed after it.",
                7.5,
                "I",
                GREY,
            )
        top = pdf.get_y() + 2
        width = (pdf.w - 20) / 2
        for k, chart in enumerate(charts[start : start + 2]):
            x = 10 + k * width
            j = chart.judgement
            pdf.set_xy(x, top)
            pdf.set_font("Helvetica", "B", 10)
            pdf.cell(width - 6, 5, latin1(chart.measure.label + f" ({chart.measure.unit})"))
            variation_icon(pdf, x + width - 14, top + 2.5, 2.6, j.variation)
            assurance_icon(pdf, x + width - 8, top + 2.5, 2.6, j.assurance)
            pdf.set_xy(x, top + 5.5)
            pdf.set_font("Helvetica", "", 7.5)
            latest = (
                f"Latest mature month {j.latest_label:%b %Y}: "
                f"{fmt_measure(chart.measure, j.latest_value)}. "
                if j.latest_label
                else ""
            )
            pdf.cell(
                width - 6,
                4,
                latin1(
                    latest
                    + VARIATION_TEXT[j.variation]
                    + (f"; {ASSURANCE_TEXT[j.assurance]}" if j.assurance else "")
                ),
            )
            draw_xmr(
                pdf,
                chart,
                x,
                top + 13,
                width - 6,
                pdf.h - top - 13 - 22,
                lambda v, m=chart.measure: fmt_measure(m, v),
            )


def completeness(pdf: _Pdf, data: PackData) -> None:
    comp = data.tables["completeness"]
    pdf.add_page()
    pdf.h1("Completeness and feed cautions per trust")
    pdf.para(comp.note, 7.5, "I", GREY)
    keep = (
        "trust_code",
        "cadence",
        "exams_tested",
        "volume_pct",
        "deliveries",
        "rows_rejected_pct",
        "lowest_dq_pct",
        "feed_status_as_of",
        "assessment",
    )
    short = Table(comp.name, comp.title, [c for c in comp.columns if c.key in keep], comp.rows)
    pdf.table_of(
        short,
        7,
        {
            "trust_code": 16,
            "cadence": 16,
            "exams_tested": 18,
            "volume_pct": 20,
            "deliveries": 22,
            "rows_rejected_pct": 18,
            "lowest_dq_pct": 20,
            "feed_status_as_of": 18,
            "assessment": 129,
        },
    )


def how_to_read(pdf: _Pdf, data: PackData, mode_text: str) -> None:
    pdf.add_page()
    pdf.h1("How to read this pack")
    targets = (
        ", ".join(f"{p.replace('_', ' ')} {h} h" for p, h in data.targets.items())
        or "not published"
    )
    for head, text in [
        (
            "Mature months",
            (
                "A month is compared and judged only when it is mature at the as-of date: "
                "complete (its last day before the as-of date), past the feeds' run-in (months before every "
                "trust's feed started are backlog, not activity), and for a 28-day measure 28 days past "
                "its end, so exams tested late in the month have had time to breach. Months left out are "
                "listed under each chart with the reason."
            ),
        ),
        (
            "Variation icons",
            (
                "Grey: common cause variation (no signal). Blue: special cause "
                "improvement; orange: special cause concern; purple: special cause where neither way is "
                "better. H/L says whether the latest month is high or low. Special cause is a month beyond "
                "a process limit, a run of 7 on one side of the mean, a trend of 6 rising or falling, or 2 "
                "of 3 beyond 2 sigma."
            ),
        ),
        (
            "Assurance icons",
            (
                "For a measure with a target: P (blue) the process limits are all on "
                "the good side of the target, so it will consistently pass; F (orange) all on the bad "
                "side, so it will consistently fail without a change to the process; ? (grey) the target "
                "lies between the limits: hit and miss."
            ),
        ),
        (
            "Limits",
            (
                f"Mean and natural process limits (mean +/- {E2} x mean moving range) come from "
                f"the first {BASELINE_POINTS} mature months (the baseline) and are then fixed; a limit is never drawn "
                "below 0 or above 100% for a percentage. A chart whose baseline sits mostly at 0% or 100% "
                "is centred on that value (its median) rather than on the mean."
            ),
        ),
        ("Reporting targets", f"Per priority, from the published dim_reporting_target: {targets}."),
        (
            "Disclosure control",
            mode_text + " Network totals and the network's charts are exact; "
            "the trust matrix shows icons only.",
        ),
    ]:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 5, latin1(head), new_x="LMARGIN", new_y="NEXT")
        pdf.para(text, 8.5)
        pdf.ln(1.5)
    pdf.add_page()
    pdf.h1("Definitions")
    pdf.para(f"Source: {SOURCE}.", 7.5, "I", GREY)
    for term, text in DEFINITIONS:
        pdf.set_font("Helvetica", "B", 7.5)
        pdf.cell(55, 3.6, latin1(term))
        pdf.set_font("Helvetica", "", 7.5)
        pdf.multi_cell(0, 3.6, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.4)


def write_pdf(data: PackData, path: Path, mode_text: str) -> int:
    """Write the PDF; return its page count."""
    mode_short = "disclosure control ON" if data.suppress else "INTERNAL - disclosure control OFF"
    pdf = _Pdf(data, mode_short)
    pdf.set_title(f"WMIN imaging board pack {data.month:%Y-%m}")
    pdf.set_author("WMIN imaging warehouse")
    cover(pdf, data, mode_text)
    summary(pdf, data)
    trust_matrix(pdf, data)
    spc_pages(pdf, data)
    completeness(pdf, data)
    how_to_read(pdf, data, mode_text)
    pdf.output(str(path))
    return pdf.pages_count
