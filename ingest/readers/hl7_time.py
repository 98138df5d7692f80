"""HL7 v2 TS and DT values read in bulk: YYYYMMDD[HH[MM[SS]]][.S[S[S[S]]]][+/-hhmm|Z].

Each value's digits are read as strptime("%Y%m%d%H%M%S") reads them (strictly: an impossible date
is unparseable); a value with its own UTC offset is moved by it, one without is local time in
the trust's zone (the first reading of an hour that happens twice, flagged ambiguous, as is a
time in the spring gap). Values in other scripts' digits, which Python's strptime also takes,
go through Python one by one; so do local times near a change of the clocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.readers._timefmt import parse_canonical
from ingest.readers.localise import _localise_by_span

_TS = re.compile(r"^(\d{8})(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4}|Z)?$")
_TS_ASCII = (
    r"^(?P<day>[0-9]{8})(?P<hh>[0-9]{2})?(?P<mm>[0-9]{2})?(?P<ss>[0-9]{2})?(?:\.[0-9]{1,4})?"
    r"(?P<off>[+-][0-9]{4}|Z)?$"
)
_STAMP = "%Y%m%d%H%M%S"
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1)
_US = 1_000_000
_MIN_US = int((datetime(1, 1, 1) - _EPOCH).total_seconds()) * _US
_MAX_US = int((datetime(9999, 12, 31, 23, 59, 59) - _EPOCH).total_seconds()) * _US
_MAX_US += _US - 1
# local times the zone database is asked about span by span (others go one by one)
_SPAN_FROM = int((datetime(1900, 1, 1) - _EPOCH).total_seconds()) * _US
_SPAN_TO = int((datetime(2100, 1, 1) - _EPOCH).total_seconds()) * _US


def parse_ts(text: str, tz: str = "Europe/London") -> tuple[datetime, bool]:
    """One HL7 TS -> aware UTC datetime and whether the local time was ambiguous; ValueError for
    anything that is not a timestamp, including one whose UTC reading leaves the calendar."""
    utc, amb, bad = parse_ts_array(pa.array([text], pa.string()), tz)
    if bad[0]:
        raise ValueError(text)
    return utc[0].as_py(), bool(amb[0])


def parse_ts_array(texts: pa.Array, tz: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """-> (UTC timestamp[us], ambiguous, unparseable); nulls stay null and are not unparseable."""
    texts = pc.utf8_trim_whitespace(texts)
    parts = _split_ts(texts)
    stamp = pc.binary_join_element_wise(
        parts.field(0), *(_or_00(parts.field(i)) for i in (1, 2, 3)), ""
    )
    naive, ok = _read_stamps(stamp)
    off = parts.field(4)
    offset_us, off_ok = _offsets(off)
    ok &= off_ok
    utc = naive - offset_us
    local = ok & (pc.fill_null(pc.equal(off, ""), False).to_numpy(zero_copy_only=False))
    amb = np.zeros(len(texts), dtype=bool)
    if tz != "UTC" and local.any():
        utc[local], amb[local], ok[local] = _local_to_utc(naive[local], tz)
    ok &= (utc >= _MIN_US) & (utc <= _MAX_US)
    sent = texts.is_valid().to_numpy(zero_copy_only=False)
    out = pa.array(np.where(ok, utc, 0), pa.int64(), mask=~ok).cast(pa.timestamp("us", tz="UTC"))
    return out, amb & ok, sent & ~ok


def _or_00(v: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(v, ""), "00", v)


def _split_ts(texts: pa.Array) -> pa.StructArray:
    """The regex groups (day, hour, minute, second, offset; "" when absent) of each value, null
    where it is no timestamp. ASCII values in bulk; others by Python's `re`, whose \\d also
    takes other scripts' digits."""
    parts = pc.extract_regex(texts, _TS_ASCII)
    other = pc.fill_null(pc.invert(pc.string_is_ascii(texts)), False)
    if not pc.any(other).as_py():
        return parts
    idx = np.flatnonzero(other.to_numpy(zero_copy_only=False))
    rows = [_TS.match(t) for t in texts.take(pa.array(idx)).to_pylist()]
    groups = [[(m.group(g) or "") if m else None for m in rows] for g in range(1, 6)]
    names = [f.name for f in parts.type]
    cols = []
    for i, vals in enumerate(groups):
        col = parts.field(i)
        mask = np.zeros(len(texts), dtype=bool)
        mask[idx] = True
        cols.append(pc.replace_with_mask(col, pa.array(mask), pa.array(vals, pa.string())))
    valid = parts.is_valid().to_numpy(zero_copy_only=False)
    valid[idx] = [m is not None for m in rows]
    return pa.StructArray.from_arrays(cols, names=names, mask=pa.array(~valid))


def _read_stamps(stamp: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """14-character stamps -> (naive microseconds, parsed): ASCII digits in bulk, others by
    Python's strptime (which takes other scripts' digits in some places)."""
    values, ok = parse_canonical(stamp, _STAMP)
    ascii_ = pc.fill_null(pc.string_is_ascii(stamp), True).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~ascii_):
        try:
            naive = datetime.strptime(stamp[int(i)].as_py(), _STAMP)
        except ValueError:
            continue
        values[i] = (naive - _EPOCH) // _ONE_US
        ok[i] = True
    return values, ok


def _offsets(off: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """'+hhmm' / '-hhmm' / 'Z' / '' -> (microseconds east of UTC, valid): at most 14 hours, and
    minutes below 60."""
    n = len(off)
    east = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    signed = pc.fill_null(pc.greater(pc.utf8_length(off), 1), False).to_numpy(zero_copy_only=False)
    if not signed.any():
        return east, ok
    idx = np.flatnonzero(signed)
    texts = off.take(pa.array(idx))
    if pc.all(pc.string_is_ascii(texts)).as_py():
        hours = pc.cast(pc.utf8_slice_codeunits(texts, 1, 3), pa.int64()).to_numpy()
        minutes = pc.cast(pc.utf8_slice_codeunits(texts, 3, 5), pa.int64()).to_numpy()
        sign = np.where(pc.starts_with(texts, "+").to_numpy(zero_copy_only=False), 1, -1)
    else:  # other scripts' digits, which int() reads as the regex's \d took them
        vals = texts.to_pylist()
        hours = np.array([int(t[1:3]) for t in vals], dtype=np.int64)
        minutes = np.array([int(t[3:5]) for t in vals], dtype=np.int64)
        sign = np.array([1 if t[0] == "+" else -1 for t in vals], dtype=np.int64)
    ok[idx] = (hours * 60 + minutes <= 14 * 60) & (minutes <= 59)
    east[idx] = np.where(ok[idx], sign * (hours * 3600 + minutes * 60) * _US, 0)
    return east, ok


def _local_to_utc(naive: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local wall-clock microseconds -> (UTC microseconds, ambiguous, ok). Steady spans of time
    by the zone's offset at the span's ends; the rest one by one with zoneinfo (fold=0)."""
    utc = np.zeros(len(naive), dtype=np.int64)
    amb = np.zeros(len(naive), dtype=bool)
    ok = np.ones(len(naive), dtype=bool)
    in_range = (naive >= _SPAN_FROM) & (naive < _SPAN_TO)
    rest = ~in_range
    if in_range.any():
        part = np.zeros(int(in_range.sum()), dtype=np.int64)
        near = _localise_by_span(naive[in_range], np.zeros(len(part), dtype=bool), tz, part)
        utc[in_range] = part
        rest[np.flatnonzero(in_range)[near]] = True
    zone = ZoneInfo(tz)
    for i in np.flatnonzero(rest):
        wall = _EPOCH + timedelta(microseconds=int(naive[i]))
        fold0 = wall.replace(tzinfo=zone)
        try:
            moved = fold0.astimezone(UTC)
        except OverflowError:
            ok[i] = False
            continue
        utc[i] = (moved.replace(tzinfo=None) - _EPOCH) // _ONE_US
        amb[i] = fold0.utcoffset() != fold0.replace(fold=1).utcoffset()
    return utc, amb, ok


def parse_dates(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """HL7 DT (the first eight characters of the value) -> (date32, unparseable). Eight ASCII
    digits are read strictly in bulk; anything else by Python's strptime("%Y%m%d"), whose looser
    matches are kept (e.g. '202411' is 2024-01-01)."""
    day = pc.utf8_slice_codeunits(texts, 0, 8)
    values, ok = parse_canonical(day, "%Y%m%d")
    eight = pc.fill_null(pc.match_substring_regex(day, "^[0-9]{8}$"), True)
    for i in np.flatnonzero(~eight.to_numpy(zero_copy_only=False)):
        try:
            values[i] = (datetime.strptime(day[int(i)].as_py(), "%Y%m%d") - _EPOCH) // _ONE_US
        except ValueError:
            continue
        ok[i] = True
    sent = texts.is_valid().to_numpy(zero_copy_only=False)
    stamps = pa.array(np.where(ok, values, 0), pa.int64(), mask=~ok)
    return stamps.cast(pa.timestamp("us")).cast(pa.date32()), sent & ~ok
