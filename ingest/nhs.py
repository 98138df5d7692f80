"""NHS number helpers: the mod-11 check and NHS England's reversed-halves rule (DOMAIN.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 on digits 1-9


def is_valid(nhs: str | None) -> bool:
    """True for a 10-digit number with a correct mod-11 check digit and no reversed halves."""
    if nhs is None or len(nhs) != 10 or not nhs.isascii() or not nhs.isdigit():
        return False
    return bool(valid_mask(pd.Series([nhs]))[0])


def valid_mask(values: pd.Series) -> np.ndarray:
    """Vectorised validity per value (null or non-10-digit -> False)."""
    s = pd.Series(values, dtype="object").reset_index(drop=True)
    out = np.zeros(len(s), dtype=bool)
    if not len(s):
        return out
    ten = s.str.fullmatch(r"[0-9]{10}", na=False).to_numpy(dtype=bool)
    if not ten.any():
        return out
    raw = "".join(s[ten].tolist()).encode("ascii")
    d = (np.frombuffer(raw, dtype=np.uint8).reshape(-1, 10) - 48).astype(np.int64)
    check = 11 - (d[:, :9] @ _WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    ok = (check != 10) & (check == d[:, 9])
    reversed_halves = (d[:, :5] == d[:, :4:-1]).all(axis=1)
    out[ten] = ok & ~reversed_halves
    return out


def check_digit(first9: str) -> int | None:
    """The mod-11 check digit for nine digits, or None when the number cannot be valid (10)."""
    d = np.array([int(c) for c in first9], dtype=np.int64)
    c = 11 - int(d @ _WEIGHTS) % 11
    c = 0 if c == 11 else c
    return None if c == 10 else c
