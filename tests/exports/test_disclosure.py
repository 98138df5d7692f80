"""Disclosure control: edge counts 0, 1, 7, 8, 12, 13, statistics, percentages, NETWORK rows."""

import pandas as pd
import pytest

from exports import disclosure as dc


@pytest.mark.parametrize("n, shown", [(0, 0), (1, "*"), (7, "*"), (8, 10), (12, 10), (13, 15),
                                      (2, "*"), (5, "*"), (10, 10), (17, 15), (18, 20), (1003, 1005)])
def test_count_edges(n, shown):
    assert dc.count(n) == shown
    assert dc.count(n, suppress=False) == n


def test_count_missing_and_negative():
    assert dc.count(None) is None
    assert dc.count(float("nan")) is None
    assert dc.count(-3) == "*"
    assert dc.count(-12) == -10
    assert dc.count(-13) == -15


@pytest.mark.parametrize("base, shown", [(0, 4.5), (1, "*"), (7, "*"), (8, 4.5), (12, 4.5), (13, 4.5)])
def test_statistic_on_small_base(base, shown):
    assert dc.statistic(4.5, base) == shown
    assert dc.statistic(4.5, base, suppress=False) == 4.5
    assert dc.statistic(None, base) is None


def test_percentage_from_rounded_numerator_and_denominator():
    assert dc.percentage(12, 13) == round(100 * 10 / 15, 1)   # 66.7, not 92.3
    assert dc.percentage(8, 12) == 100.0                       # 10/10
    assert dc.percentage(7, 100) == "*"                        # numerator 1-7
    assert dc.percentage(0, 13) == 0.0
    assert dc.percentage(0, 0) is None
    assert dc.percentage(12, 13, suppress=False) == round(100 * 12 / 13, 1)


def test_apply_leaves_network_rows_exact():
    df = pd.DataFrame({"trust_code": ["RRK", "NETWORK"], "n": [7, 7], "d": [13, 13],
                       "median": [2.5, 2.5], "pct": [53.8, 53.8]})
    spec = dc.Spec(counts=("n", "d"), statistics={"median": "n"}, percentages={"pct": ("n", "d")})
    out = dc.apply(df, spec, suppress=True)
    assert out.loc[0].tolist() == ["RRK", "*", 15, "*", "*"]
    assert out.loc[1].tolist() == ["NETWORK", 7, 13, 2.5, 53.8]
    internal = dc.apply(df, spec, suppress=False)
    assert internal.loc[0].tolist() == ["RRK", 7, 13, 2.5, 53.8]


def test_total_is_protected_from_the_exact_sum():
    assert dc.total([3, 3, 3]) == 10       # 9 -> 10, not * + * + *
    assert dc.total([4, 3]) == "*"
