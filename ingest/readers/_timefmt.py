"""Vectorised strict parsing of text already in a fixed-width timestamp format.

Nearly every value a trust sends is in the canonical form of its declared format (zero-padded,
exactly as strftime would print it). Those values are parsed here with numpy straight from the
Arrow string buffer: one gather of the bytes, integer arithmetic, a calendar check. The strict
round-trip rule holds by construction: a value passes only if it is exactly `W` bytes, every
literal byte matches and every field is in range (31 February fails). Values that do not pass are
returned as "not handled" and the caller sends them down the general (Arrow + Python strptime)
path, so the outcome for odd values is the same as before.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# directive -> (field, width). Only fixed-width numeric fields and the C-locale month abbreviation.
_DIRECTIVES = {
    "%Y": ("year", 4),
    "%m": ("month", 2),
    "%d": ("day", 2),
    "%H": ("hour", 2),
    "%M": ("minute", 2),
    "%S": ("second", 2),
    "%b": ("mon_abbr", 3),
}
_MONTH_ABBR = [
    b"Jan",
    b"Feb",
    b"Mar",
    b"Apr",
    b"May",
    b"Jun",
    b"Jul",
    b"Aug",
    b"Sep",
    b"Oct",
    b"Nov",
    b"Dec",
]
_ABBR_CODES = np.array([(m[0] << 16) | (m[1] << 8) | m[2] for m in _MONTH_ABBR], dtype=np.int64)
_ABBR_ORDER = np.argsort(_ABBR_CODES)
_ABBR_SORTED = _ABBR_CODES[_ABBR_ORDER]
_ABBR_MONTH = _ABBR_ORDER + 1
_DIRECTIVES_BY_FIELD = dict(_DIRECTIVES.values())
_LIMITS = {"hour": 23, "minute": 59, "second": 59}
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def compile_format(fmt: str) -> tuple[int, dict[str, int], list[tuple[int, int]]] | None:
    """-> (width, field -> byte position, [(position, literal byte)]) or None if not fixed-width."""
    fields: dict[str, int] = {}
    literals: list[tuple[int, int]] = []
    pos = 0
    for tok in re.findall(r"%.|[^%]", fmt, flags=re.DOTALL):
        if tok.startswith("%"):
            if tok not in _DIRECTIVES:
                return None
            name, width = _DIRECTIVES[tok]
            if name in fields or (
                name in ("month", "mon_abbr") and {"month", "mon_abbr"} & fields.keys()
            ):
                return None
            fields[name] = pos
            pos += width
        else:
            if not tok.isascii():
                return None
            literals.append((pos, ord(tok)))
            pos += 1
    if not {"year", "day"} <= fields.keys() or not {"month", "mon_abbr"} & fields.keys():
        return None
    return pos, fields, literals


def _gather(data: np.ndarray, offsets: np.ndarray, idx: np.ndarray, width: int) -> np.ndarray:
    """The `width` bytes of each value in `idx` (all of that length), one row per value."""
    first, last = offsets[0], offsets[-1]
    if last - first == width * len(idx):
        # the other values are empty or null, so the candidates lie back to back: a view
        return data[first:last].reshape(-1, width)
    return data[offsets[idx][:, None] + np.arange(width)]


def _fixed_width_rows(arr: pa.StringArray, width: int):
    """-> (byte data, int64 offsets, indices of the non-null values `width` bytes long)."""
    n = len(arr)
    bufs = arr.buffers()
    if n == 0 or bufs[2] is None:
        return None, None, np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + n + 1].astype(
        np.int64
    )
    data = np.frombuffer(bufs[2], dtype=np.uint8)
    cand = (np.diff(offsets) == width) & arr.is_valid().to_numpy(zero_copy_only=False)
    return data, offsets, np.flatnonzero(cand)


def parse_canonical(arr: pa.StringArray, fmt: str) -> tuple[np.ndarray, np.ndarray] | None:
    """-> (naive microseconds since the epoch, handled mask) or None if `fmt` is not fixed-width.

    Rows not handled (null, other length, any failed check) hold 0 in the values."""
    layout = compile_format(fmt)
    if layout is None or not pa.types.is_string(arr.type):
        return None
    width, fields, literals = layout
    n = len(arr)
    values = np.zeros(n, dtype=np.int64)
    handled = np.zeros(n, dtype=bool)
    data, offsets, idx = _fixed_width_rows(arr, width)
    if not len(idx):
        return values, handled
    mat = _gather(data, offsets, idx, width)
    ok = np.ones(len(idx), dtype=bool)
    for p, byte in literals:
        ok &= mat[:, p] == byte
    digit_cols = [
        p + i
        for name, p in fields.items()
        if name != "mon_abbr"
        for i in range(_DIRECTIVES_BY_FIELD[name])
    ]
    ok &= ((mat[:, digit_cols] - np.uint8(48)) <= 9).all(axis=1)  # uint8 wraps below '0'

    def number(p: int, w: int) -> np.ndarray:
        out = mat[:, p].astype(np.int64) - 48
        for i in range(1, w):
            out = out * 10 + (mat[:, p + i].astype(np.int64) - 48)
        return out

    year = number(fields["year"], 4)
    if "month" in fields:
        month = number(fields["month"], 2)
    else:
        p = fields["mon_abbr"]
        code = (
            (mat[:, p].astype(np.int64) << 16)
            | (mat[:, p + 1].astype(np.int64) << 8)
            | mat[:, p + 2]
        )
        pos = np.minimum(np.searchsorted(_ABBR_SORTED, code), 11)
        ok &= _ABBR_SORTED[pos] == code
        month = _ABBR_MONTH[pos]
    day = number(fields["day"], 2)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    clock = {name: number(fields[name], 2) if name in fields else 0 for name in _LIMITS}
    for name, top in _LIMITS.items():
        ok &= clock[name] <= top
    month = np.where(ok, month, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= day <= _DAYS_IN_MONTH[month - 1] + (leap & (month == 2))
    micros = (
        _days_from_civil(year, month, day) * 86_400
        + clock["hour"] * 3600
        + clock["minute"] * 60
        + clock["second"]
    ) * 1_000_000
    good = idx[ok]
    values[good] = micros[ok]
    handled[good] = True
    return values, handled


# ISO 8601 layouts (date, or date and time to the second): Arrow's cast from text parses them
# strictly (month, day of month, hour, minute and second in range) and in less time than the
# arithmetic above. The layout is checked here first, since the cast takes more forms.
_ISO_FIELDS = {"year": 0, "month": 5, "day": 8}
_ISO_CLOCK = {"hour": 11, "minute": 14, "second": 17}


def _is_iso(fields: dict[str, int], literals: list[tuple[int, int]]) -> bool:
    if fields == _ISO_FIELDS:
        return literals == [(4, ord("-")), (7, ord("-"))]
    return fields == {**_ISO_FIELDS, **_ISO_CLOCK} and literals in (
        [(4, 45), (7, 45), (10, sep), (13, 58), (16, 58)] for sep in (32, 84)
    )


def parse_iso(arr: pa.StringArray, fmt: str) -> pa.TimestampArray | None:
    """Naive timestamp[us] of every value when `fmt` is an ISO layout and every non-null value
    has it exactly (its literals, digits elsewhere, a year after 0): parsed whole by Arrow.
    None otherwise, or when Arrow finds an impossible value (31 February): the caller then
    parses value by value and rejects only those."""
    layout = compile_format(fmt)
    if layout is None or not pa.types.is_string(arr.type) or not _is_iso(*layout[1:]):
        return None
    width, _, literals = layout
    data, offsets, idx = _fixed_width_rows(arr, width)
    if not len(idx) or len(idx) != len(arr) - arr.null_count:
        return None
    mat = _gather(data, offsets, idx, width)
    # one pass over the bytes: each position within its allowed range (a digit, or its literal)
    low = np.full(width, ord("0"), dtype=np.uint8)
    span = np.full(width, 9, dtype=np.uint8)
    for p, byte in literals:
        low[p], span[p] = byte, 0
    if ((mat - low) > span).any():
        return None
    if (mat[:, 0] == 48).any() and (mat[:, :4] == 48).all(axis=1).any():  # year 0
        return None
    try:
        return pc.cast(arr, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
