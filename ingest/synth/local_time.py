"""Local wall-clock seconds (Europe/London, naive, since 1970-01-01), the simulation's time,
to UTC."""

from __future__ import annotations

import numpy as np

from .demand import DAY, HOUR


def _last_sunday(year: np.ndarray, month: int) -> np.ndarray:
    last = (
        (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(month, "M")
    ).astype("datetime64[D]").astype(np.int64) - 1
    wd = (last + 3) % 7  # Monday = 0
    return last - (wd + 1) % 7


def local_to_utc(t: np.ndarray) -> np.ndarray:
    """Local Europe/London wall-clock seconds -> UTC seconds (monotone non-decreasing).

    Ambiguous autumn times take the first (BST) reading; times in the missing spring hour
    collapse onto the instant the clocks went forward.
    """
    t = np.asarray(t, dtype=np.int64)
    valid = t >= 0
    years = (np.where(valid, t, 0) // DAY).astype("datetime64[D]").astype("datetime64[Y]")
    year = years.astype(np.int64) + 1970
    y0 = int(year.min()) if year.size else 1970
    ys = np.arange(y0, (int(year.max()) if year.size else 1970) + 1)
    yi = year - y0
    bst_on = (_last_sunday(ys, 3) * DAY + HOUR)[yi]
    bst_off = (_last_sunday(ys, 10) * DAY + 2 * HOUR)[yi]
    bst = (t >= bst_on) & (t < bst_off)
    out = t - np.where(bst, HOUR, 0)
    gap = (t >= bst_on) & (t < bst_on + HOUR)
    out = np.where(gap, bst_on, out)
    return np.where(valid, out, -1)
