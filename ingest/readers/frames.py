"""Landing frames in the contract's column order (ingest/contract.py), as pandas or Arrow."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.contract import CAPACITY_SLOTS, EXAM_EVENTS, EXAM_RECORDS
from ingest.readers.flags import join_flags


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """A frame of no rows with the columns, as object columns; a copy of one built once per
    column set (a small file needs several, and building a frame costs far more than copying)."""
    key = tuple(columns)
    if key not in _EMPTY:
        _EMPTY[key] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return _EMPTY[key].copy()


_EMPTY: dict[tuple[str, ...], pd.DataFrame] = {}


def to_pandas(arr) -> pd.Series:
    if isinstance(arr, (pa.Array, pa.ChunkedArray)):
        return arr.to_pandas()
    return pd.Series(arr)


def frame(columns: dict[str, str], data: dict[str, object], n: int) -> pd.DataFrame:
    """A landing frame in contract column order; absent columns are null."""
    out = {}
    for c in columns:
        v = data.get(c)
        if v is None:
            out[c] = pd.Series(np.full(n, None, dtype=object), dtype=object)  # no type inference
        elif isinstance(v, (pa.Array, pa.ChunkedArray)):
            out[c] = to_pandas(v).reset_index(drop=True)
        elif np.isscalar(v) or isinstance(v, datetime):
            out[c] = _constant(v, n)
        else:
            out[c] = pd.Series(v).reset_index(drop=True)
    return pd.DataFrame(out)


_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}


def arrow_frame(
    columns: dict[str, str], data: dict[str, object], n: int, keep: np.ndarray | None = None
) -> pd.DataFrame:
    """A landing frame in contract column order whose columns stay Arrow arrays (pandas
    ArrowDtype): built without a copy into pandas, and inserted without one back to Arrow
    (for a big file, both conversions cost more than building the arrays). Absent columns are
    null; scalars repeat; `keep` selects rows."""
    out = {}
    for c, kind in columns.items():
        t = _ARROW_TYPES[kind]
        v = data.get(c)
        if v is None:
            out[c] = pa.nulls(n, t)
        elif isinstance(v, (pa.Array, pa.ChunkedArray)):
            out[c] = v if v.type == t else v.cast(t)
        elif isinstance(v, np.ndarray):
            out[c] = pa.array(v, t, from_pandas=True)
        else:
            out[c] = pa.repeat(pa.scalar(v, t), n)
    table = pa.table(out)
    if keep is not None and not keep.all():
        table = table.filter(pa.array(keep))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _constant(v, n: int) -> pd.Series:
    """`pd.Series([v] * n)` (same dtype) without building and inferring an n-item list."""
    if n == 0:
        return pd.Series([v] * n)
    return pd.Series([v]).repeat(n).reset_index(drop=True)


def finish_records(data: dict, flags: dict, n: int) -> pd.DataFrame:
    data = dict(data)
    data["dq_flags"] = join_flags(n, flags)
    return frame(EXAM_RECORDS, data, n)


def events_frame(data: dict, n: int) -> pd.DataFrame:
    return frame(EXAM_EVENTS, data, n)


def slots_frame(data: dict, n: int) -> pd.DataFrame:
    return frame(CAPACITY_SLOTS, data, n)
