"""Family `wide_csv`: one row per exam per delivery, one timestamp column per event type."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import CAPACITY_SLOTS, EXAM_EVENTS, EXAM_RECORDS
from ingest.feeds.spec import EXAM_FIELDS, REQUIRED_EXAM_FIELDS, WIDE_EVENT_FIELDS, FeedSpec
from ingest.readers import _csv
from ingest.readers._pool import pool_for, result, submit
from ingest.readers.exam_attributes import exam_attributes
from ingest.readers.extract_column import extract_column, resolve
from ingest.readers.flags import join_flags, out_of_order
from ingest.readers.frames import arrow_frame, empty_frame
from ingest.readers.localise import localise
from ingest.readers.results import Ctx, RawRows, ReadResult, missing_key, reject_mask
from ingest.readers.timestamps import date_numpy, parse_naive, ts_numpy
from ingest.readers.values import as_str, bool_unrecognised, map_values, nonempty, to_bool

EVENT_COLUMNS = [f for f in WIDE_EVENT_FIELDS if f.endswith("_at") and f != "appointment_at"]
ACTORS = {
    "reported_prelim": ("prelim_reporter_id", None),
    "report_verified": ("verified_reporter_id", "verified_outsourced"),
}


def wide_columns(spec: FeedSpec) -> dict[str, str]:
    return {f: c for f, c in spec.columns.items() if f in EXAM_FIELDS or f in WIDE_EVENT_FIELDS}


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
    tab = _csv.tokenise(
        data,
        spec,
        {**wide_columns(spec), **extract_column(spec)},
        REQUIRED_EXAM_FIELDS + tuple(extract_column(spec)),
        file_path,
    )
    at, source = resolve(spec, extract_at, tab.columns, tab.lines, tab.rejects, file_path)
    ctx = Ctx(spec, file_path, at, local_codes)
    res = build_wide(ctx, "wide_csv", RawRows.of_table(tab))
    res.extract_at, res.extract_source = at, source
    return res


def build_wide(
    ctx: Ctx, family: str, rows: RawRows, slots: pd.DataFrame | None = None
) -> ReadResult:
    """The records and events of a wide delivery (one row per exam); `slots`, the capacity
    slots read beside them (a workbook's slot sheet)."""
    spec = ctx.spec
    raw, n, lines, rejects, pre_bad = rows.columns, rows.n, rows.lines, rows.rejects, rows.pre_bad
    null = pa.nulls(n, pa.string())
    pool = pool_for(n)
    # the timestamp columns are parsed on the other core while the exam attributes are built
    parsed = _parse_event_columns(raw, pre_bad, n, spec, pool)
    missing_key(
        rejects,
        raw.get("accession", null),
        lines,
        "accession",
        spec.column("accession"),
        rows.raw_line,
    )
    data, flags, _ = exam_attributes(ctx, raw, n, rejects, lines)
    field_parse: dict[str, tuple[int, int]] = {}
    times: dict[str, pa.Array] = {}
    amb: dict[str, np.ndarray] = {}
    for f, job in parsed.items():  # rejects in column order: the first reason of a row wins
        col = raw[f]
        times[f], amb[f], bad, field_parse[f] = result(job)
        reject_mask(
            rejects,
            bad,
            lines,
            f,
            as_str(col) if not pa.types.is_timestamp(col.type) else pa.array([""] * n),
            "unparseable_timestamp",
            f"{f} (column {spec.column(f)!r}): not a timestamp in datetime_format "
            f"{spec.datetime_format!r}; fix the value or the spec",
        )
    _reject_bad_date_cells(rows)
    keep = rejects.kept(lines)

    tnp = {f[:-3]: ts_numpy(t) for f, t in times.items() if f != "appointment_at"}
    flags["dates_out_of_order"] = out_of_order(tnp, date_numpy(data.get("birth_date")), n)
    flags["duplicate_row"] = rows.dup
    data["source_line"] = pa.array(lines.astype(np.int32))
    outs = None
    if "verified_outsourced" in raw:
        mapped, um = map_values(spec, "verified_outsourced", raw["verified_outsourced"])
        outs = to_bool(mapped)
        flags["unmapped_value"] = flags["unmapped_value"] | um | bool_unrecognised(mapped)
    # the records frame is finished on the other core while the events are unpivoted
    records_job = submit(pool, _records, data, flags, n, keep)

    events = _unpivot_events(
        data["accession"],
        lines,
        tnp,
        times.get("appointment_at"),
        amb,
        keep,
        {ev: as_str(raw[actor]) for ev, (actor, _) in ACTORS.items() if actor in raw},
        {"report_verified": outs} if outs is not None else {},
        entered_in_error_rows(data.get("status")),
    )
    events = (
        _events_frame(events, spec.trust_code, ctx.extract_at)
        if events.num_rows
        else empty_frame(EXAM_EVENTS)
    )
    return ReadResult(
        file_path=ctx.file_path,
        family=family,
        content="exams",
        rows_read=rows.rows_read,
        exam_records=result(records_job),
        exam_events=events,
        capacity_slots=slots if slots is not None else empty_frame(CAPACITY_SLOTS),
        rejected=rejects.frame(),
        field_parse=field_parse,
        column_map=rows.column_map,
    )


def _reject_bad_date_cells(rows: RawRows) -> None:
    """A workbook's date cells that did not read as dates."""
    for f in ("birth_date", "clock_start_date"):
        bad = rows.pre_bad.get(f)
        if bad is not None and bad.any():
            reject_mask(
                rows.rejects,
                bad,
                rows.lines,
                f,
                pa.array([""] * rows.n),
                "unparseable_date",
                f"{f}: not a date; fix the value",
            )


def _parse_event_columns(raw: dict, pre_bad: dict, n: int, spec: FeedSpec, pool) -> dict:
    """Each event column's parse job (see _parse_event_column), in column order. A small file's
    text columns are parsed as one: a value reads the same in any column, and the fixed cost of
    each parse and localisation is then paid once a file rather than once a column."""
    names = [f for f in EVENT_COLUMNS + ["appointment_at"] if f in raw]
    text = [f for f in names if not pa.types.is_timestamp(raw[f].type)]
    together = {}
    if pool is None and len(text) > 1:
        together = dict(zip(text, _parse_text_columns([raw[f] for f in text], n, spec)))
    return {
        f: together[f]
        if f in together
        else submit(pool, _parse_event_column, raw[f], pre_bad.get(f), n, spec)
        for f in names
    }


def _parse_text_columns(cols: list[pa.Array], n: int, spec: FeedSpec) -> list[tuple]:
    """_parse_event_column of each text column, parsed and localised as one column (1-tuples,
    as `submit` returns without a pool)."""
    naive, bad = parse_naive(pa.concat_arrays([as_str(c) for c in cols]), spec.datetime_format)
    present = nonempty(naive) | bad
    utc, amb = localise(naive, spec.timezone)
    out = []
    for i in range(len(cols)):
        part = slice(i * n, (i + 1) * n)
        sent, failed = present[part], bad[part]
        counts = (int(sent.sum() - failed.sum()), int(sent.sum()))
        out.append((utc.slice(i * n, n), amb[part], failed, counts))
    return [(o,) for o in out]


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
    return arrow_frame(EXAM_RECORDS, {**data, "dq_flags": join_flags(n, flags)}, n, keep)


def _unpivot_events(
    acc: pa.Array,
    lines: np.ndarray,
    tnp: dict[str, np.ndarray],
    appointment: pa.Array | None,
    amb: dict[str, np.ndarray],
    keep: np.ndarray,
    actors: dict[str, pa.Array],
    outsourced: dict[str, pa.Array],
    entered_in_error: np.ndarray | None = None,
) -> pa.Table:
    """One event row per kept exam and timestamp column sent, in exam order and, within an
    exam, in workflow order: as a RIS lists an exam's history. Built with one take per output
    column from the exam-by-event matrix (it was a take per column per event type and a concat);
    an exam's events side by side also compress better when they are inserted."""
    names = [ev for ev in tnp if not np.isnat(tnp[ev]).all()]
    n = len(keep)
    valid = np.empty((n, len(names)), dtype=bool)
    for j, ev in enumerate(names):
        np.logical_and(~np.isnat(tnp[ev]), keep, out=valid[:, j])
    # row-major: exam order, then column (workflow) order (2-D np.nonzero is slower)
    rows, cols = np.divmod(np.flatnonzero(valid), max(len(names), 1))
    flat = rows + cols * n  # position in the event columns laid end to end
    stamp = pa.timestamp("us", tz="UTC")
    at = (
        np.concatenate([tnp[ev].view(np.int64) for ev in names]) if names else np.zeros(0, np.int64)
    )
    ambiguous = (
        np.concatenate([amb[f"{ev}_at"] for ev in names]) if names else np.zeros(0, dtype=bool)
    )
    out = {
        "accession": pc.take(acc, pa.array(rows)),
        "event": _withdrawn_in_error(
            pc.take(pa.array(names, pa.string()), pa.array(cols)),
            names,
            rows,
            cols,
            entered_in_error,
        ),
        "event_at": pa.array(at[flat]).view(stamp),
        "source_line": pa.array(lines[rows].astype(np.int32)),
        "local_time_ambiguous": pa.array(ambiguous[flat]),
    }
    # a value sent once per exam goes on the row of its event type (the appointment on booked,
    # a reporter on its report): that event's rows take, in order, the values of the exams
    # that have it; other rows hold null
    for column, by_event in (
        ("appointment_at", {"booked": appointment}),
        ("actor_id", actors),
        ("actor_outsourced", outsourced),
    ):
        filled = None
        for ev, values in by_event.items():
            if ev not in names or values is None:
                continue
            j = names.index(ev)
            filled = pc.replace_with_mask(
                filled if filled is not None else pa.nulls(len(rows), values.type),
                pa.array(cols == j),
                values.filter(pa.array(valid[:, j])),
            )
        if filled is not None:
            out[column] = filled
    return pa.table(out)


def entered_in_error_rows(status: pa.Array | None) -> np.ndarray | None:
    """The exam rows whose status word maps to entered_in_error: a wide feed tells a request
    withdrawn as entered in error by its status, the time of the withdrawal in its cancelled
    column (ingest/feeds/README.md)."""
    if status is None:
        return None
    return pc.fill_null(pc.equal(status, "entered_in_error"), False).to_numpy(zero_copy_only=False)


def _withdrawn_in_error(
    event: pa.Array,
    names: list[str],
    rows: np.ndarray,
    cols: np.ndarray,
    entered_in_error: np.ndarray | None,
) -> pa.Array:
    """The cancelled event of an exam withdrawn as entered in error is that withdrawal."""
    if entered_in_error is None or "cancelled" not in names:
        return event
    withdrawn = (cols == names.index("cancelled")) & entered_in_error[rows]
    if not withdrawn.any():
        return event
    return pc.if_else(pa.array(withdrawn), pa.scalar("entered_in_error"), event)


def _events_frame(et: pa.Table, trust_code: str, extract_at: datetime | None) -> pd.DataFrame:
    """A wide file has about four events per exam: this frame is the biggest of the read."""
    data = {
        "trust_code": trust_code,
        "extract_at": extract_at,
        **{c: et.column(c) for c in et.column_names},
    }
    return arrow_frame(EXAM_EVENTS, data, et.num_rows)
