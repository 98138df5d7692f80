"""Waiting-list projections and what-ifs, read from the published `waiting_list_projection`.

The projection and its calibrated rates are the mart's (docs/metrics.md "Waiting-list
projection"): this module never re-projects, so the rule lives in the mart's SQL only. A
scenario "K more slots a week at a site of the trust" starts from the mart's baseline: each
added slot tests one more patient, the longest waiter first, and the baseline's own tests go on
as projected, so by week h the list is K x h shorter than the baseline, taken from its longest
bands. DM01 counts a trust's list for a test, so slots at any of the trust's sites serve it.
Used by the Planning page and the board pack; reads only, never writes a database.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

# the DM01 standard: waits of 6 whole weeks or more breach it
BREACH_WEEKS = 6
# the 13+ band's index in the arrays below (bands 0..12, then 13+)
OPEN_BAND = 13


def read_projection(con: duckdb.DuckDBPyConnection, trust: str, dm01_test: str) -> pd.DataFrame:
    """The mart's rows of one trust and test, ordered by weeks ahead and band."""
    return con.execute(
        """
        select weeks_ahead, week_end_date, min_weeks_waited, weeks_band, projected_patients,
               waiting_low, waiting_high, waiting_6_plus_weeks_low,
               waiting_6_plus_weeks_high
        from waiting_list_projection
        where trust_code = ? and dm01_test = ?
        order by weeks_ahead, min_weeks_waited
        """,
        [trust, dm01_test],
    ).df()


def _grid(rows: pd.DataFrame, column: str) -> np.ndarray:
    """weeks_ahead x band (0..13) array of one column, zero where the mart has no row."""
    horizon = int(rows["weeks_ahead"].max()) if len(rows) else 0
    grid = np.zeros((horizon + 1, OPEN_BAND + 1))
    for h, band, value in zip(rows["weeks_ahead"], rows["min_weeks_waited"], rows[column],
                              strict=True):  # fmt: skip
        grid[int(h), int(band)] = float(value)
    return grid


def _take_longest(waiting: np.ndarray, slots: float) -> np.ndarray:
    """`slots` patients taken from the longest bands of `waiting` first."""
    taken = np.zeros_like(waiting)
    left = slots
    for band in range(OPEN_BAND, -1, -1):
        if left <= 0:
            break
        taken[band] = min(waiting[band], left)
        left -= taken[band]
    return taken


def project_with_added_slots(rows: pd.DataFrame, slots_per_week: float) -> pd.DataFrame:
    """The projection with `slots_per_week` more tests a week for the longest waiters.

    `rows`: read_projection's rows of one trust and test. Returns weeks_ahead, week_end_date,
    total, waiting_6_plus_weeks, their baseline values and the mart's uncertainty bands of the
    baseline's, one row per week ahead (0 = now, unchanged)."""
    baseline = _grid(rows, "projected_patients")
    scenario = baseline.copy()
    for h in range(1, baseline.shape[0]):
        scenario[h] = baseline[h] - _take_longest(baseline[h], slots_per_week * h)
    weeks = rows.drop_duplicates("weeks_ahead").set_index("weeks_ahead")
    bands = weeks.reindex(range(baseline.shape[0]))
    return pd.DataFrame(
        {
            "weeks_ahead": np.arange(baseline.shape[0]),
            "week_end_date": bands["week_end_date"].to_numpy(),
            "total": scenario.sum(axis=1),
            "waiting_6_plus_weeks": scenario[:, BREACH_WEEKS:].sum(axis=1),
            "baseline_total": baseline.sum(axis=1),
            "baseline_6_plus_weeks": baseline[:, BREACH_WEEKS:].sum(axis=1),
            "baseline_low": bands["waiting_low"].to_numpy(),
            "baseline_high": bands["waiting_high"].to_numpy(),
            "baseline_6_plus_low": bands["waiting_6_plus_weeks_low"].to_numpy(),
            "baseline_6_plus_high": bands["waiting_6_plus_weeks_high"].to_numpy(),
        }
    )


def slots_to_clear_breaches(
    rows: pd.DataFrame, weeks_ahead: int, share: float = 0.01, most: int = 10_000
) -> int | None:
    """The fewest added slots a week that bring the projected 6+ week waiters to at most `share`
    of the list (the DM01 standard: 1%) by `weeks_ahead`; None if `most` is not enough."""

    week = _grid(rows, "projected_patients")[weeks_ahead]

    def cleared(slots: int) -> bool:
        left = week - _take_longest(week, slots * weeks_ahead)
        return left[BREACH_WEEKS:].sum() <= share * max(left.sum(), 0) + 1e-9

    if cleared(0):
        return 0
    if not cleared(most):
        return None
    lo, hi = 0, most
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if cleared(mid) else (mid, hi)
    return hi


def breach_outlook(con: duckdb.DuckDBPyConnection, weeks_ahead: int = 12) -> pd.DataFrame:
    """Per trust and test: the list and its 6+ week waiters now and projected `weeks_ahead`
    weeks on (with the band), and the added slots a week that bring the 6+ week waiters to 1%
    of the list by then (None: over 10,000). Ordered by the projected 6+ week waiters."""
    rows = con.execute(
        """
        select trust_code, dm01_test, weeks_ahead, week_end_date, min_weeks_waited, weeks_band,
               projected_patients, waiting_low, waiting_high, waiting_6_plus_weeks_low,
               waiting_6_plus_weeks_high
        from waiting_list_projection
        where weeks_ahead <= ?
        order by trust_code, dm01_test, weeks_ahead, min_weeks_waited
        """,
        [weeks_ahead],
    ).df()
    out = []
    for (trust, test), one in rows.groupby(["trust_code", "dm01_test"], sort=False):
        now, later = project_with_added_slots(one, 0).iloc[[0, -1]].to_dict("records")
        out.append(
            {
                "trust_code": trust,
                "dm01_test": test,
                "waiting_now": now["total"],
                "waiting_6_plus_now": now["waiting_6_plus_weeks"],
                "waiting_projected": later["total"],
                "waiting_6_plus_projected": later["waiting_6_plus_weeks"],
                "waiting_6_plus_low": later["baseline_6_plus_low"],
                "waiting_6_plus_high": later["baseline_6_plus_high"],
                "slots_a_week_to_clear": slots_to_clear_breaches(one, int(later["weeks_ahead"])),
            }
        )
    columns = ["trust_code", "dm01_test", "waiting_now", "waiting_6_plus_now", "waiting_projected",
               "waiting_6_plus_projected", "waiting_6_plus_low", "waiting_6_plus_high",
               "slots_a_week_to_clear"]  # fmt: skip
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values("waiting_6_plus_projected", ascending=False, ignore_index=True)
