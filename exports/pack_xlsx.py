"""The board pack workbook (xlsxwriter): a cover sheet, then one table per sheet.

Every data sheet has the same layout: title (row 1), note (row 2), header (row 3, frozen, with
an autofilter) and the rows under it. Months and dates are real spreadsheet dates; numbers are
numbers; suppressed cells are `*`; every text cell is neutralised (`safe_cells`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import xlsxwriter

from exports.definitions import DEFINITIONS, SOURCE
from exports.pack_data import Chart, PackData, assurance_reading
from exports.pack_spc_chart import left_out_text
from exports.pack_tables import Column, Table
from exports.safe_cells import WORKBOOK_OPTIONS, write_cell
from reporting import disclosure as dc
from reporting.measures import MEASURES
from reporting.spc import BASELINE_POINTS, E2, RULES, VARIATION_TEXT, point_classes

NUMBER_FORMATS = {
    "count": "#,##0",
    "stat": "0.0",
    "pct": "0.0",
    "text": "@",
    "value": "#,##0.0##",
    "date": "dd mmm yyyy",
    "month": "mmm yyyy",
    "datetime": "dd mmm yyyy hh:mm",
}
HEADER_ROW = 2  # title, note, header


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.note = wb.add_format({"italic": True, "font_color": "#555555"})
        self.header = wb.add_format(
            {
                "bold": True,
                "bg_color": "#005EB8",
                "font_color": "#FFFFFF",
                "text_wrap": True,
                "valign": "top",
                "border": 1,
            }
        )
        self.key = wb.add_format({"bold": True})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.warn = wb.add_format({"bold": True, "font_color": "#C00000"})
        self.num = {k: wb.add_format({"num_format": v}) for k, v in NUMBER_FORMATS.items()}
        self.num_bold = {
            k: wb.add_format({"num_format": v, "bold": True}) for k, v in NUMBER_FORMATS.items()
        }
        self.suppressed = wb.add_format({"align": "right"})


def write_table(wb: xlsxwriter.Workbook, sheet: str, table: Table, f: _Formats) -> None:
    """`table` on its own sheet: title, note, frozen header with an autofilter, rows."""
    ws = wb.add_worksheet(sheet)
    write_cell(ws, 0, 0, table.title, f.title)
    write_cell(ws, 1, 0, table.note, f.note)
    for j, c in enumerate(table.columns):
        write_cell(ws, HEADER_ROW, j, c.header, f.header)
        wide = c.key in ("assessment", "trust_name", "reading", "left_out", "definition", "label")
        ws.set_column(j, j, 60 if c.key in ("definition", "assessment") else 30 if wide else 14)
    row = HEADER_ROW + 1
    for r in table.rows:
        bold = r.get("trust_code") == dc.NETWORK
        for j, c in enumerate(table.columns):
            v = r.get(c.key)
            fmt = (f.num_bold if bold else f.num)[c.kind]
            if v == dc.SUPPRESSED:
                write_cell(ws, row, j, v, f.suppressed)
            else:
                write_cell(
                    ws,
                    row,
                    j,
                    v,
                    fmt if c.kind != "text" else (f.wrap if c.key == "definition" else None),
                )
        row += 1
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.autofilter(HEADER_ROW, 0, max(row - 1, HEADER_ROW), len(table.columns) - 1)


def summary_table(data: PackData) -> Table:
    cols = [
        Column("label", "Measure"),
        Column("unit", "Unit"),
        Column("month", "Latest mature month", "month"),
        Column("value", "Value", "value"),
        Column("previous_month", "Previous mature month", "month"),
        Column("previous_value", "Previous value", "value"),
        Column("change", "Change", "value"),
        Column("target", "Target", "value"),
        Column("variation", "Variation"),
        Column("assurance", "Assurance"),
        Column("left_out", "Months left out of the chart"),
    ]
    rows = [
        {
            "label": h.measure.label,
            "unit": h.measure.unit,
            "month": h.month,
            "value": h.value,
            "previous_month": h.previous_month,
            "previous_value": h.previous_value,
            "change": h.change,
            "target": h.measure.target,
            "variation": VARIATION_TEXT[h.chart.judgement.variation],
            "assurance": assurance_reading(h.measure, h.chart.judgement.assurance),
            "left_out": left_out_text(h.chart.left_out()),
        }
        for h in data.headlines
    ]
    return Table(
        "Summary",
        f"Network headline measures: latest mature month ({data.month_label} pack)",
        cols,
        rows,
        "Whole-network figures (exact). Only mature months are compared; a "
        "28-day measure matures 28 days after its month ends.",
    )


def matrix_table(data: PackData) -> Table:
    cols = [
        Column("trust_code", "Trust"),
        Column("trust_name", "Trust name"),
        Column("label", "Measure"),
        Column("latest_month", "Month judged", "month"),
        Column("variation", "Variation"),
        Column("assurance", "Assurance"),
        Column("judged_months", "Mature months charted", "count"),
    ]
    rows = [
        {
            **r,
            "variation": VARIATION_TEXT[r["variation"]],
            "assurance": assurance_reading(MEASURES[r["measure"]], r["assurance"]),
        }
        for r in data.matrix.to_dict("records")
    ]
    return Table(
        "Trust matrix",
        "Variation and assurance of each trust's latest mature month",
        cols,
        rows,
        f"Each trust's own XmR chart (limits from its own first {BASELINE_POINTS} mature months). Icons only: "
        "trust-level figures are in the detail sheets, under disclosure control.",
    )


def spc_table(charts: list[Chart]) -> Table:
    cols = [
        Column("label", "Measure"),
        Column("month", "Month", "month"),
        Column("value", "Value", "value"),
        Column("judged", "Judged"),
        Column("left_out", "Left out because"),
        Column("baseline", "Baseline"),
        Column("mean", "Mean", "value"),
        Column("unpl", "Upper process limit", "value"),
        Column("lnpl", "Lower process limit", "value"),
        Column("moving_range", "Moving range", "value"),
        Column("mr_upper_limit", "Moving range limit", "value"),
        Column("point", "Point"),
        Column("rules", "Special-cause rules"),
        Column("charted", "Judged value (charted)", "value"),
    ]
    rows = []
    for c in charts:
        classes = point_classes(c.table, c.measure.improvement)
        for r, cls in zip(c.table.to_dict("records"), classes):
            rows.append(
                {
                    "label": c.measure.label,
                    "month": r["label"],
                    "value": r["value"],
                    "judged": "yes" if r["judged"] else "no",
                    "left_out": r["left_out"],
                    "baseline": "yes" if r["baseline"] else "",
                    "mean": r["mean"],
                    "unpl": r["unpl"],
                    "lnpl": r["lnpl"],
                    "moving_range": r["moving_range"],
                    "mr_upper_limit": r["mr_upper_limit"],
                    "point": cls,
                    "rules": ", ".join(rule for rule in RULES if r[rule]),
                    "charted": r["value"] if r["judged"] else None,
                }
            )
    return Table(
        "SPC data",
        "SPC (XmR) of the network's headline measures, month by month",
        cols,
        rows,
        f"Limits = mean +/- {E2} x mean moving range of the baseline (the first {BASELINE_POINTS} judged months), "
        "then fixed; run-in, incomplete and immature months left out with their reasons.",
    )


def _spc_charts(wb: xlsxwriter.Workbook, charts: list[Chart], f: _Formats) -> None:
    """Native line charts of the SPC data sheet, one per measure (judged months only plotted)."""
    ws = wb.add_worksheet("SPC charts")
    write_cell(
        ws, 0, 0, "SPC charts of the network's headline measures (data: sheet SPC data)", f.title
    )
    first = HEADER_ROW + 1
    for k, c in enumerate(charts):
        last = first + len(c.table) - 1
        ch = wb.add_chart({"type": "line"})
        # judged values only: a run-in month's backlog would squash the scale
        for col, name, style in [
            (13, "Value", {"marker": {"type": "circle"}}),
            (6, "Mean", {"line": {"color": "#444444"}}),
            (7, "Upper limit", {"line": {"color": "#999999", "dash_type": "dash"}}),
            (8, "Lower limit", {"line": {"color": "#999999", "dash_type": "dash"}}),
        ]:
            ch.add_series(
                {
                    "name": name,
                    "categories": ["SPC data", first, 1, last, 1],
                    "values": ["SPC data", first, col, last, col],
                    **style,
                }
            )
        ch.set_title({"name": c.measure.label})
        ch.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
        ch.set_size({"width": 620, "height": 280})
        ch.set_legend({"position": "bottom"})
        ws.insert_chart(2 + (k // 2) * 15, (k % 2) * 10, ch)
        first = last + 1


def _cover(wb: xlsxwriter.Workbook, data: PackData, mode_text: str, f: _Formats) -> None:
    ws = wb.add_worksheet("Cover")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 110)
    write_cell(ws, 0, 0, f"WMIN imaging board pack - {data.month_label}", f.title)
    published = (
        data.published_at.replace(tzinfo=None) if isinstance(data.published_at, datetime) else None
    )
    info = [
        ("Month", data.month, "month"),
        ("Data as of", data.as_of_date, "date"),
        ("Published at (Europe/London)", published, "datetime"),
        ("Data window start", data.window_start, "date"),
        ("Data window end", data.window_end, "date"),
        (
            "Disclosure control",
            "ON (published)" if data.suppress else "OFF (internal use only)",
            "text",
        ),
        ("Mode", mode_text, "text"),
    ]
    row = 2
    for key, value, kind in info:
        write_cell(ws, row, 0, key, f.key)
        write_cell(
            ws,
            row,
            1,
            value if value is not None else "not recorded",
            f.num[kind] if kind != "text" else None,
        )
        row += 1
    for note in data.notes:
        write_cell(ws, row, 0, note, f.warn)
        row += 1


def write_workbook(data: PackData, path: Path, mode_text: str) -> list[str]:
    """Write the workbook; return its sheet names in order."""
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    f = _Formats(wb)
    _cover(wb, data, mode_text, f)
    write_table(wb, "Summary", summary_table(data), f)
    write_table(wb, "Trust matrix", matrix_table(data), f)
    write_table(wb, "SPC data", spc_table(data.charts), f)
    _spc_charts(wb, data.charts, f)
    for key, sheet in [
        ("completeness", "Completeness"),
        ("tat", "TAT"),
        ("did", "DID activity"),
        ("dm01", "DM01"),
        ("backlog", "Backlog"),
        ("outsourcing", "Outsourcing"),
        ("dq", "Data quality"),
    ]:
        write_table(wb, sheet, data.tables[key], f)
    definitions = Table(
        "Definitions",
        "Definitions",
        [Column("term", "Term"), Column("definition", "Definition")],
        [{"term": t, "definition": d} for t, d in DEFINITIONS],
        f"Source: {SOURCE}",
    )
    write_table(wb, "Definitions", definitions, f)
    names = [ws.get_name() for ws in wb.worksheets()]
    wb.close()
    return names
