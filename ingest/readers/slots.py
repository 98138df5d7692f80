"""Appointment-book slots extract (CSV in the trust's dialect; Excel trusts: see excel.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import CAPACITY_SLOTS, EXAM_EVENTS, EXAM_RECORDS
from ingest.feeds.spec import FeedSpec
from ingest.readers import _csv
from ingest.readers.extract_column import extract_column, resolve
from ingest.readers.frames import arrow_frame, empty_frame
from ingest.readers.localise import localise
from ingest.readers.results import Ctx, RawRows, ReadResult, missing_key, reject_mask
from ingest.readers.timestamps import parse_naive
from ingest.readers.values import as_str, map_values, nonempty

REQUIRED = ("slot_id", "slot_start")


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
    # a slots extract may lack the exams' extract-time column: the file name's time then serves
    tab = _csv.tokenise(
        data, spec, {**spec.slot_columns, **extract_column(spec)}, REQUIRED, file_path
    )
    at, source = resolve(spec, extract_at, tab.columns, tab.lines, tab.rejects, file_path)
    ctx = Ctx(spec, file_path, at, local_codes)
    res = build_slots(ctx, RawRows.of_table(tab), family=spec.family)
    res.extract_at, res.extract_source = at, source
    return res


def build_slots(
    ctx: Ctx, rows: RawRows, family: str, slot_minutes: pa.Array | None = None
) -> ReadResult:
    """The capacity slots of a slots delivery; `slot_minutes`, the slot lengths when read
    typed (a workbook's)."""
    spec = ctx.spec
    raw, n, lines, rejects = rows.columns, rows.n, rows.lines, rows.rejects
    null = pa.nulls(n, pa.string())
    for key in ("slot_id", "slot_start"):
        missing_key(
            rejects, raw.get(key, null), lines, key, spec.slot_columns.get(key), rows.raw_line
        )
    naive, bad = _slot_start(spec, rows)
    present = nonempty(naive) | bad
    field_parse = {"slot_start": (int(present.sum() - bad.sum()), int(present.sum()))}
    start, _amb = localise(naive, spec.timezone)
    data = {
        "trust_code": spec.trust_code,
        "extract_at": ctx.extract_at,
        "source_line": pa.array(lines.astype(np.int32)),
        "slot_id": pc.utf8_trim_whitespace(as_str(raw.get("slot_id", null))),
        "site_code": raw.get("site_code"),
        "room": raw.get("room"),
        "modality": map_values(spec, "modality", raw["modality"])[0] if "modality" in raw else None,
        "slot_start": start,
        "slot_minutes": (
            slot_minutes if slot_minutes is not None else _minutes(raw.get("slot_minutes", null))
        ),
        "state": map_values(spec, "state", raw["state"])[0] if "state" in raw else None,
        "accession": raw.get("accession"),
    }
    # Arrow-backed: the load takes it back to Arrow without converting each column twice
    slots = arrow_frame(CAPACITY_SLOTS, data, n, rejects.kept(lines))
    return ReadResult(
        file_path=ctx.file_path,
        family=family,
        content="slots",
        rows_read=rows.rows_read,
        exam_records=empty_frame(EXAM_RECORDS),
        exam_events=empty_frame(EXAM_EVENTS),
        capacity_slots=slots,
        rejected=rejects.frame(),
        field_parse=field_parse,
        column_map=rows.column_map,
    )


def _slot_start(spec: FeedSpec, rows: RawRows) -> tuple[pa.Array, np.ndarray]:
    """Slot starts as naive local times, parsed by the spec's datetime_format (a workbook's
    come typed), and the mask of those that did not read, each rejected."""
    n = rows.n
    col = rows.columns.get("slot_start", pa.nulls(n, pa.string()))
    if pa.types.is_timestamp(col.type):
        naive, bad = col, rows.pre_bad.get("slot_start", np.zeros(n, dtype=bool))
        if bad.any():
            reject_mask(
                rows.rejects,
                bad,
                rows.lines,
                "slot_start",
                pa.array([""] * n),
                "unparseable_timestamp",
                "slot_start: not a date/time cell; fix the value",
            )
        return naive, bad
    naive, bad = parse_naive(col, spec.datetime_format)
    reject_mask(
        rows.rejects,
        bad,
        rows.lines,
        "slot_start",
        col,
        "unparseable_timestamp",
        f"slot_start (column {spec.slot_columns.get('slot_start')!r}): not a timestamp in "
        f"datetime_format {spec.datetime_format!r}; fix the value or the spec",
    )
    return naive, bad


def _minutes(text: pa.Array) -> pa.Array:
    """Slot lengths from text: whole minutes (up to 5 digits, '.0' allowed), else null."""
    mins = pc.cast(
        pc.if_else(
            pc.match_substring_regex(as_str(text), r"^\s*\d{1,5}(\.0+)?\s*$"),
            as_str(text),
            pa.scalar(None, pa.string()),
        ),
        pa.float64(),
    )
    return pc.cast(mins, pa.int32())
