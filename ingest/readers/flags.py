"""Data-quality flags on landing rows (comma-separated names) and the workflow-order check
that raises `dates_out_of_order`."""

from __future__ import annotations

import numpy as np


def join_flags(n: int, flags: dict[str, np.ndarray]) -> np.ndarray:
    """Comma-separated flag names per row (None where no flag)."""
    out = np.full(n, "", dtype=object)
    for name, mask in flags.items():
        if mask is None:
            continue
        idx = np.flatnonzero(mask)
        if len(idx):
            out[idx] = out[idx] + ("," + name)
    res = np.full(n, None, dtype=object)
    has = out != ""
    res[has] = [s[1:] for s in out[has]]
    return res


# Workflow order checks (earlier, later): dates_out_of_order when later < earlier.
ORDER_PAIRS = (
    ("requested", "request_received"),
    ("requested", "exam_completed"),
    ("request_received", "exam_completed"),
    ("exam_started", "exam_completed"),
    ("exam_completed", "reported_prelim"),
    ("exam_completed", "report_verified"),
)


def out_of_order(times: dict[str, np.ndarray], birth_date: np.ndarray | None, n: int) -> np.ndarray:
    """times: event -> datetime64[us] UTC per record (NaT = not sent)."""
    bad = np.zeros(n, dtype=bool)
    for a, b in ORDER_PAIRS:
        if a in times and b in times:
            ta, tb = times[a], times[b]
            bad |= ~np.isnat(ta) & ~np.isnat(tb) & (tb < ta)
    if birth_date is not None and "requested" in times:
        t = times["requested"]
        bd = birth_date.astype("datetime64[us]")
        bad |= ~np.isnat(t) & ~np.isnat(bd) & (t < bd)
    return bad
