"""Wall-clock times in a trust's time zone -> UTC, asking the zone once per steady span of
time rather than once per value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NAT = np.iinfo(np.int64).min
_SPAN_BITS = 32  # a span is 2**32 microseconds (71.6 minutes): a shift, not a division, finds it
_MAX_SPANS = 150_000  # about 20 years; a column reaching wider is localised value by value


def localise(naive: pa.Array, tz: str) -> tuple[pa.Array, np.ndarray]:
    """Wall-clock naive timestamps -> UTC; ambiguous autumn hour takes the first (BST) reading."""
    naive = naive.cast(pa.timestamp("us"))
    if tz == "UTC":
        return naive.cast(pa.timestamp("us", tz="UTC")), np.zeros(len(naive), dtype=bool)
    n = len(naive)
    if naive.null_count * 2 > n:
        # a column seldom sent (vetted, cancelled...) is localised on its values alone: the
        # zone's conversion costs as much for a missing value as for one that is there
        sent = np.flatnonzero(naive.is_valid().to_numpy(zero_copy_only=False))
        utc = np.zeros(n, dtype=np.int64)
        amb = np.zeros(n, dtype=bool)
        if len(sent):
            some, amb[sent] = localise(naive.take(pa.array(sent)), tz)
            utc[sent] = some.cast(pa.int64()).to_numpy()
        missing = np.ones(n, dtype=bool)
        missing[sent] = False
        return pa.array(utc, pa.int64(), mask=missing).cast(pa.timestamp("us", tz="UTC")), amb
    ints = pc.fill_null(naive.cast(pa.int64()), _NAT).to_numpy(zero_copy_only=False)
    missing = ints == _NAT
    utc = np.empty(n, dtype=np.int64)
    amb = np.zeros(n, dtype=bool)
    near_change = _localise_by_span(ints, missing, tz, utc)
    if near_change.any():
        utc[near_change], amb[near_change] = _localise_exactly(ints[near_change], tz)
    return pa.array(utc, pa.int64(), mask=missing).cast(pa.timestamp("us", tz="UTC")), amb


def _localise_by_span(
    ints: np.ndarray, missing: np.ndarray, tz: str, utc: np.ndarray
) -> np.ndarray:
    """Fill `utc` for the values in a steady span of time, one the zone reads the same way at
    both ends (neither in a gap nor repeated): the zone is asked once per span of the column's
    range, not once per value. That holds because a zone never changes its clocks twice
    within 72 minutes. Returns the mask of values left: those in a span with a change of the
    clocks (or all, for too wide a range), missing ones excluded."""
    sent = ~missing
    if not sent.any():
        return sent
    some_missing = not sent.all()
    spans = ints >> _SPAN_BITS
    first = spans[sent].min() if some_missing else spans.min()
    last = spans[sent].max() if some_missing else spans.max()
    if last - first > _MAX_SPANS:
        return sent
    ends = np.arange(first, last + 2, dtype=np.int64) << _SPAN_BITS
    read = (
        pd.DatetimeIndex(ends.view("datetime64[us]"))
        .tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        .as_unit("us")
        .asi8
    )
    read_ok = read != _NAT
    offset = np.subtract(ends, read, where=read_ok, out=np.zeros_like(ends))
    steady = read_ok[:-1] & read_ok[1:] & (offset[:-1] == offset[1:])
    at = spans - first
    if some_missing:
        at[missing] = 0
    if steady.all():  # the usual column: no change of the clocks in its range
        np.subtract(ints, offset[at], out=utc)
        return np.zeros(len(ints), dtype=bool)
    ok = steady[at]  # missing values' results are masked out by the caller
    utc[ok] = ints[ok] - offset[at[ok]]
    return sent & ~ok


def _localise_exactly(ints: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """pandas' localisation: the ambiguous autumn hour is read once as NaT, then those few
    again with the summer (first) reading; times in the spring gap shift forward."""
    idx = pd.DatetimeIndex(ints.view("datetime64[us]"))
    utc = (
        idx.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").as_unit("us").asi8.copy()
    )
    amb = utc == _NAT
    if amb.any():
        utc[amb] = (
            idx[amb]
            .tz_localize(
                tz, ambiguous=np.ones(int(amb.sum()), dtype=bool), nonexistent="shift_forward"
            )
            .as_unit("us")
            .asi8
        )
    return utc, amb
