"""reporting/planning.py: the what-if of added slots on a projection mart's baseline."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from reporting.planning import project_with_added_slots, slots_to_clear_breaches

START = date(2026, 4, 15)


def projection_rows(per_band: dict[int, float], weeks: int = 4) -> pd.DataFrame:
    """A steady baseline: the same patients in each band every week ahead."""
    rows = []
    for h in range(weeks + 1):
        six = sum(v for b, v in per_band.items() if b >= 6)
        total = sum(per_band.values())
        for band, patients in per_band.items():
            rows.append(
                {
                    "weeks_ahead": h,
                    "week_end_date": START + timedelta(weeks=h),
                    "min_weeks_waited": band,
                    "weeks_band": "13+" if band == 13 else str(band),
                    "projected_patients": patients,
                    "waiting_low": total - 5,
                    "waiting_high": total + 5,
                    "waiting_6_plus_weeks_low": six - 2,
                    "waiting_6_plus_weeks_high": six + 2,
                }
            )
    return pd.DataFrame(rows)


def test_added_slots_take_the_longest_waiters_first_and_add_up_week_by_week():
    rows = projection_rows({0: 10, 3: 10, 7: 4, 13: 3})
    out = project_with_added_slots(rows, 2)
    assert out["baseline_total"].tolist() == [27] * 5
    # 2 a week: by week h, 2h fewer, the 13+ (3) then the 7-week band (4) first
    assert out["total"].tolist() == [27, 25, 23, 21, 19]
    assert out["waiting_6_plus_weeks"].tolist() == [7, 5, 3, 1, 0]
    assert out["baseline_low"].tolist() == [22] * 5


def test_no_slots_is_the_baseline_and_the_list_never_goes_below_zero():
    rows = projection_rows({0: 1, 8: 1})
    assert project_with_added_slots(rows, 0)["total"].tolist() == [2] * 5
    assert project_with_added_slots(rows, 50)["total"].tolist() == [2, 0, 0, 0, 0]


def test_slots_to_clear_is_the_fewest_that_reach_one_percent():
    rows = projection_rows({0: 100, 6: 40}, weeks=4)
    # by week 4: 40 - 4k <= 0.01 x (140 - 4k)  ->  k >= 9.7
    assert slots_to_clear_breaches(rows, 4) == 10
    assert slots_to_clear_breaches(rows, 4, most=5) is None
    assert slots_to_clear_breaches(projection_rows({0: 100}), 4) == 0
