"""Family `excel`: a weekly .xlsx workbook; exam sheet laid out like wide_csv, slot sheet like slots."""

from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

from ingest import quirks
from ingest.feeds.spec import EXAM_FIELDS, REQUIRED_EXAM_FIELDS, WIDE_EVENT_FIELDS, FeedSpec
from ingest.readers._timefmt import parse_canonical
from ingest.readers.extract_column import EXTRACT_FIELD, column_format, extract_column, resolve
from ingest.readers.results import Ctx, QuarantineError, RawRows, ReadResult, Rejects
from ingest.readers.slots import build_slots
from ingest.readers.wide_csv import build_wide

_TS_FIELDS = {f for f in WIDE_EVENT_FIELDS if f.endswith("_at")} | {"slot_start"}
_DATE_FIELDS = {"birth_date", "clock_start_date"}


def _text(v) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    s = str(v).strip()
    return s or None


# what str.strip() removes: every character for which str.isspace() holds
_PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def _texts(values: list) -> pa.Array:
    """`_text` of each cell as an Arrow array; a column of text cells only is stripped in bulk."""
    if all(type(v) is str or v is None for v in values):
        arr = pc.utf8_trim(pa.array(values, pa.string()), characters=_PY_WHITESPACE)
        return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return pa.array([_text(v) for v in values], pa.string())


def _transpose(body: list[list]) -> list[tuple] | None:
    """Columns of a rectangular sheet body (None when rows differ in length)."""
    if not body:
        return []
    width = len(body[0])
    if any(len(row) != width for row in body):
        return None
    return list(zip(*body))


def _when(values: list, spec: FeedSpec, fmt: str, dates: bool) -> tuple[list, np.ndarray]:
    """Cells -> naive datetimes (None if empty) and the mask of cells that are not a date/time."""
    if "excel_serial_dates" in spec.quirks:
        values = quirks.excel_serial_dates(values)
    out, bad = [], np.zeros(len(values), dtype=bool)
    text_at, texts = [], []
    for i, v in enumerate(values):
        if v is None or v == "":
            out.append(None)
        elif isinstance(v, datetime):
            out.append(v)
        elif isinstance(v, date):
            out.append(datetime(v.year, v.month, v.day))
        elif isinstance(v, str):
            out.append(None)
            text_at.append(i)
            texts.append(v.strip())
        else:  # numbers without the quirk, times, durations: not a timestamp
            out.append(None)
            bad[i] = True
    for i, when in zip(text_at, _strptime_many(texts, fmt)):
        if when is None:
            bad[i] = True
        else:
            out[i] = when
    return out, bad


def _strptime_many(texts: list[str], fmt: str) -> list:
    """`datetime.strptime(t, fmt)` of each text (None where it fails). Texts already in the
    canonical fixed-width form of `fmt` are parsed in bulk (_timefmt): strptime gives them the
    same value; only the others pay for a strptime call each."""
    out: list = [None] * len(texts)
    fast = parse_canonical(pa.array(texts, pa.string()), fmt) if texts else None
    if fast is not None:
        values, handled = fast
        idx = np.flatnonzero(handled)
        for i, when in zip(
            idx.tolist(), values[idx].view("datetime64[us]").astype(object).tolist()
        ):
            out[i] = when
    else:
        handled = np.zeros(len(texts), dtype=bool)
    for i in np.flatnonzero(~handled).tolist():
        try:
            out[i] = datetime.strptime(texts[i], fmt)
        except ValueError:
            pass
    return out


def _sheet(wb: CalamineWorkbook, name: str, file_path: str) -> list[list]:
    if name not in wb.sheet_names:
        raise QuarantineError(
            "not_declared_format",
            f"{file_path}: the workbook has no sheet {name!r} "
            f"(sheets: {wb.sheet_names}); ask the trust for the agreed layout or "
            "correct the sheet name in the feed spec",
        )
    return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _columns(
    rows: list[list],
    colmap: dict[str, str],
    required,
    spec: FeedSpec,
    file_path: str,
    sheet: str,
    rejects_prefix: str,
) -> RawRows:
    """A sheet's rows as read: cells by canonical field (times and dates typed, with the cells
    that did not read), each row's sheet row, and its byte-identical repeats."""
    header = [(_text(v) or "") for v in (rows[0] if rows else [])]
    found = {c: i for i, c in enumerate(header)}
    column_map = {f: (c if c in found else None) for f, c in colmap.items()}
    missing = [f"{f} ({colmap[f]!r})" for f in required if column_map.get(f) is None]
    if missing:
        raise QuarantineError(
            "missing_required_columns",
            f"{file_path}: sheet {sheet!r} lacks required "
            f"column(s) {', '.join(missing)}; ask the trust to restore them or correct "
            "'columns' in the feed spec",
        )
    body, lines = [], []
    for r, row in enumerate(rows[1:], start=2):
        if all(v is None or v == "" for v in row):
            continue
        body.append(row)
        lines.append(r)
    n = len(body)
    raw: dict[str, pa.Array] = {}
    pre_bad: dict[str, np.ndarray] = {}
    columns = _transpose(body)
    for f, c in colmap.items():
        if c not in found:
            continue
        i = found[c]
        if columns is not None:
            vals = list(columns[i]) if i < len(columns) else [None] * n
        else:
            vals = [row[i] if i < len(row) else None for row in body]
        if f in _TS_FIELDS or f == EXTRACT_FIELD:
            v, b = _when(
                vals,
                spec,
                column_format(spec) if f == EXTRACT_FIELD else spec.datetime_format,
                False,
            )
            raw[f] = pa.array(v, pa.timestamp("us"))
            pre_bad[f] = b
        elif f in _DATE_FIELDS:
            v, b = _when(vals, spec, spec.date_format, True)
            raw[f] = pa.array([x.date() if x else None for x in v], pa.date32())
            pre_bad[f] = b
        else:
            raw[f] = _texts(vals)
    seen, dup = set(), np.zeros(n, dtype=bool)
    for k, row in enumerate(body):
        key = tuple(row)
        dup[k] = key in seen
        seen.add(key)

    def raw_line(k: int) -> str:
        return f"{rejects_prefix}row {lines[k]}: " + "\t".join(
            "" if v is None else str(v) for v in body[k]
        )

    return RawRows(
        raw,
        np.array(lines, dtype=np.int64),
        Rejects(file_path),
        n,
        raw_line,
        column_map,
        dup,
        pre_bad,
    )


def read(
    path: Path,
    spec: FeedSpec,
    *,
    extract_at: datetime | None = None,
    local_codes: set[str] | None = None,
    file_path: str | None = None,
    data: bytes | None = None,
) -> ReadResult:
    file_path = file_path or str(path)
    data = Path(path).read_bytes() if data is None else data
    if not data.startswith(b"PK\x03\x04"):
        if not data.strip():
            raise QuarantineError(
                "truncated_file", f"{file_path}: the file is empty; ask for it again"
            )
        raise QuarantineError(
            "not_declared_format",
            f"{file_path}: not an .xlsx workbook (no zip "
            "signature) although the feed spec declares family excel; check the file",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            broken = z.testzip()
        if broken:
            raise zipfile.BadZipFile(broken)
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise QuarantineError(
            "truncated_file",
            f"{file_path}: the workbook's zip structure is broken "
            f"({e}); the file is truncated or damaged: ask the trust to resend it",
        ) from None
    except Exception as e:  # noqa: BLE001 -calamine raises its own error types for unreadable workbooks
        raise QuarantineError(
            "unreadable",
            f"{file_path}: the workbook cannot be read ({e}); open it in "
            "Excel to check, and ask the trust to resend it",
        ) from None
    ctx = Ctx(spec, file_path, extract_at, local_codes)
    try:
        rows = _sheet(wb, spec.exam_sheet, file_path)
        colmap = {
            f: c for f, c in spec.columns.items() if f in EXAM_FIELDS or f in WIDE_EVENT_FIELDS
        }
        exams = _columns(
            rows,
            {**colmap, **extract_column(spec)},
            REQUIRED_EXAM_FIELDS + tuple(extract_column(spec)),
            spec,
            file_path,
            spec.exam_sheet,
            "",
        )
        ctx.extract_at, source = resolve(
            spec,
            extract_at,
            exams.columns,
            exams.lines,
            exams.rejects,
            file_path,
            exams.pre_bad.pop(EXTRACT_FIELD, None),
        )
        slot_res = None
        if spec.slot_columns and spec.slot_sheet in wb.sheet_names:
            srows = wb.get_sheet_by_name(spec.slot_sheet).to_python(skip_empty_area=False)
            slot_rows = _columns(
                srows,
                dict(spec.slot_columns),
                ("slot_id", "slot_start"),
                spec,
                file_path,
                spec.slot_sheet,
                f"{spec.slot_sheet}!",
            )  # the workbook's extract time serves its slots
            mins = slot_rows.columns.get("slot_minutes")
            slot_minutes = None
            if mins is not None:
                s = pd.to_numeric(pd.Series(mins.to_pylist(), dtype=object), errors="coerce")
                slot_minutes = pa.array(s.round().astype("Int32"), pa.int32(), from_pandas=True)
            slot_res = build_slots(ctx, slot_rows, family="excel", slot_minutes=slot_minutes)
    except QuarantineError:
        raise
    except Exception as e:  # noqa: BLE001 - calamine's own error types: the file is unreadable
        raise QuarantineError(
            "unreadable",
            f"{file_path}: the workbook cannot be read ({e}); open it in "
            "Excel to check, and ask the trust to resend it",
        ) from None
    res = build_wide(ctx, "excel", exams, slots=slot_res.capacity_slots if slot_res else None)
    res.extract_at, res.extract_source = ctx.extract_at, source
    if slot_res is not None:
        res.rows_read += slot_res.rows_read
        if len(slot_res.rejected):
            res.rejected = pd.concat([res.rejected, slot_res.rejected], ignore_index=True)
        res.field_parse.update({f"slots.{k}": v for k, v in slot_res.field_parse.items()})
    return res
