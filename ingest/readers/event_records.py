"""An event log's exam records (event CSV, HL7 v2): one per accession, its last loaded row,
flagged `dates_out_of_order` when the file's events for it break the workflow order. Chosen
and flagged on the columns, so that only the chosen rows are built into the records frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import EXAM_RECORDS
from ingest.readers.flags import ORDER_PAIRS, join_flags, out_of_order
from ingest.readers.frames import arrow_frame
from ingest.readers.timestamps import date_numpy

_NOT_SENT = np.iinfo(np.int64).max


def event_records(
    data: dict, flags: dict, n: int, loaded: np.ndarray, event: pa.Array, event_at: pa.Array
) -> pd.DataFrame:
    """The records frame: `data` and `flags` are per row of the file, `loaded` the rows not
    rejected, `event` and `event_at` each row's canonical event and its UTC time."""
    codes = _codes(data["accession"])
    chosen = _last_of_each(codes, loaded)
    times = _earliest_by_event(codes, event, event_at, loaded & (codes >= 0))
    late = out_of_order(times, date_numpy(data.get("birth_date")), n) & chosen
    flags = {**flags, "dates_out_of_order": late}
    return arrow_frame(EXAM_RECORDS, {**data, "dq_flags": join_flags(n, flags)}, n, chosen)


def _codes(accession: pa.Array) -> np.ndarray:
    """A number per distinct accession, -1 where there is none."""
    idx = pc.dictionary_encode(accession).indices
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _last_of_each(codes: np.ndarray, loaded: np.ndarray) -> np.ndarray:
    """The last loaded row of each accession."""
    rows = np.flatnonzero(loaded & (codes >= 0))
    last_first = rows[::-1]
    _, at = np.unique(codes[last_first], return_index=True)
    chosen = np.zeros(len(codes), dtype=bool)
    chosen[last_first[at]] = True
    return chosen


def _earliest_by_event(
    codes: np.ndarray, event: pa.Array, event_at: pa.Array, use: np.ndarray
) -> dict[str, np.ndarray]:
    """Per row, the earliest time of each workflow event among its accession's `use` rows
    (datetime64[us] UTC, NaT where the accession has none)."""
    t = pc.fill_null(event_at.cast(pa.timestamp("us")).cast(pa.int64()), _NOT_SENT)
    t = t.to_numpy(zero_copy_only=False)
    use = use & (t != _NOT_SENT)
    per_code = np.full(codes.max() + 1 if len(codes) else 0, _NOT_SENT, dtype=np.int64)
    times = {}
    for name in {e for pair in ORDER_PAIRS for e in pair}:
        sel = use & pc.fill_null(pc.equal(event, name), False).to_numpy(zero_copy_only=False)
        if not sel.any():
            continue
        earliest = per_code.copy()
        np.minimum.at(earliest, codes[sel], t[sel])
        row = np.where(codes >= 0, earliest[np.maximum(codes, 0)], _NOT_SENT)
        times[name] = np.where(row == _NOT_SENT, np.iinfo(np.int64).min, row).view("datetime64[us]")
    return times
