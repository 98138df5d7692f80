"""Family `wide_csv`: one row per exam per delivery, one timestamp column per event type."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import EXAM_FIELDS, REQUIRED_EXAM_FIELDS, WIDE_EVENT_FIELDS, FeedSpec
from ingest.readers import _csv
from ingest.readers._pool import pool_for, result, submit
from ingest.readers.base import (Ctx, ReadResult, Rejects, _as_str, _reject_mask, empty_frame,
                                 exam_attributes, finish_records, localise, map_values,
                                 missing_key, nonempty, out_of_order, parse_naive, to_bool, ts_numpy,
                                 date_numpy, bool_unrecognised)
from ingest.contract import CAPACITY_SLOTS

EVENT_COLUMNS = [f for f in WIDE_EVENT_FIELDS if f.endswith("_at") and f != "appointment_at"]
ACTORS = {"reported_prelim": ("prelim_reporter_id", None),
          "report_verified": ("verified_reporter_id", "verified_outsourced")}


def wide_columns(spec: FeedSpec) -> dict[str, str]:
    return {f: c for f, c in spec.columns.items() if f in EXAM_FIELDS or f in WIDE_EVENT_FIELDS}


def read(path: Path, spec: FeedSpec, *, extract_at: datetime | None = None,
         local_codes: set[str] | None = None, file_path: str | None = None,
         data: bytes | None = None) -> ReadResult:
    file_path = file_path or str(path)
    data = Path(path).read_bytes() if data is None else data
    tab = _csv.tokenise(data, spec, wide_columns(spec), REQUIRED_EXAM_FIELDS, file_path)
    ctx = Ctx(spec, file_path, extract_at, local_codes)
    return build_wide(ctx, "wide_csv", tab.columns, tab.n, tab.lines, tab.dup, tab.rejects,
                      tab.rows_read, tab.raw_line, tab.column_map)


def build_wide(ctx: Ctx, family: str, raw: dict[str, pa.Array], n: int, lines: np.ndarray,
               dup: np.ndarray, rejects: Rejects, rows_read: int, raw_line: Callable[[int], str],
               column_map: dict[str, str | None], pre_bad: dict[str, np.ndarray] | None = None,
               slots: "object | None" = None) -> ReadResult:
    spec = ctx.spec
    pre_bad = pre_bad or {}
    null = pa.nulls(n, pa.string())
    pool = pool_for(n)
    # the timestamp columns are parsed on the other core while the exam attributes are built
    parsed = {f: submit(pool, _parse_event_column, raw[f], pre_bad.get(f), n, spec)
              for f in EVENT_COLUMNS + ["appointment_at"] if f in raw}
    missing_key(rejects, raw.get("accession", null), lines, "accession", spec.column("accession"),
                raw_line)
    data, flags, _ = exam_attributes(ctx, raw, n, rejects, lines)
    field_parse: dict[str, tuple[int, int]] = {}
    times: dict[str, pa.Array] = {}
    amb: dict[str, np.ndarray] = {}
    for f, job in parsed.items():  # rejects in column order: the first reason of a row wins
        col = raw[f]
        times[f], amb[f], bad, field_parse[f] = result(job)
        _reject_mask(rejects, bad, lines, f, _as_str(col) if not pa.types.is_timestamp(col.type) else
                     pa.array([""] * n), "unparseable_timestamp",
                     f"{f} (column {spec.column(f)!r}): not a timestamp in datetime_format "
                     f"{spec.datetime_format!r}; fix the value or the spec")
    for f in ("birth_date", "clock_start_date"):
        if f in pre_bad and pre_bad[f].any():
            _reject_mask(rejects, pre_bad[f], lines, f, pa.array([""] * n), "unparseable_date",
                         f"{f}: not a date; fix the value")
    keep = np.ones(n, dtype=bool)
    if rejects.rows:
        rejected_lines = np.fromiter(rejects.rows.keys(), dtype=np.int64, count=len(rejects.rows))
        keep = ~np.isin(lines, rejected_lines)

    tnp = {f[:-3]: ts_numpy(t) for f, t in times.items() if f != "appointment_at"}
    flags["dates_out_of_order"] = out_of_order(tnp, date_numpy(data.get("birth_date")), n)
    flags["duplicate_row"] = dup
    data["source_line"] = pa.array(lines.astype(np.int32))
    outs = None
    if "verified_outsourced" in raw:
        mapped, um = map_values(spec, "verified_outsourced", raw["verified_outsourced"])
        outs = to_bool(mapped)
        flags["unmapped_value"] = flags["unmapped_value"] | um | bool_unrecognised(mapped)
    # the records frame is finished on the other core while the events are unpivoted
    records_job = submit(pool, _records, data, flags, n, keep)

    # unpivot events
    acc = data["accession"]
    pieces = []
    keep_pa = pa.array(keep)
    for f, t in times.items():
        if f == "appointment_at":
            continue
        ev = f[:-3]
        m = pc.and_(pc.is_valid(t), keep_pa)
        idx = pc.indices_nonzero(m)
        k = len(idx)
        if not k:
            continue
        d = {"accession": pc.take(acc, idx),
             "event": pa.repeat(pa.scalar(ev, pa.string()), k),
             "event_at": pc.take(t, idx),
             "source_line": pc.take(data["source_line"], idx),
             "local_time_ambiguous": pc.take(pa.array(amb[f]), idx)}
        if ev == "booked" and "appointment_at" in times:
            d["appointment_at"] = pc.take(times["appointment_at"], idx)
        actor, outs_f = ACTORS.get(ev, (None, None))
        if actor and actor in raw:
            d["actor_id"] = pc.take(_as_str(raw[actor]), idx)
        if outs_f and outs is not None:
            d["actor_outsourced"] = pc.take(outs, idx)
        pieces.append(pa.table({c: d.get(c, pa.nulls(k, _EVENT_SCHEMA.field(c).type))
                                for c in _EVENT_SCHEMA.names}, schema=_EVENT_SCHEMA))
    if pieces:
        events = _events_frame(pa.concat_tables(pieces), spec.trust_code, ctx.extract_at)
    else:
        events = empty_frame(_EVENTS_COLS)
    return ReadResult(file_path=ctx.file_path, family=family, content="exams", rows_read=rows_read,
                      exam_records=result(records_job), exam_events=events,
                      capacity_slots=slots if slots is not None else empty_frame(CAPACITY_SLOTS),
                      rejected=rejects.frame(), field_parse=field_parse, column_map=column_map)


def _parse_event_column(col: pa.Array, pre_bad: np.ndarray | None, n: int, spec: FeedSpec):
    """-> (UTC times, ambiguous-hour mask, unparseable mask, (parsed, non-empty) counts)."""
    if pa.types.is_timestamp(col.type):
        naive, bad = col, pre_bad if pre_bad is not None else np.zeros(n, dtype=bool)
    else:
        naive, bad = parse_naive(col, spec.datetime_format)
    present = nonempty(naive) | bad
    utc, amb = localise(naive, spec.timezone)
    return utc, amb, bad, (int(present.sum() - bad.sum()), int(present.sum()))


def _records(data: dict, flags: dict, n: int, keep: np.ndarray) -> pd.DataFrame:
    records = finish_records(data, flags, n)
    return records if keep.all() else records.loc[keep].reset_index(drop=True)


def _events_frame(et: pa.Table, trust_code: str, extract_at: datetime | None) -> "pd.DataFrame":
    """The unpivoted events as a landing frame whose columns stay Arrow arrays (pandas
    ArrowDtype): no copy into pandas here and none back to Arrow at insert. A wide file has
    about four events per exam, so this frame is the biggest of the read (converting it both
    ways was a third of a wide file's read and insert)."""
    n = et.num_rows
    stamp = pa.timestamp("us", tz="UTC")
    given = {
        "trust_code": pa.repeat(pa.scalar(trust_code, pa.string()), n),
        "extract_at": (pa.repeat(pa.scalar(extract_at, stamp), n) if extract_at is not None
                       else pa.nulls(n, stamp)),
        **{c: et.column(c) for c in et.column_names},
    }
    types = {"VARCHAR": pa.string(), "TIMESTAMPTZ": stamp, "BOOLEAN": pa.bool_(),
             "INTEGER": pa.int32(), "BIGINT": pa.int64()}
    table = pa.table({c: given[c] if c in given else pa.nulls(n, types[kind])
                      for c, kind in _EVENTS_COLS.items()})
    return table.to_pandas(types_mapper=pd.ArrowDtype)


# no source_event_id: a wide event's key is accession:event, derived in staging (contract.py)
_EVENT_SCHEMA = pa.schema([("accession", pa.string()), ("event", pa.string()), ("event_at", pa.timestamp("us", tz="UTC")),
                           ("appointment_at", pa.timestamp("us", tz="UTC")), ("actor_id", pa.string()),
                           ("actor_outsourced", pa.bool_()), ("source_line", pa.int32()),
                           ("local_time_ambiguous", pa.bool_())])
from ingest.contract import EXAM_EVENTS as _EVENTS_COLS  # noqa: E402
