"""The exports room's own XmR computation."""

import pytest

from exports.xmr import xmr


def test_limits_are_mean_plus_minus_2_66_mean_moving_range():
    c = xmr(list("abcde"), [10, 12, 11, 13, 12])
    assert c.mean == pytest.approx(11.6)
    assert c.mr_mean == pytest.approx((2 + 1 + 2 + 1) / 4)
    assert c.unpl == pytest.approx(11.6 + 2.66 * 1.5)
    assert c.lnpl == pytest.approx(11.6 - 2.66 * 1.5)
    assert c.special_cause_labels == []


def test_point_beyond_limits_and_shift_are_special_cause():
    values = [10, 10.5, 9.5, 10, 10.2, 9.8, 10, 30]
    c = xmr([str(i) for i in range(len(values))], values)
    assert c.points[-1].beyond_limits
    run = [1, 1, 1, 1, 1, 1, 1, 5, 5, 5, 5, 5, 5, 5]
    c = xmr([str(i) for i in range(len(run))], run)
    assert all(p.shift for p in c.points)


def test_short_series():
    assert xmr([], []).mean is None
    one = xmr(["a"], [3])
    assert one.mean == 3 and one.unpl is None and not one.points[0].special_cause
