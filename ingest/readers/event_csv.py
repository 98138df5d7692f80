"""Family `event_csv`: one row per status change; exam attributes as at the event."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from ingest.contract import CAPACITY_SLOTS, EXAM_EVENTS
from ingest.feeds.spec import EVENT_LOG_FIELDS, EXAM_FIELDS, REQUIRED_EXAM_FIELDS, FeedSpec
from ingest.readers import _csv
from ingest.readers.event_records import event_records
from ingest.readers.exam_attributes import exam_attributes
from ingest.readers.extract_column import extract_column, resolve
from ingest.readers.flags import join_flags
from ingest.readers.frames import arrow_frame, empty_frame
from ingest.readers.localise import localise
from ingest.readers.results import Ctx, RawRows, ReadResult, missing_key, reject_mask
from ingest.readers.timestamps import parse_naive
from ingest.readers.values import as_str, bool_unrecognised, map_values, nonempty, to_bool

REQUIRED = REQUIRED_EXAM_FIELDS + ("event_id", "event", "event_at")


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
    colmap = {f: c for f, c in spec.columns.items() if f in EXAM_FIELDS or f in EVENT_LOG_FIELDS}
    tab = _csv.tokenise(
        data,
        spec,
        {**colmap, **extract_column(spec)},
        REQUIRED + tuple(extract_column(spec)),
        file_path,
    )
    at, source = resolve(spec, extract_at, tab.columns, tab.lines, tab.rejects, file_path)
    ctx = Ctx(spec, file_path, at, local_codes)
    res = build_events(ctx, RawRows.of_table(tab))
    res.extract_at, res.extract_source = at, source
    return res


def build_events(ctx: Ctx, rows: RawRows, family: str = "event_csv") -> ReadResult:
    """The records and events of an event-log delivery (one row per event)."""
    spec = ctx.spec
    raw, n, lines, rejects, raw_line = rows.columns, rows.n, rows.lines, rows.rejects, rows.raw_line
    dup = rows.dup
    null = pa.nulls(n, pa.string())
    missing_key(
        rejects, raw.get("accession", null), lines, "accession", spec.column("accession"), raw_line
    )
    missing_key(
        rejects, raw.get("event_at", null), lines, "event_at", spec.column("event_at"), raw_line
    )
    data, flags, _ = exam_attributes(ctx, raw, n, rejects, lines)
    field_parse = {}
    ts = {}
    for f in ("event_at", "appointment_at"):
        if f not in raw:
            continue
        naive, bad = parse_naive(raw[f], spec.datetime_format)
        present = nonempty(raw[f])
        field_parse[f] = (int(present.sum() - bad.sum()), int(present.sum()))
        reject_mask(
            rejects,
            bad,
            lines,
            f,
            raw[f],
            "unparseable_timestamp",
            f"{f} (column {spec.column(f)!r}): not a timestamp in datetime_format "
            f"{spec.datetime_format!r}; fix the value or the spec",
        )
        ts[f] = localise(naive, spec.timezone)
    ev, ev_um = map_values(spec, "event", raw.get("event", null))
    ev_flags = {"unmapped_value": ev_um, "duplicate_row": dup}
    outs = None
    if "actor_outsourced" in raw:
        m, um = map_values(spec, "actor_outsourced", raw["actor_outsourced"])
        outs = to_bool(m)
        ev_flags["unmapped_value"] = ev_um | um | bool_unrecognised(m)
    loaded = rejects.kept(lines)
    src = pa.array(lines.astype(np.int32))
    edata = {
        "trust_code": spec.trust_code,
        "extract_at": ctx.extract_at,
        "source_line": src,
        "accession": data["accession"],
        "source_event_id": pc_trim(raw.get("event_id", null)),
        "event": ev,
        "event_at": ts["event_at"][0],
        "appointment_at": ts["appointment_at"][0] if "appointment_at" in ts else None,
        "actor_id": raw.get("actor_id"),
        "actor_outsourced": outs,
        "local_time_ambiguous": pa.array(ts["event_at"][1]),
        "dq_flags": join_flags(n, ev_flags),
    }
    events = arrow_frame(EXAM_EVENTS, edata, n, loaded)
    data["source_line"] = src
    flags["duplicate_row"] = dup
    records = event_records(data, flags, n, loaded, ev, edata["event_at"])
    return ReadResult(
        file_path=ctx.file_path,
        family=family,
        content="exams",
        rows_read=rows.rows_read,
        exam_records=records,
        exam_events=events,
        capacity_slots=empty_frame(CAPACITY_SLOTS),
        rejected=rejects.frame(),
        field_parse=field_parse,
        column_map=rows.column_map,
    )


def pc_trim(arr):
    import pyarrow.compute as pc

    return pc.utf8_trim_whitespace(as_str(arr))
