"""Data-quality flags on landing rows (comma-separated names) and the workflow-order check
that raises `dates_out_of_order`."""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def merge_flags(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union of two comma-separated flag columns."""
    out = np.array(a, dtype=object, copy=True)
    for i in np.flatnonzero(pd.notna(b)):
        cur = out[i]
        if cur is None or (isinstance(cur, float)):
            out[i] = b[i]
        else:
            parts = cur.split(",")
            parts += [p for p in b[i].split(",") if p not in parts]
            out[i] = ",".join(parts)
    return out


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


def timeline_from_events(events: pd.DataFrame, accessions: pd.Series) -> dict[str, np.ndarray]:
    """Earliest time of each event type per accession, aligned to `accessions`."""
    if events.empty:
        return {}
    ev = events[["accession", "event", "event_at"]].dropna()
    if ev.empty:
        return {}
    ev = ev.assign(
        t=pd.to_datetime(ev["event_at"], utc=True).dt.tz_localize(None).astype("datetime64[us]")
    )
    piv = ev.groupby(["accession", "event"], sort=False)["t"].min().unstack()
    piv = piv.reindex(pd.Index(accessions.to_numpy(), dtype=object))
    return {c: piv[c].to_numpy(dtype="datetime64[us]") for c in piv.columns}
