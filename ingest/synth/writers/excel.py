"""Family `excel`: a weekly .xlsx workbook with an exam sheet (wide layout) and a slot sheet.

Cell kinds follow the spec: timestamps and dates are datetime cells (a number with a date
format), bare serial numbers with the `excel_serial_dates` quirk, or text in the spec's
`datetime_format` / `date_format` when the spec declares a non-default format.

The workbook is written by xlsxwriter in constant_memory mode. Its header row goes through the
public API; the data rows are rendered as SpreadsheetML for the whole sheet at once (vectorised)
and streamed into the worksheet's row file, which is what constant_memory mode does row by row.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ingest.feeds.spec import FeedSpec

from ..defects import BAD_DATE, BAD_TIMESTAMP, RowDefect, extra_line_numbers, line_numbers
from ._format import excel_serials, string_slices
from .base import DATE_FIELDS, INT_FIELDS, TS_FIELDS, format_field, one_row

DEFAULT_DATETIME_FORMAT = FeedSpec.model_fields["datetime_format"].default
DEFAULT_DATE_FORMAT = FeedSpec.model_fields["date_format"].default
FIXED_CREATED = datetime(2000, 1, 1)
FIRST_ROW = 2  # sheet row of the first data row (row 1 is the header)


def _xml_escape(a: pa.Array) -> pa.Array:
    a = pc.replace_substring(a, "&", "&amp;")
    a = pc.replace_substring(a, "<", "&lt;")
    return pc.replace_substring(a, ">", "&gt;")


def _num_text(v: np.ndarray) -> pa.Array:
    arr = pa.array(np.asarray(v, dtype=np.float64), pa.float64(), from_pandas=True)
    return pc.fill_null(pc.cast(arr, pa.string()), "")


class SheetRenderer:
    """One sheet of the workbook: `columns` maps canonical fields to headers."""

    fmt = "xlsx"
    first_line = FIRST_ROW

    def __init__(self, spec: FeedSpec, columns: dict[str, str], key: str) -> None:
        self.spec = spec
        self.columns = dict(columns)
        self.key = key
        self.serial = "excel_serial_dates" in spec.quirks
        self.text_ts = not self.serial and spec.datetime_format != DEFAULT_DATETIME_FORMAT
        self.text_dates = not self.serial and spec.date_format != DEFAULT_DATE_FORMAT
        self.letters = [xl_col_to_name(i) for i in range(len(self.columns))]
        self.styles: dict[str, int | None] = {"dt": None, "d": None}

    def kinds(self) -> dict[str, str]:
        out = {}
        for f in self.columns:
            if f in TS_FIELDS:
                out[f] = "s" if self.text_ts else ("n" if self.serial else "dt")
            elif f in DATE_FIELDS:
                out[f] = "s" if self.text_dates else ("n" if self.serial else "d")
            elif f in INT_FIELDS:
                out[f] = "n"
            else:
                out[f] = "s"
        return out

    def fields(self, canon: dict) -> dict[str, tuple[str, pa.Array]]:
        out = {}
        tz = self.spec.timezone
        for f, kind in self.kinds().items():
            v = canon[f]
            if kind == "s":
                out[f] = ("s", _xml_escape(format_field(self.spec, f, v)))
            elif f in TS_FIELDS:
                out[f] = (kind, _num_text(excel_serials(np.asarray(v, dtype=np.int64), tz)))
            elif f in DATE_FIELDS:
                out[f] = (kind, _num_text(excel_serials(v, tz, dates=True)))
            else:
                out[f] = ("n", pc.cast(pa.array(np.asarray(v, dtype=np.int64)), pa.string()))
        return out

    def rows_xml(self, fields: dict[str, tuple[str, pa.Array]], rownums: np.ndarray) -> pa.Array:
        r = pc.cast(pa.array(np.asarray(rownums, dtype=np.int64)), pa.string())
        cells = []
        for f, letter in zip(self.columns, self.letters, strict=True):
            kind, v = fields[f]
            if kind == "s":
                cell = pc.binary_join_element_wise(
                    f'<c r="{letter}', r, '" t="inlineStr"><is><t>', v, "</t></is></c>", ""
                )
            else:
                style = {"dt": self.styles["dt"], "d": self.styles["d"]}.get(kind)
                s_attr = f' s="{style}"' if style is not None else ""
                cell = pc.binary_join_element_wise(f'<c r="{letter}', r, f'"{s_attr}><v>', v,
                                                   "</v></c>", "")  # fmt: skip
            cells.append(pc.if_else(pc.equal(v, ""), "", cell))
        return pc.binary_join_element_wise('<row r="', r, '">', *cells, "</row>", "")

    def ts_field(self, row: dict) -> str | None:
        names = [f for f in self.columns if f in TS_FIELDS]
        for f in names:
            if row[f][1][0].as_py():
                return f
        return names[0] if names else None

    def extra(self, fields: dict, d: RowDefect, rownum: int) -> tuple[str, str | None, str]:
        row = one_row_typed(fields, d.row)
        field = None
        if d.kind == "duplicate_row":
            detail = "exact repeat of the previous row"
        elif d.kind == "missing_key":
            field = self.key
            row[field] = ("s", pa.array([""], pa.string()))
            detail = f"copy of the previous row with {self.columns[field]!r} empty"
        elif d.kind == "unparseable_timestamp":
            field = self.ts_field(row)
            row[field] = ("s", pa.array([BAD_TIMESTAMP], pa.string()))
            detail = (
                f"copy of the previous row with {self.columns[field]!r} = text {BAD_TIMESTAMP!r}"
            )
        elif d.kind == "unparseable_date":
            field = next(f for f in self.columns if f in DATE_FIELDS)
            row[field] = ("s", pa.array([BAD_DATE], pa.string()))
            detail = f"copy of the previous row with {self.columns[field]!r} = text {BAD_DATE!r}"
        else:  # pragma: no cover
            raise ValueError(d.kind)
        return self.rows_xml(row, np.array([rownum]))[0].as_py(), field, detail


def one_row_typed(fields: dict, j: int) -> dict:
    return {f: (k, v.slice(j, 1)) for f, (k, v) in fields.items()}


def write_workbook(path: Path, sheets: list[tuple[str, SheetRenderer, dict, list[RowDefect]]]
                   ) -> list[list[tuple[RowDefect, int, str | None, str]]]:  # fmt: skip
    """Write a workbook; sheets = (name, renderer, canonical columns, planned row defects).

    Returns, per sheet, the injected defects as (defect, sheet row, field, detail).
    """
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
    wb.set_properties({"created": FIXED_CREATED, "author": "WMIN synthetic RIS"})
    fmt_dt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    fmt_d = wb.add_format({"num_format": "yyyy-mm-dd"})
    styles = {"dt": fmt_dt._get_xf_index(), "d": fmt_d._get_xf_index()}
    results = []
    for name, rend, canon, plan in sheets:
        rend.styles = styles
        ws = wb.add_worksheet(name)
        for c, h in enumerate(rend.columns.values()):
            ws.write_string(0, c, h)
        n = len(canon[next(iter(rend.columns))]) if rend.columns else 0
        injected = []
        if n:
            fields = rend.fields(canon)
            nums = line_numbers(np.arange(n), FIRST_ROW, plan)
            xml = rend.rows_xml(fields, nums)
            extra_nums = extra_line_numbers(FIRST_ROW, plan)
            extras = []
            for d, num in zip(plan, extra_nums, strict=True):
                text, field, detail = rend.extra(fields, d, num)
                extras.append((d.row, text))
                injected.append((d, num, field, detail))
            ws._write_single_row(1)  # flush the header row (constant_memory keeps one row)
            data, off = string_slices(xml)
            buf = memoryview(data)
            pos = 0
            for row, text in extras:
                ws.fh.write(bytes(buf[int(off[pos]) : int(off[row + 1])]).decode("utf-8"))
                ws.fh.write(text)
                pos = row + 1
            ws.fh.write(bytes(buf[int(off[pos]) : int(off[n])]).decode("utf-8"))
            last = int(nums[-1]) if not extra_nums else max(int(nums[-1]), extra_nums[-1])
            ws._check_dimensions(last - 1, len(rend.columns) - 1)
            ws.previous_row = last - 1
        results.append(injected)
    wb.close()
    return results


def exam_renderer(spec: FeedSpec) -> SheetRenderer:
    return SheetRenderer(spec, spec.columns, key="accession")


def slot_renderer(spec: FeedSpec) -> SheetRenderer:
    return SheetRenderer(spec, spec.slot_columns, key="slot_id")


__all__ = ["SheetRenderer", "exam_renderer", "one_row", "slot_renderer", "write_workbook"]
