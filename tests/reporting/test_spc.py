"""SPC (reporting/spc.py): Making Data Count's XmR limits, rules, baseline, clipping and icons."""

import numpy as np
import pytest

from reporting import spc


def xmr(values, **kw):
    kw.setdefault("baseline_points", 1000)  # the classic chart: every point in the baseline
    return spc.xmr(values, **kw)


def test_mean_and_natural_process_limits() -> None:
    values = [10, 12, 11, 13, 12, 11, 10, 12]
    t = xmr(values)
    mr = np.abs(np.diff(values)).mean()
    assert t["mean"].iloc[0] == pytest.approx(np.mean(values))
    assert t["unpl"].iloc[0] == pytest.approx(np.mean(values) + 2.66 * mr)
    assert t["lnpl"].iloc[0] == pytest.approx(np.mean(values) - 2.66 * mr)
    assert t["mr_upper_limit"].iloc[0] == pytest.approx(3.267 * mr)
    assert np.isnan(t["moving_range"].iloc[0]) and t["moving_range"].iloc[1] == 2
    assert not t["special_cause"].any()


def test_point_beyond_limits() -> None:
    t = xmr([10, 11, 10, 11, 10, 11, 10, 30, 10, 11])
    assert t["beyond_limits"].tolist() == [False] * 7 + [True, False, False]


def test_outlying_moving_ranges_are_screened_from_the_mean_moving_range() -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 30, 10, 11]
    ranges = np.abs(np.diff(values))
    kept = ranges[ranges <= 3.267 * ranges.mean()]
    assert len(kept) == len(ranges) - 2  # the jump to 30 and back
    assert xmr(values)["mr_mean"].iloc[0] == pytest.approx(kept.mean())


def test_run_of_seven_on_one_side_but_not_six() -> None:
    base = [15, 5, 15, 5]
    seven = xmr(base + [11, 12, 11, 12, 11, 12, 11] + [5, 15])
    assert seven["shift"].tolist() == [False] * 4 + [True] * 7 + [False] * 2
    six = xmr(base + [11, 12, 11, 12, 11, 12] + [5, 15, 5])
    assert not six["shift"].any()


def test_point_on_the_mean_breaks_a_run() -> None:
    t = xmr([0, 20, 12, 11, 12, 11, 10, 11, 12, 11, 0])  # mean exactly 10.0
    assert t["mean"].iloc[0] == pytest.approx(10.0)
    assert not t["shift"].any()


def test_trend_of_six_not_five() -> None:
    six = xmr([5, 9, 4, 1, 2, 3, 4, 5, 6, 2, 8])
    assert six["trend"].tolist() == [
        False,
        False,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert not xmr([5, 9, 4, 2, 3, 4, 5, 6, 2, 8])["trend"].any()
    falling = xmr([1, 9, 8, 7, 6, 5, 4, 9, 1])
    assert falling["trend"].tolist() == [False, True, True, True, True, True, True, False, False]
    assert not xmr([5, 1, 2, 3, 3, 4, 5, 6, 1])["trend"].any()  # an equal value breaks it


def test_two_of_three_beyond_two_sigma() -> None:
    values = [10, 10.5] * 8 + [11.9, 10.9, 11.9, 10.5, 10]
    t = xmr(values)
    sigma = t["mr_mean"].iloc[0] / 1.128
    assert t["mean"].iloc[0] + 2 * sigma < 11.9 < t["unpl"].iloc[0]
    assert t["two_of_three"].tolist() == [False] * 16 + [True, False, True, False, False]
    assert not t["beyond_limits"].any()


def test_left_out_and_missing_values_are_not_judged_nor_in_the_baseline() -> None:
    t = spc.xmr(
        [500.0, None, 2.0, 3.0, 2.0, 3.0],
        labels=list("abcdef"),
        left_out=["run-in", None, None, None, None, None],
    )
    assert t["left_out"].tolist() == ["run-in", "no value", None, None, None, None]
    assert t["judged"].tolist() == [False, False, True, True, True, True]
    assert t["mean"].iloc[0] == pytest.approx(2.5)
    assert not t.loc[0, "special_cause"] and t["moving_range"].notna().sum() == 3


def test_limits_are_fixed_after_the_baseline_and_a_later_step_is_flagged() -> None:
    rng = np.random.default_rng(3)
    stable = rng.normal(50, 2, 12)
    values = np.concatenate([stable, stable[:8] + 15])
    t = spc.xmr(values)
    assert t["mean"].iloc[0] == pytest.approx(stable.mean())
    assert t["baseline"].tolist() == [True] * 12 + [False] * 8
    assert t["special_cause"].tolist()[12:] == [True] * 8
    assert spc.flagged_labels(t) == list(range(12, 20))


def test_limits_are_clipped_to_the_measure_bounds() -> None:
    t = spc.xmr([1, 6, 0.5, 7, 1, 5, 0.2, 6], floor=0, ceiling=100)
    assert t["lnpl"].iloc[0] == 0 and t["lower_2_sigma"].iloc[0] == 0
    high = spc.xmr([99, 94, 99.5, 93, 99, 95, 99.8, 94], floor=0, ceiling=100)
    assert high["unpl"].iloc[0] == 100


def test_judgement_icons() -> None:
    t = xmr([50, 52, 51, 49, 50, 51, 52, 50, 49, 80])
    j = spc.judge(t, improvement="down", target=100)
    assert (j.variation, j.assurance) == ("concern_high", "pass")
    assert spc.judge(t, improvement="up").variation == "improvement_high"
    assert spc.judge(t).variation == "neutral_high"
    assert spc.judge(xmr([1, 2, 1, 2]), improvement="up").variation == "common_cause"
    assert spc.judge(xmr([50, 52, 51, 49]), improvement="up", target=51).assurance == "inconsistent"
    assert spc.judge(xmr([50, 52, 51, 49]), improvement="up", target=100).assurance == "fail"
    assert spc.judge(xmr([3])).variation == "not_enough_data"


def test_false_alarm_rate_of_a_stable_process_is_small() -> None:
    rate = spc.false_alarm_rate(24, charts=400)
    assert 0.02 < rate < 0.15  # per point, 24 points, limits from the first 12


def test_a_series_pinned_at_a_bound_is_centred_on_it() -> None:
    stable = spc.xmr([100.0] * 11 + [99.6], floor=0, ceiling=100)
    assert stable["centre_line"].iloc[0].startswith("median") and stable["mean"].iloc[0] == 100
    assert not stable["shift"].any()  # eleven months at 100% are not a run "above the mean"
    zero_then_breaches = spc.xmr(
        [0.0] * 12 + [23.0, 30.0, 28.0, 34.0, 25.0, 27.0, 31.0], floor=0, ceiling=100
    )
    assert zero_then_breaches["special_cause"].tolist() == [False] * 12 + [True] * 7
    lively = spc.xmr([100.0] * 5 + [98.0, 97.5, 99.0, 96.0, 98.5, 97.0, 99.5], floor=0, ceiling=100)
    assert (lively["centre_line"] == "mean").all()


def test_screening_never_leaves_a_flat_series_without_spread() -> None:
    t = xmr([5.0] * 10 + [6.0])
    assert t["mr_mean"].iloc[0] == pytest.approx(0.1)
