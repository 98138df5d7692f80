"""Vectorised formatting shared by the writers: timestamps, dates, value maps, quoting.

Columns travel as a `Cols` mapping: text as pyarrow string arrays (null = not sent), timestamps
as int64 UTC microseconds with `NAT` for missing, dates as int64 days since 1970 with `NAT`,
booleans as int8 (-1 missing). Every formatter returns a pyarrow string array, with "" where the
value is missing, built by lookup tables and element-wise concatenation (no Python loop per row).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec

NAT = np.iinfo(np.int64).min
US_PER_DAY = 86_400_000_000
EXCEL_EPOCH_OFFSET = 25_569  # days from 1899-12-30 to 1970-01-01

TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%T", "%X", "%f")

Cols = dict  # name -> pa.Array | np.ndarray


def to_local_us(utc_us: np.ndarray, tz: str) -> np.ndarray:
    """UTC microseconds -> wall-clock microseconds in `tz` (NAT kept)."""
    if tz == "UTC":
        return utc_us
    valid = utc_us != NAT
    out = np.full(utc_us.shape, NAT, dtype=np.int64)
    if valid.any():
        idx = pd.DatetimeIndex(utc_us[valid].astype("datetime64[us]")).tz_localize("UTC")
        out[valid] = idx.tz_convert(tz).tz_localize(None).as_unit("us").asi8
    return out


# Directives whose text depends on one part of a date or time only: a small table per part
# builds the text of every day (or second of the day) at once, equal to strftime's.
_BY_PART = {"%Y": "year", "%y": "year", "%C": "year", "%m": "month", "%b": "month",
            "%B": "month", "%h": "month", "%d": "day", "%e": "day", "%H": "hour", "%I": "hour",
            "%p": "hour", "%M": "minute", "%S": "second"}  # fmt: skip
_PART_SAMPLE = {"year": lambda v: datetime(v, 1, 1), "month": lambda v: datetime(2000, v, 1),
                "day": lambda v: datetime(2000, 1, v), "hour": lambda v: datetime(2000, 1, 1, v),
                "minute": lambda v: datetime(2000, 1, 1, 0, v),
                "second": lambda v: datetime(2000, 1, 1, 0, 0, v)}  # fmt: skip


def _compose(fmt: str, parts: dict[str, np.ndarray], n: int) -> pa.Array | None:
    """strftime text of n values given their parts; None if `fmt` has another directive."""
    tokens = re.findall(r"%.|[^%]+", fmt)
    if any(t.startswith("%") and t not in _BY_PART and t != "%%" for t in tokens):
        return None
    pieces: list = []
    for t in tokens:
        part = _BY_PART.get(t)
        if part is None:
            pieces.append("%" if t == "%%" else t)
            continue
        v = parts[part]
        lo = int(v.min())
        table = [_PART_SAMPLE[part](x).strftime(t) for x in range(lo, int(v.max()) + 1)]
        pieces.append(_take(pa.array(table, pa.string()), v - lo))
    if not any(isinstance(x, pa.Array) for x in pieces):
        return pa.array(np.full(n, "".join(pieces), dtype=object), pa.string())
    return pc.binary_join_element_wise(*pieces, "")


@lru_cache(maxsize=64)
def _time_table(fmt: str, with_seconds: bool) -> pa.Array:
    n = 86_400 if with_seconds else 1_440
    sec = np.arange(n) * (1 if with_seconds else 60)
    out = _compose(fmt, {"hour": sec // 3600, "minute": sec // 60 % 60, "second": sec % 60}, n)
    if out is not None:
        return out
    base = datetime(1900, 1, 1)
    return pa.array([(base + timedelta(seconds=int(x))).strftime(fmt) for x in sec], pa.string())


def _split_format(fmt: str) -> tuple[str, str]:
    pos = [fmt.find(d) for d in TIME_DIRECTIVES if d in fmt]
    if not pos:
        return fmt, ""
    p = min(pos)
    return fmt[:p], fmt[p:]


_DAY_LO, _DAY_HI = -25_567, 47_482  # 1900-01-01 .. 2099-12-31


@lru_cache(maxsize=64)
def _full_day_table(fmt: str) -> pa.Array:
    days = np.arange(_DAY_LO, _DAY_HI + 1).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    parts = {"year": months.astype("datetime64[Y]").astype(np.int64) + 1970,
             "month": months.astype(np.int64) % 12 + 1,
             "day": (days - months.astype("datetime64[D]")).astype(np.int64) + 1}  # fmt: skip
    out = _compose(fmt, parts, days.size)
    if out is not None:
        return out
    epoch = date(1970, 1, 1)
    return pa.array(
        [(epoch + timedelta(days=d)).strftime(fmt) for d in range(_DAY_LO, _DAY_HI + 1)],
        pa.string(),
    )


def _day_table(days: np.ndarray, fmt: str) -> tuple[pa.Array, int]:
    lo, hi = int(days.min()), int(days.max())
    if lo >= _DAY_LO and hi <= _DAY_HI:
        return _full_day_table(fmt), _DAY_LO
    epoch = date(1970, 1, 1)
    vals = [(epoch + timedelta(days=d)).strftime(fmt) for d in range(lo, hi + 1)]
    return pa.array(vals, pa.string()), lo


def _take(table: pa.Array, idx: np.ndarray) -> pa.Array:
    return pc.take(table, pa.array(idx, pa.int64()))


def empty_strings(n: int) -> pa.Array:
    return pa.array(np.full(n, "", dtype=object), pa.string()) if n else pa.array([], pa.string())


def format_local(local_us: np.ndarray, fmt: str) -> pa.Array:
    """Wall-clock microseconds -> text in a strftime format ('' where NAT)."""
    n = local_us.size
    valid = local_us != NAT
    if not valid.any():
        return empty_strings(n)
    safe = np.where(valid, local_us, local_us[valid][0])
    days = np.floor_divide(safe, US_PER_DAY)
    sod = (safe - days * US_PER_DAY) // 1_000_000
    date_fmt, time_fmt = _split_format(fmt)
    parts = []
    if date_fmt:
        tab, lo = _day_table(days, date_fmt)
        parts.append(_take(tab, days - lo))
    if time_fmt:
        secs = any(d in time_fmt for d in ("%S", "%T", "%X"))
        tab = _time_table(time_fmt, secs)
        parts.append(_take(tab, sod if secs else sod // 60))
    out = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "")
    return pc.if_else(pa.array(valid), out, "")


def format_timestamps(utc_us: np.ndarray, fmt: str, tz: str) -> pa.Array:
    return format_local(to_local_us(utc_us, tz), fmt)


def format_dates(days: np.ndarray, fmt: str) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    valid = days != NAT
    if not valid.any():
        return empty_strings(days.size)
    safe = np.where(valid, days, days[valid][0])
    tab, lo = _day_table(safe, fmt)
    return pc.if_else(pa.array(valid), _take(tab, safe - lo), "")


def hl7_timestamps(utc_us: np.ndarray) -> pa.Array:
    """YYYYMMDDHHMMSS+hhmm: wall-clock Europe/London with its explicit offset."""
    local = to_local_us(utc_us, "Europe/London")
    valid = utc_us != NAT
    body = format_local(local, "%Y%m%d%H%M%S")
    off = np.where(valid, (local - utc_us) // 60_000_000, 0)
    uniq, inv = np.unique(off, return_inverse=True)
    tab = pa.array(
        [f"{'+' if o >= 0 else '-'}{abs(o) // 60:02d}{abs(o) % 60:02d}" for o in uniq.tolist()],
        pa.string(),
    )
    offs = _take(tab, inv.reshape(-1))
    return pc.if_else(pa.array(valid), pc.binary_join_element_wise(body, offs, ""), "")


def excel_serials(utc_us: np.ndarray, tz: str, dates: bool = False) -> np.ndarray:
    """Excel 1900-system serial day numbers (NaN where missing)."""
    if dates:
        v = np.asarray(utc_us, dtype=np.int64)
        return np.where(v != NAT, v.astype(np.float64) + EXCEL_EPOCH_OFFSET, np.nan)
    local = to_local_us(utc_us, tz)
    secs = np.where(local != NAT, local // 1_000_000, 0)
    return np.where(local != NAT, secs / 86_400.0 + EXCEL_EPOCH_OFFSET, np.nan)


def local_words(spec: FeedSpec, field: str, canonical: pa.Array) -> pa.Array:
    """Canonical values -> the trust's local words (through `spec.to_local`), '' for nulls."""
    arr = canonical if isinstance(canonical, pa.Array) else pa.array(canonical, pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    enc = pc.dictionary_encode(arr)
    words = pa.array([spec.to_local(field, v) for v in enc.dictionary.to_pylist()], pa.string())
    out = pc.take(words, enc.indices)
    return pc.fill_null(out, "")


def text(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    return pc.fill_null(arr, "")


def bool_text(v: np.ndarray) -> pa.Array:
    """int8 (-1 missing) -> canonical 'true' / 'false' / null."""
    v = np.asarray(v)
    return pa.array(
        np.where(v < 0, None, np.where(v > 0, "true", "false")).astype(object), pa.string()
    )


def int_text(v: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(v, dtype=np.int64)), pa.string())


def nhs_spaced(arr: pa.Array) -> pa.Array:
    """'NNNNNNNNNN' -> 'NNN NNN NNNN' (other lengths unchanged)."""
    a = text(arr)
    return pc.replace_substring_regex(a, r"^(\d{3})(\d{3})(\d{4})$", r"\1 \2 \3")


def csv_quote(arr: pa.Array, delimiter: str, quotechar: str) -> pa.Array:
    """Minimal quoting as the csv module does: wrap fields holding the delimiter, quote or EOL."""
    specials = "".join({delimiter, quotechar, "\r", "\n"})
    pattern = "[" + "".join("\\" + c if c in r"\^]-[" else c for c in specials) + "]"
    mask = pc.match_substring_regex(arr, pattern)
    if not pc.any(mask).as_py():
        return arr
    doubled = pc.replace_substring(arr, quotechar, quotechar * 2)
    quoted = pc.binary_join_element_wise(quotechar, doubled, quotechar, "")
    return pc.if_else(mask, quoted, arr)


def string_slices(lines: pa.Array) -> tuple[pa.Buffer, np.ndarray]:
    """The data buffer and offsets of a string array: rows a..b are data[off[a]:off[b]]."""
    lines = lines.cast(pa.string()) if lines.type != pa.string() else lines
    bufs = lines.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    data = bufs[2] if bufs[2] is not None else pa.py_buffer(b"")
    return data, offsets.astype(np.int64)
