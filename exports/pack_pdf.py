"""The board pack PDF (fpdf2, A4 landscape, core fonts only so nothing is read from disk)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from reporting import disclosure as dc
from exports.definitions import DEFINITIONS, SOURCE
from exports.pack_data import PRIORITIES, PackData, SpcSeries, Table

BLUE = (0, 94, 184)
GREY = (90, 90, 90)
RED = (204, 0, 0)
ORANGE = (237, 139, 0)


def latin1(text: object) -> str:
    s = "" if text is None else str(text)
    s = (s.replace("\u2013", "-").replace("\u2014", "-").replace("\u00d7", "x")
         .replace("\u2264", "<=").replace("\u2265", ">=").replace("\u2019", "'"))
    return s.encode("latin-1", "replace").decode("latin-1")


def fmt(v: object, kind: str) -> str:
    if v is None:
        return ""
    if v == dc.SUPPRESSED:
        return "*"
    if kind == "count" and isinstance(v, (int, float)):
        return f"{round(v):,}"
    if kind in ("stat", "pct") and isinstance(v, (int, float)):
        return f"{float(v):,.1f}"
    return latin1(v)


class _Pdf(FPDF):
    def __init__(self, data: PackData, mode_short: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.data = data
        self.mode_short = mode_short
        self.set_auto_page_break(True, margin=14)
        self.set_margins(10, 12, 10)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*GREY)
        self.cell(0, 4, latin1(f"WMIN imaging board pack - {self.data.month_label} - {self.mode_short}"),
                  align="R")
        self.ln(5)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*GREY)
        asof = self.data.as_of_date.isoformat() if self.data.as_of_date else "unknown"
        self.cell(0, 4, latin1(f"Data as of {asof}. Source: the published marts (analytics.duckdb). "
                               f"Page {self.page_no()} of {{nb}}"), align="C")
        self.set_text_color(0, 0, 0)

    def h1(self, text: str) -> None:
        self.set_font("Helvetica", "B", 15)
        self.set_text_color(*BLUE)
        self.cell(0, 8, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def h2(self, text: str) -> None:
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def para(self, text: str, size: float = 8.5, style: str = "", color=(0, 0, 0)) -> None:
        self.set_font("Helvetica", style, size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def grid(self, headers: list[str], rows: list[list[str]], widths: list[float],
             aligns: list[str], size: float = 7, bold_rows: set[int] | None = None) -> None:
        bold_rows = bold_rows or set()
        avail = self.w - self.l_margin - self.r_margin
        if sum(widths) > avail:  # real data can bring more columns than the page holds
            widths = [w * avail / sum(widths) for w in widths]
        self.set_font("Helvetica", "", size)
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE)
        with self.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=aligns,
                        headings_style=heading, line_height=size * 0.5 + 0.6,
                        padding=0.6) as t:
            r = t.row()
            for h in headers:
                r.cell(latin1(h))
            for i, values in enumerate(rows):
                style = FontFace(emphasis="BOLD") if i in bold_rows else None
                r = t.row(style=style)
                for v in values:
                    r.cell(latin1(v))
        self.ln(2)

    def table_of(self, table: Table, size: float = 7, widths: dict[str, float] | None = None) -> None:
        widths = widths or {}
        cols = table.columns
        avail = self.w - self.l_margin - self.r_margin
        base = [widths.get(c.key, 19 if c.kind != "text" else 18) for c in cols]
        scale = min(1.0, avail / sum(base))
        ws = [w * scale for w in base]
        rows = [[fmt(r.get(c.key), c.kind) for c in cols] for r in table.rows]
        bold = {i for i, r in enumerate(table.rows) if r.get("trust_code") == dc.NETWORK}
        aligns = ["LEFT" if c.kind == "text" else "RIGHT" for c in cols]
        if not rows:
            self.para("(no rows)", style="I")
            return
        self.grid([c.header for c in cols], rows, ws, aligns, size, bold)


def _pivot(table: Table, value_key: str, kind: str, columns: list[str]) -> tuple[list[str], list[list[str]], set[int]]:
    """TAT rows trust x modality, one column per priority."""
    out: dict[tuple[str, str], dict[str, object]] = {}
    for r in table.rows:
        out.setdefault((r["trust_code"], r["modality"]), {})[r["priority"]] = r.get(value_key)
    rows, bold = [], set()
    for i, ((trust, mod), vals) in enumerate(out.items()):
        rows.append([trust, mod] + [fmt(vals.get(p), kind) for p in columns])
        if trust == dc.NETWORK:
            bold.add(i)
    return ["Trust", "Modality"] + [p.replace("_", " ") for p in columns], rows, bold


def _spc_chart(pdf: _Pdf, s: SpcSeries, x0: float, y0: float, w: float, h: float) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_xy(x0, y0)
    pdf.cell(w, 5, latin1(s.measure))
    c = s.chart
    top, left, bottom = y0 + 7, x0 + 14, y0 + h - 14
    right = x0 + w - 4
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.line(left, top, left, bottom)
    pdf.line(left, bottom, right, bottom)
    if len(c.points) < 2:
        pdf.set_font("Helvetica", "I", 8)
        pdf.set_xy(left + 2, top + 10)
        pdf.cell(w - 20, 5, "Not enough complete months for an XmR chart.")
        return
    vals = [p.value for p in c.points] + [c.unpl, c.lnpl, c.mean]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.08 or 1
    lo, hi = lo - pad, hi + pad

    def X(i: int) -> float:
        return left + 3 + (right - left - 6) * i / (len(c.points) - 1)

    def Y(v: float) -> float:
        return bottom - (bottom - top) * (v - lo) / (hi - lo)

    pdf.set_font("Helvetica", "", 6)
    for v in (c.lnpl, c.mean, c.unpl):
        pdf.set_xy(x0, Y(v) - 1.5)
        pdf.cell(13, 3, f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}", align="R")
    for label, v, color, dash in [("mean", c.mean, GREY, False), ("UNPL", c.unpl, GREY, True),
                                  ("LNPL", c.lnpl, GREY, True)]:
        pdf.set_draw_color(*color)
        pdf.set_dash_pattern(dash=1.2, gap=1.0) if dash else pdf.set_dash_pattern()
        pdf.line(left, Y(v), right, Y(v))
        pdf.set_xy(right - 12, Y(v) - 3.2)
        pdf.set_text_color(*GREY)
        pdf.cell(12, 3, label, align="R")
    pdf.set_dash_pattern()
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.4)
    for i in range(1, len(c.points)):
        pdf.line(X(i - 1), Y(c.points[i - 1].value), X(i), Y(c.points[i].value))
    pdf.set_line_width(0.2)
    for i, p in enumerate(c.points):
        color = ORANGE if p.special_cause else BLUE
        pdf.set_fill_color(*color)
        pdf.set_draw_color(*color)
        r = 1.1 if p.special_cause else 0.8
        pdf.circle(x=X(i), y=Y(p.value), radius=r, style="F")
        pdf.set_xy(X(i) - 5, bottom + 1)
        pdf.set_font("Helvetica", "", 5.5)
        pdf.cell(10, 3, p.label[2:], align="C")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 6.5)
    pdf.set_xy(left, bottom + 5)
    special = c.special_cause_labels
    d = 2 if abs(c.mean) < 100 else 0
    text = (f"Mean {c.mean:,.{d}f}; limits {c.lnpl:,.{d}f} to {c.unpl:,.{d}f}. "
            + (f"Special cause (orange): {', '.join(special)}." if special else "Common-cause variation only."))
    if s.left_out:
        text += " Left out: " + ", ".join(s.left_out) + "."
    pdf.multi_cell(right - left, 3, latin1(text))


def write_pdf(data: PackData, path: Path, mode_text: str) -> int:
    """Write the PDF; return its page count."""
    mode_short = "disclosure control ON" if data.suppress else "INTERNAL - disclosure control OFF"
    pdf = _Pdf(data, mode_short)
    pdf.set_title(f"WMIN imaging board pack {data.month:%Y-%m}")
    pdf.set_author("WMIN imaging warehouse")

    # ---- 1 Summary
    pdf.add_page()
    pdf.h1(f"WMIN imaging board pack - {data.month_label}")
    pub = data.published_at.strftime("%Y-%m-%d %H:%M %Z") if data.published_at else "unknown"
    pdf.para(f"Data as of {data.as_of_date} (published {pub}). Data window "
             f"{data.window_start} to {data.window_end}.", 9, "B")
    pdf.para(mode_text, 8, "I", RED if not data.suppress else GREY)
    for n in data.notes:
        pdf.para(n, 8.5, "B", RED)
    pdf.ln(1)
    pdf.h2("Network headline figures")
    rows = []
    for h in data.headlines:
        k = "pct" if h.kind == "pct" else "count"
        ch = "" if h.change is None else (("+" if h.change > 0 else "") + fmt(h.change, k))
        rows.append([h.measure, fmt(h.current, k), fmt(h.previous, k), ch,
                     "" if h.change_pct is None else f"{h.change_pct:+.1f}%"])
    pdf.grid(["Measure", data.month_label, "Previous month", "Change", "Change %"], rows,
             [95, 30, 30, 25, 22], ["LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"], 8)
    pdf.h2("Completeness per trust")
    comp = data.tables["completeness"]
    short = Table(comp.name, comp.title,
                  [c for c in comp.columns if c.key in ("trust_code", "exams_tested", "volume_pct",
                                                        "feed_days", "lowest_dq_pct", "feed_status_as_of",
                                                        "assessment")], comp.rows)
    pdf.table_of(short, 7, {"trust_code": 16, "exams_tested": 18, "volume_pct": 18, "feed_days": 20,
                            "lowest_dq_pct": 18, "feed_status_as_of": 18, "assessment": 150})

    # ---- 2 TAT
    tat = data.tables["tat"]
    pdf.add_page()
    pdf.h1("Reporting turnaround (TAT) by trust, modality and priority")
    pdf.para("Exams tested in the month and % reported within the priority's target. Full table "
             "(medians, 90th percentiles) in the workbook, sheet TAT.", 8, "I", GREY)
    heads, rows_n, bold = _pivot(tat, "exams_tested", "count", PRIORITIES)
    _, rows_p, _ = _pivot(tat, "reported_within_target_pct", "pct", PRIORITIES)
    merged = [r[:2] + [x for pair in zip(r[2:], p[2:]) for x in pair] for r, p in zip(rows_n, rows_p)]
    hdr = heads[:2] + [f"{p} {s}" for p in heads[2:] for s in ("n", "% in target")]
    w = [16, 14] + [20.5] * 12
    pdf.grid(hdr, merged, w, ["LEFT", "LEFT"] + ["RIGHT"] * 12, 6.5, bold)
    pdf.add_page()
    pdf.h1("Reporting turnaround: median hours and exams reported over 28 days")
    _, rows_h, _ = _pivot(tat, "test_to_report_median_hours", "stat", PRIORITIES)
    _, rows_o, _ = _pivot(tat, "reported_over_28_days", "count", PRIORITIES)
    merged = [r[:2] + [x for pair in zip(r[2:], o[2:]) for x in pair] for r, o in zip(rows_h, rows_o)]
    hdr = heads[:2] + [f"{p} {s}" for p in heads[2:] for s in ("median h", ">28 d")]
    pdf.grid(hdr, merged, w, ["LEFT", "LEFT"] + ["RIGHT"] * 12, 6.5, bold)

    # ---- 3 DID
    pdf.add_page()
    pdf.h1("DID activity: exams tested by patient source setting")
    pdf.para(data.tables["did_pivot"].note, 8, "I", GREY)
    pdf.table_of(data.tables["did_pivot"], 7, {"trust_code": 18, "modality": 16})

    # ---- 4 DM01
    pdf.add_page()
    pdf.h1("DM01 waiting list and 6-week performance")
    pdf.para(data.tables["dm01"].title + ". " + data.tables["dm01"].note, 8, "I", GREY)
    pdf.table_of(data.tables["dm01"], 7.5, {"trust_code": 18, "dm01_test": 22})

    # ---- 5 Backlog + outsourcing
    pdf.add_page()
    pdf.h1("Reporting backlog")
    pdf.h2(data.tables["backlog"].title)
    pdf.para(data.tables["backlog"].note, 8, "I", GREY)
    pdf.table_of(data.tables["backlog"], 7)
    pdf.add_page()
    pdf.h1("Reporting throughput and outsourcing")
    pdf.para(data.tables["outsourcing"].title + ". " + data.tables["outsourcing"].note, 8, "I", GREY)
    pdf.table_of(data.tables["outsourcing"], 7, {"weeks": 12})

    # ---- 6 Data quality and completeness
    pdf.add_page()
    pdf.h1("Data quality and completeness per trust")
    pdf.para(comp.note, 8, "I", GREY)
    pdf.table_of(comp, 6.5, {"trust_code": 14, "trust_name": 52, "feed_days": 16, "lowest_dq": 26,
                             "feed_status_as_of": 14, "assessment": 70, "expected_exams": 16})
    dq = data.tables["dq"]
    pdf.h2("Data-quality checks: % of records passing")
    measures = list(dict.fromkeys(r["measure"] for r in dq.rows))
    by: dict[str, dict[str, object]] = {}
    for r in dq.rows:
        by.setdefault(r["trust_code"], {})[r["measure"]] = r["passing_pct"]
    rows = [[t] + [fmt(v.get(m), "pct") for m in measures] for t, v in by.items()]
    if rows:
        pdf.grid(["Trust"] + [m.replace("_", " ") for m in measures], rows,
                 [20] + [34] * len(measures), ["LEFT"] + ["RIGHT"] * len(measures), 7.5,
                 {i for i, t in enumerate(by) if t == dc.NETWORK})
    else:
        pdf.para(dq.note, 8, "I")

    # ---- 7 SPC
    pdf.add_page()
    pdf.h1("SPC (XmR) charts of the network headline measures")
    pdf.para("Mean and natural process limits (mean +/- 2.66 x mean moving range). Orange points "
             "are special cause: beyond a limit, or part of a run of 7+ on one side of the mean.",
             8, "I", GREY)
    top = pdf.get_y() + 1
    cw, chh = (pdf.w - 20) / 2, (pdf.h - top - 14) / 2
    for i, s in enumerate(data.spc[:4]):
        _spc_chart(pdf, s, 10 + (i % 2) * cw, top + (i // 2) * chh, cw - 4, chh - 2)

    # ---- 8 Definitions
    pdf.add_page()
    pdf.h1("Definitions")
    pdf.para(f"Source: {SOURCE}.", 8, "I", GREY)
    pdf.ln(1)
    for term, text in DEFINITIONS:
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(55, 4, latin1(term))
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(0, 4, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.6)
    pdf.output(str(path))
    return pdf.pages_count
