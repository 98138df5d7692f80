"""A delivery's extract time read from a column (feed spec `extract_time.column`), and the
`event_after_extract` flag on exams with an event later than their delivery's extract time.

A file name often carries only the date of the extract, while each row carries the real time
(e.g. `EXTRACT_DTTM`): the column wins over the name. The file's extract time is the latest
value of the column (an extract ends after every row it holds was written).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec
from ingest.readers.localise import localise
from ingest.readers.results import QuarantineError, ReadResult, Rejects, reject_mask
from ingest.readers.timestamps import parse_naive

# The key of the extract-time column among a reader's raw columns (not a canonical field).
EXTRACT_FIELD = "extract_time"
FLAG = "event_after_extract"


def extract_column(spec: FeedSpec) -> dict[str, str]:
    """The extract-time column to read beside the canonical ones ({} when the spec has none)."""
    column = spec.extract_time.column
    return {EXTRACT_FIELD: column} if column else {}


def column_format(spec: FeedSpec) -> str:
    return spec.extract_time.column_format or spec.datetime_format


def resolve(
    spec: FeedSpec,
    name_at: datetime | None,
    raw: dict[str, pa.Array],
    lines: np.ndarray,
    rejects: Rejects,
    file_path: str,
    pre_bad: np.ndarray | None = None,
) -> tuple[datetime | None, str | None]:
    """The delivery's extract time (UTC) and where it came from, said for a person.

    `raw` holds the extract-time column (text, or naive timestamps from a workbook with the
    `pre_bad` cells that are not one) when the file has it. A row whose value is not a
    timestamp is rejected; a file with no readable value is quarantined unless its name gives
    the time."""
    values = raw.pop(EXTRACT_FIELD, None)
    column = spec.extract_time.column
    if values is None or column is None:
        if name_at is not None:
            return name_at, "file name"
        if column is None:
            return None, None
        raise QuarantineError(
            "missing_required_columns",
            f"{file_path}: no column {column!r} "
            "(extract_time.column) and no extract time in the file name; ask the "
            "trust to restore the column or give 'extract_time.pattern' in the spec",
        )
    fmt = column_format(spec)
    if pa.types.is_timestamp(values.type):
        naive = values
        bad = pre_bad if pre_bad is not None else np.zeros(len(values), dtype=bool)
        shown = pa.array([""] * len(values))
    else:
        naive, bad = parse_naive(values, fmt)
        shown = values
    reject_mask(
        rejects,
        bad,
        lines,
        EXTRACT_FIELD,
        shown,
        "unparseable_timestamp",
        f"extract_time (column {column!r}): not a timestamp in "
        f"{'column_format' if spec.extract_time.column_format else 'datetime_format'} "
        f"{fmt!r}; fix the value or the spec",
    )
    utc, _ambiguous = localise(naive, spec.timezone)
    latest = pc.max(utc).as_py()
    if latest is None:
        if name_at is not None:
            return name_at, f"file name (column {column!r} is empty in every row)"
        where = f"line {int(lines[np.flatnonzero(bad)[0]])}" if bad.any() else "every row"
        raise QuarantineError(
            "unreadable",
            f"{file_path}: {where}: field extract_time (column "
            f"{column!r}) holds no timestamp in {fmt!r}, and the file name gives "
            "none; fix 'extract_time' in the spec or ask the trust to resend",
        )
    latest = latest.astimezone(UTC)
    if name_at is not None:
        return latest, f"column {column!r} (the file name said {name_at:%Y-%m-%d %H:%M} UTC)"
    return latest, f"column {column!r}"


def flag_events_after_extract(res: ReadResult) -> ReadResult:
    """Flag `event_after_extract` on the events later than the delivery's extract time and on
    their exams' records: a clock or extract-time fault (a RIS cannot send the future)."""
    events = res.exam_events
    if res.extract_at is None or events.empty:
        return res
    at = pd.Timestamp(res.extract_at)
    late = (events["event_at"] > at).fillna(False).to_numpy(dtype=bool)
    if not late.any():
        return res
    res.exam_events = events.assign(dq_flags=_add_flag(events["dq_flags"], late))
    records = res.exam_records
    late_accessions = pd.unique(events.loc[late, "accession"].to_numpy(dtype=object))
    on_record = records["accession"].isin(late_accessions).fillna(False).to_numpy(dtype=bool)
    res.exam_records = records.assign(dq_flags=_add_flag(records["dq_flags"], on_record))
    return res


def _add_flag(flags: pd.Series, mask: np.ndarray) -> np.ndarray:
    out = flags.to_numpy(dtype=object, na_value=None).copy()
    for i in np.flatnonzero(mask).tolist():
        out[i] = FLAG if out[i] is None else f"{out[i]},{FLAG}"
    return out
