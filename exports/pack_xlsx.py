"""The board pack workbook (xlsxwriter). Every text cell goes through `safe_cells`.

Layout of a table on a sheet: a bold title row, a note row, a header row, the data rows, a blank
row. Suppressed figures are the text `*`; every other figure is a numeric cell.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from reporting import disclosure as dc
from exports.definitions import DEFINITIONS, SOURCE
from exports.pack_data import PackData, Table
from exports.safe_cells import WORKBOOK_OPTIONS, write_cell

NUMBER_FORMATS = {"count": "#,##0", "stat": "0.0", "pct": "0.0", "text": "@"}


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"bold": True, "font_size": 11})
        self.note = wb.add_format({"italic": True, "font_color": "#555555"})
        self.header = wb.add_format({"bold": True, "bg_color": "#005EB8", "font_color": "#FFFFFF",
                                     "text_wrap": True, "valign": "top", "border": 1})
        self.key = wb.add_format({"bold": True})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.warn = wb.add_format({"bold": True, "font_color": "#C00000"})
        self.num = {k: wb.add_format({"num_format": v}) for k, v in NUMBER_FORMATS.items()}
        self.suppressed = wb.add_format({"align": "right"})
        self.num_bold = {k: wb.add_format({"num_format": v, "bold": True}) for k, v in NUMBER_FORMATS.items()}


def write_table(ws, row: int, table: Table, f: _Formats, title: str | None = None) -> int:
    """Write a table at `row`; return the next free row."""
    write_cell(ws, row, 0, title or table.title, f.subtitle)
    row += 1
    if table.note:
        write_cell(ws, row, 0, table.note, f.note)
        row += 1
    for j, c in enumerate(table.columns):
        write_cell(ws, row, j, c.header, f.header)
    row += 1
    for r in table.rows:
        bold = r.get("trust_code") == dc.NETWORK
        for j, c in enumerate(table.columns):
            v = r.get(c.key)
            fmt = (f.num_bold if bold else f.num)[c.kind]
            if v == dc.SUPPRESSED:
                write_cell(ws, row, j, v, f.suppressed)
            else:
                write_cell(ws, row, j, v, fmt if c.kind != "text" else None)
        row += 1
    if not table.rows:
        write_cell(ws, row, 0, "(no rows)", f.note)
        row += 1
    return row + 1


def _widths(ws, table: Table) -> None:
    for j, c in enumerate(table.columns):
        ws.set_column(j, j, 12 if c.kind != "text" else (28 if c.key in ("assessment", "trust_name") else 14))


def write_workbook(data: PackData, path: Path, mode_text: str) -> list[str]:
    """Write the workbook; return its sheet names in order."""
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    f = _Formats(wb)
    sheets = []

    # ---- Summary
    ws = wb.add_worksheet("Summary")
    sheets.append("Summary")
    ws.set_column(0, 0, 48)
    ws.set_column(1, 5, 16)
    write_cell(ws, 0, 0, f"WMIN imaging board pack - {data.month_label}", f.title)
    info = [
        ("Month", data.month.strftime("%Y-%m")),
        ("Data as of", data.as_of_date.isoformat() if data.as_of_date else "unknown"),
        ("Published at (Europe/London)",
         data.published_at.strftime("%Y-%m-%d %H:%M %Z") if data.published_at else "unknown"),
        ("Data window", f"{data.window_start or '?'} to {data.window_end or '?'}"),
        ("Disclosure control", "ON (published)" if data.suppress else "OFF (internal use only)"),
        ("Mode", mode_text),
    ]
    row = 2
    for k, v in info:
        write_cell(ws, row, 0, k, f.key)
        write_cell(ws, row, 1, v)
        row += 1
    for n in data.notes:
        write_cell(ws, row, 0, n, f.warn)
        row += 1
    row += 1
    write_cell(ws, row, 0, "Network headline figures and change from the previous month", f.subtitle)
    row += 1
    write_cell(ws, row, 0, "Whole-network figures (NETWORK rows; never suppressed).", f.note)
    row += 1
    for j, h in enumerate(["Measure", "This month", "Previous month", "Change", "Change %"]):
        write_cell(ws, row, j, h, f.header)
    row += 1
    for h in data.headlines:
        kind = "pct" if h.kind == "pct" else "count"
        write_cell(ws, row, 0, h.measure)
        write_cell(ws, row, 1, h.current, f.num[kind])
        write_cell(ws, row, 2, h.previous, f.num[kind])
        write_cell(ws, row, 3, h.change, f.num[kind])
        write_cell(ws, row, 4, h.change_pct, f.num["pct"])
        row += 1
    row += 1
    write_table(ws, row, data.tables["completeness"], f)

    # ---- one sheet per section
    for key, sheet in [("completeness", "Completeness"), ("tat", "TAT"), ("did", "DID activity"),
                       ("dm01", "DM01"), ("backlog", "Backlog"), ("outsourcing", "Outsourcing"),
                       ("dq", "Data quality")]:
        t = data.tables[key]
        ws = wb.add_worksheet(sheet)
        sheets.append(sheet)
        _widths(ws, t)
        ws.freeze_panes(3 if t.note else 2, 0)
        write_table(ws, 0, t, f)

    # ---- SPC: data and a chart per measure
    ws = wb.add_worksheet("SPC")
    sheets.append("SPC")
    ws.set_column(0, 0, 12)
    ws.set_column(1, 6, 14)
    row = 0
    write_cell(ws, row, 0, "SPC (XmR) of the network headline measures", f.title)
    row += 1
    write_cell(ws, row, 0, "Mean +/- 2.66 x mean moving range; special cause = beyond a limit or a "
               "run of 7+ on one side of the mean. Incomplete months left out.", f.note)
    row += 2
    for s in data.spc:
        write_cell(ws, row, 0, s.measure, f.subtitle)
        row += 1
        if s.left_out:
            write_cell(ws, row, 0, "Left out: " + ", ".join(s.left_out), f.note)
            row += 1
        hdr = ["Month", "Value", "Mean", "Upper limit", "Lower limit", "Moving range", "Special cause"]
        for j, h in enumerate(hdr):
            write_cell(ws, row, j, h, f.header)
        row += 1
        first = row
        for p in s.chart.points:
            write_cell(ws, row, 0, p.label)
            for j, v in enumerate([p.value, s.chart.mean, s.chart.unpl, s.chart.lnpl, p.moving_range], 1):
                write_cell(ws, row, j, None if v is None else round(v, 2), f.num["stat"])
            write_cell(ws, row, 6, "yes" if p.special_cause else "")
            row += 1
        last = row - 1
        if s.chart.points:
            ch = wb.add_chart({"type": "line"})
            for col, name, style in [(1, "Value", {"marker": {"type": "circle"}}),
                                     (2, "Mean", {"line": {"color": "#444444"}}),
                                     (3, "Upper limit", {"line": {"color": "#999999", "dash_type": "dash"}}),
                                     (4, "Lower limit", {"line": {"color": "#999999", "dash_type": "dash"}})]:
                ch.add_series({"name": name, "categories": ["SPC", first, 0, last, 0],
                               "values": ["SPC", first, col, last, col], **style})
            ch.set_title({"name": s.measure})
            ch.set_size({"width": 620, "height": 260})
            ch.set_legend({"position": "bottom"})
            ws.insert_chart(first - 1, 8, ch)
        row = max(row, first + 13) + 1

    # ---- Definitions
    ws = wb.add_worksheet("Definitions")
    sheets.append("Definitions")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 120)
    write_cell(ws, 0, 0, "Definitions", f.title)
    write_cell(ws, 1, 0, f"Source: {SOURCE}", f.note)
    for i, (term, text) in enumerate(DEFINITIONS, start=3):
        write_cell(ws, i, 0, term, f.key)
        write_cell(ws, i, 1, text, f.wrap)
    wb.close()
    return sheets
