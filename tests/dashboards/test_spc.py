import numpy as np
import pytest

from dashboards import spc


def test_mean_and_natural_process_limits() -> None:
    values = [10, 12, 11, 13, 12, 11, 10, 12]
    t = spc.xmr(values)
    mr = np.abs(np.diff(values)).mean()
    assert t["mean"].iloc[0] == pytest.approx(np.mean(values))
    assert t["unpl"].iloc[0] == pytest.approx(np.mean(values) + 2.66 * mr)
    assert t["lnpl"].iloc[0] == pytest.approx(np.mean(values) - 2.66 * mr)
    assert t["mr_upper_limit"].iloc[0] == pytest.approx(3.267 * mr)
    assert np.isnan(t["moving_range"].iloc[0]) and t["moving_range"].iloc[1] == 2
    assert not t["special_cause"].any()


def test_point_beyond_limits() -> None:
    t = spc.xmr([10, 11, 10, 11, 10, 11, 10, 30, 10, 11])
    assert t["beyond_limits"].tolist() == [False] * 7 + [True, False, False]


def test_run_of_seven_on_one_side_but_not_six() -> None:
    base = [15, 5, 15, 5]
    seven = spc.xmr(base + [11, 12, 11, 12, 11, 12, 11] + [5, 15])
    assert seven["shift"].tolist() == [False] * 4 + [True] * 7 + [False] * 2
    six = spc.xmr(base + [11, 12, 11, 12, 11, 12] + [5, 15, 5])
    assert not six["shift"].any()


def test_point_on_the_mean_breaks_a_run() -> None:
    values = [0, 20, 12, 11, 12, 11, 10, 11, 12, 11, 0]  # mean exactly 10.0
    t = spc.xmr(values)
    assert t["mean"].iloc[0] == pytest.approx(10.0)
    assert not t["shift"].any()  # 4 above, one on the mean, 4 above: no run of 7


def test_trend_of_six_not_five() -> None:
    six = spc.xmr([5, 9, 4, 1, 2, 3, 4, 5, 6, 2, 8])
    assert six["trend"].tolist() == [False, False, False, True, True, True, True, True, True, False, False]
    five = spc.xmr([5, 9, 4, 2, 3, 4, 5, 6, 2, 8])
    assert not five["trend"].any()
    falling = spc.xmr([1, 9, 8, 7, 6, 5, 4, 9, 1])
    assert falling["trend"].tolist() == [False, True, True, True, True, True, True, False, False]


def test_equal_values_break_a_trend() -> None:
    t = spc.xmr([5, 1, 2, 3, 3, 4, 5, 6, 1])
    assert not t["trend"].any()


def test_two_of_three_beyond_two_sigma() -> None:
    values = [10, 10.5] * 8 + [11.9, 10.9, 11.9, 10.5, 10]
    t = spc.xmr(values)
    sigma = np.abs(np.diff(values)).mean() / 1.128
    upper2 = np.mean(values) + 2 * sigma
    assert upper2 < 11.9 < t["unpl"].iloc[0]
    assert t["two_of_three"].tolist() == [False] * 16 + [True, False, True, False, False]
    assert not t["beyond_limits"].any()


def test_missing_values_are_dropped() -> None:
    t = spc.xmr([1.0, None, 2.0, float("nan"), 3.0], labels=["a", "b", "c", "d", "e"])
    assert t["label"].tolist() == ["a", "c", "e"]


def test_summary_variation_and_assurance() -> None:
    t = spc.xmr([50, 52, 51, 49, 50, 51, 52, 50, 49, 80])
    s = spc.summarise(t, improvement="down", target=100)
    assert s.variation == "special cause - concern"
    assert s.assurance == "consistently passes"
    assert spc.summarise(t, improvement="up").variation == "special cause - improvement"
    assert spc.summarise(spc.xmr([1, 2, 1, 2]), improvement="up").variation == "common cause"


def test_chart_is_a_valid_vega_lite_spec() -> None:
    import altair as alt
    import pandas as pd

    t = spc.xmr([3, 4, 5, 4, 3], labels=list(pd.date_range("2026-01-01", periods=5, freq="MS")))
    spec = spc.xmr_chart(t, "title", "hours", improvement="down", target=4)
    alt.VConcatChart.from_dict(spec)  # raises unless the spec is valid Vega-Lite
    points, mr = spec["vconcat"][0]["data"]["values"], spec["vconcat"][1]["data"]["values"]
    assert [p["value"] for p in points] == [3, 4, 5, 4, 3] and len(mr) == 4
    assert points[0]["label"] == "2026-01-01T00:00:00" and points[0]["target"] == 4
