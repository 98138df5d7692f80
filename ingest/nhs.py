"""NHS number helpers: the mod-11 check and NHS England's reversed-halves rule (DOMAIN.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 on digits 1-9


def is_valid(nhs: str | None) -> bool:
    """True for a 10-digit number with a correct mod-11 check digit and no reversed halves."""
    if nhs is None or len(nhs) != 10 or not nhs.isascii() or not nhs.isdigit():
        return False
    return bool(valid_mask(pd.Series([nhs]))[0])


def valid_mask(values: pd.Series | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Vectorised validity per value (null, non-text or not exactly 10 ASCII digits -> False)."""
    arr = _as_text(values)
    if arr is None:  # values that are not all text: the per-value path decides
        return _valid_mask_objects(values)
    out = np.zeros(len(arr), dtype=bool)
    ten = pc.fill_null(pc.equal(pc.binary_length(arr), 10), False).to_numpy(zero_copy_only=False)
    if not ten.any():
        return out
    # 10 bytes each, back to back: the value bytes of the filtered array
    sub = arr.filter(pa.array(ten))
    offsets = np.frombuffer(
        sub.buffers()[1],
        dtype=np.int32 if sub.type == pa.string() else np.int64,
        count=len(sub) + 1,
        offset=sub.offset * (4 if sub.type == pa.string() else 8),
    )
    raw = np.frombuffer(sub.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 10)
    digits = ((raw >= 48) & (raw <= 57)).all(axis=1)  # [0-9]{10}; a 10-byte non-ASCII value fails
    out[np.flatnonzero(ten)] = digits & _checks(raw)
    return out


def _as_text(values) -> pa.Array | None:
    """Arrow string array of the values, or None when some value is not text (nor null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        try:
            values = pa.array(pd.Series(values, dtype="object"), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    if pa.types.is_null(values.type):
        return values.cast(pa.string())
    if pa.types.is_large_string(values.type) or pa.types.is_string(values.type):
        return values
    return None


def _checks(d8: np.ndarray) -> np.ndarray:
    """Mod-11 check digit and no reversed halves, on rows of 10 ASCII bytes (non-digits: any)."""
    d = d8 - np.uint8(48)  # the caller has checked for digits; others wrap, and fail anyway
    total = np.zeros(len(d), dtype=np.int32)
    for i, weight in enumerate(_WEIGHTS.tolist()):  # nine column sums: no int64 matrix
        total += d[:, i] * np.int32(weight)
    check = 11 - total % 11
    check[check == 11] = 0
    ok = (check != 10) & (check == d[:, 9])
    reversed_halves = (d[:, :5] == d[:, :4:-1]).all(axis=1)
    return ok & ~reversed_halves


def _valid_mask_objects(values) -> np.ndarray:
    s = pd.Series(values, dtype="object").reset_index(drop=True)
    out = np.zeros(len(s), dtype=bool)
    if not len(s):
        return out
    ten = s.str.fullmatch(r"[0-9]{10}", na=False).to_numpy(dtype=bool)
    if not ten.any():
        return out
    raw = "".join(s[ten].tolist()).encode("ascii")
    out[ten] = _checks(np.frombuffer(raw, dtype=np.uint8).reshape(-1, 10))
    return out


def check_digit(first9: str) -> int | None:
    """The mod-11 check digit for nine digits, or None when the number cannot be valid (10)."""
    d = np.array([int(c) for c in first9], dtype=np.int64)
    c = 11 - int(d @ _WEIGHTS) % 11
    c = 0 if c == 11 else c
    return None if c == 10 else c
