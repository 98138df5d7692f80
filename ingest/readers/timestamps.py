"""Timestamps and dates read from text by the feed spec's formats, strictly (an impossible
date is unparseable), and the extract time read from a file name."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec
from ingest.readers._timefmt import parse_canonical, parse_iso
from ingest.readers.results import QuarantineError
from ingest.readers.values import as_str


def extract_time(spec: FeedSpec, name: str) -> datetime | None:
    """Extract time (UTC) from a file name by the spec's regex and strptime format; None when the
    spec takes it from a column only (ingest/readers/extract_column.py reads that)."""
    if spec.extract_time.pattern is None:
        return None
    m = re.search(spec.extract_time.pattern, name)
    if not m:
        raise QuarantineError(
            "unreadable",
            f"file name {name!r} does not contain the extract time "
            f"(pattern {spec.extract_time.pattern!r}); rename the file as the feed spec says",
        )
    try:
        naive = datetime.strptime(m.group(1), spec.extract_time.format)
    except ValueError:
        raise QuarantineError(
            "unreadable",
            f"extract time {m.group(1)!r} in {name!r} does not match "
            f"format {spec.extract_time.format!r}; rename the file",
        ) from None
    if spec.timezone == "UTC":
        return naive.replace(tzinfo=UTC)
    return naive.replace(tzinfo=ZoneInfo(spec.timezone), fold=0).astimezone(UTC)


def parse_naive(arr: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Text -> naive timestamp[us]; also the mask of non-empty values that did not parse.

    Values in the canonical fixed-width form of `fmt` are parsed in bulk (_timefmt); the rest
    go through Arrow's strptime with the strict round-trip check."""
    arr = as_str(arr)
    if arr.null_count == len(arr):  # a column the trust leaves empty
        return pa.nulls(len(arr), pa.timestamp("us")), np.zeros(len(arr), dtype=bool)
    whole = parse_iso(arr, fmt)
    if whole is not None:
        return whole, np.zeros(len(arr), dtype=bool)
    fast = parse_canonical(arr, fmt)
    if fast is None:
        return _parse_naive_general(arr, fmt)
    values, handled = fast
    rest = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False) & ~handled)
    bad = np.zeros(len(arr), dtype=bool)
    valid = handled.copy()
    if len(rest):
        parsed_rest, bad_rest = _parse_naive_general(pc.take(arr, pa.array(rest)), fmt)
        bad[rest] = bad_rest
        ok_rest = parsed_rest.is_valid().to_numpy(zero_copy_only=False)
        values[rest[ok_rest]] = pc.fill_null(parsed_rest.cast(pa.int64()), 0).to_numpy(
            zero_copy_only=False
        )[ok_rest]
        valid[rest[ok_rest]] = True
    return pa.array(values, pa.timestamp("us"), mask=~valid), bad


_YEAR_ONE = pa.scalar(datetime(1, 1, 1), pa.timestamp("us"))


def _parse_naive_general(arr: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Arrow strptime + round-trip check, confirmed by Python's strptime where the text differs."""
    parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
    # arrow accepts year 0, which no calendar (nor Python's strptime) has: treat it as unparseable
    before_year_one = pc.fill_null(pc.less(parsed, _YEAR_ONE), False)
    parsed = pc.if_else(before_year_one, pa.scalar(None, parsed.type), parsed)
    bad = arr.is_valid().to_numpy(zero_copy_only=False) & parsed.is_null().to_numpy(
        zero_copy_only=False
    )
    # arrow's strptime normalises impossible dates (31 Feb -> 3 Mar): round-trip check, and
    # confirm the few text differences (padding, case) with Python's strict strptime
    ok = parsed.is_valid()
    if len(arr) and pc.any(ok).as_py():
        rt = pc.strftime(parsed.cast(pa.timestamp("s")), format=fmt)
        diff = pc.fill_null(pc.and_(ok, pc.not_equal(rt, arr)), False).to_numpy(
            zero_copy_only=False
        )
        if diff.any():
            idx = np.flatnonzero(diff)
            vals = pc.take(arr, pa.array(idx)).to_pylist()
            wrong = []
            for i, v in zip(idx.tolist(), vals):
                try:
                    datetime.strptime(v, fmt)
                except ValueError:
                    wrong.append(i)
            if wrong:
                bad = bad.copy()
                bad[wrong] = True
                mask = np.zeros(len(arr), dtype=bool)
                mask[wrong] = True
                parsed = pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)
    return parsed, bad


def parse_dates(arr: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    parsed, bad = parse_naive(arr, fmt)
    return parsed.cast(pa.date32()), bad


def ts_numpy(arr: pa.Array) -> np.ndarray:
    """timestamp array -> datetime64[us] naive UTC (NaT for null)."""
    a = arr.cast(pa.timestamp("us")).cast(pa.int64())
    v = pc.fill_null(a, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
    return v.view("datetime64[us]")


def date_numpy(arr) -> np.ndarray | None:
    if arr is None:
        return None
    if not isinstance(arr, (pa.Array, pa.ChunkedArray)):
        return None
    a = pc.cast(arr, pa.timestamp("us")).cast(pa.int64())
    v = pc.fill_null(a, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
    return v.view("datetime64[us]")
