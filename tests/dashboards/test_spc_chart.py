"""The XmR chart drawn from a `reporting.spc.xmr` table: what it shows and where (the numbers
themselves are tested in tests/reporting/test_spc.py)."""

from __future__ import annotations

from datetime import date

import altair as alt
import pytest

from dashboards import spc
from reporting import spc as rules
from reporting.maturity import add_months

MONTHS = [add_months(date(2025, 8, 1), k) for k in range(15)]
RUN_IN = "run-in: the feed starts 08 Oct 2025"
NOT_MATURE = "not mature: 28 days after the month's end not yet passed"
LEFT_OUT = [RUN_IN] * 3 + [None] * 11 + [NOT_MATURE]
# test to report hours near 48 h, a run-in backlog of 850 h, one wild month
HOURS = [850.0, 520.0, 20.0, 28, 50, 50, 32, 72, 72, 48, 75, 35, 50, 32, 43]


def table(values=HOURS, left_out=LEFT_OUT, floor=0.0, ceiling=None):
    return rules.xmr(values, MONTHS, left_out, floor=floor, ceiling=ceiling)


def layer_marks(chart: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in chart["layer"]]


def test_spec_is_valid_vega_lite_with_one_shared_month_axis() -> None:
    spec = spc.xmr_chart(table(), "hours", "down", target=48.0, floor=0.0)
    alt.VConcatChart.from_dict(spec)  # raises unless the spec is valid Vega-Lite
    assert spec["resolve"]["scale"]["x"] == "shared"
    assert spec["autosize"]["type"] == "fit-x"  # the pair fits its container's width
    x_axes = [
        layer["encoding"]["x"]
        for chart in spec["vconcat"]
        for layer in chart["layer"]
        if "x" in layer["encoding"]
    ]
    assert x_axes and all(x["timeUnit"] == "yearmonth" for x in x_axes)
    assert all(x["axis"]["tickCount"] == {"interval": "month", "step": 1} for x in x_axes)
    extents = {
        layer["encoding"]["y"]["axis"]["minExtent"]
        for chart in spec["vconcat"]
        for layer in chart["layer"]
        if "axis" in layer["encoding"].get("y", {})
    }
    assert len(extents) == 1  # both y axes take the same width, so the plots line up


def test_left_out_months_are_grey_with_their_reason() -> None:
    records = spc.xmr_chart(table(), "hours", "down")["data"]["values"]
    by_month = {r["month"]: r for r in records}
    assert by_month["2025-08-01"]["class"] == "left out" and by_month["2025-08-01"]["why"] == RUN_IN
    assert (
        by_month["2026-10-01"]["class"] == "left out"
        and by_month["2026-10-01"]["why"] == NOT_MATURE
    )
    assert not by_month["2025-08-01"]["judged"] and by_month["2025-11-01"]["judged"]
    assert (
        rules.POINT_COLOURS["left out"]
        in spc.xmr_chart(table(), "h")["vconcat"][0]["layer"][-1]["encoding"]["color"]["scale"][
            "range"
        ]
    )


def test_far_target_is_stated_not_drawn_and_axis_follows_the_judged_data() -> None:
    t = table()
    span = spc.y_range(t, 672.0, floor=0.0)
    assert not span.target_drawn
    judged = t[t["judged"]]
    assert span.high < 200 and span.high >= judged["value"].max()  # not squashed by 672 h or 850 h
    assert span.low >= 0  # clipped: no negative hours
    spec = spc.xmr_chart(t, "hours", "down", target=672.0, floor=0.0)
    assert "rule" not in layer_marks(spec["vconcat"][0])
    note = spc.target_note(t, 672.0, "hours", span.target_drawn)
    assert "672 hours is far above" in note and "75.0" in note
    assert "Aug 2025 850.0" in spc.off_scale_note(t, span, "hours")


def test_near_target_is_drawn() -> None:
    spec = spc.xmr_chart(table(), "hours", "down", target=60.0, floor=0.0)
    rule = spec["vconcat"][0]["layer"][0]
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["y"]["datum"] == 60.0
    assert "x" not in rule["encoding"]  # spans the plot, one line


@pytest.mark.parametrize("floor,ceiling", [(0.0, None), (0.0, 100.0)])
def test_limits_and_axis_stay_within_what_the_measure_can_reach(floor, ceiling) -> None:
    values = [
        2,
        90,
        3,
        95,
        1,
        99,
        2,
        97,
        4,
        98,
        1,
        96,
        3,
        99,
        2,
    ]  # wild swings: limits beyond 0 and 100
    t = rules.xmr(values, MONTHS, None, floor=floor, ceiling=ceiling)
    span = spc.y_range(t, None, floor, ceiling)
    assert span.low >= floor and (ceiling is None or span.high <= ceiling)
    records = spc.xmr_chart(t, "%", "up", floor=floor, ceiling=ceiling)["data"]["values"]
    assert min(r["lnpl"] for r in records) >= floor


def test_left_out_note_groups_months_by_reason() -> None:
    note = spc.left_out_note(table())
    assert f"Aug 2025 to Oct 2025 ({RUN_IN})" in note and f"Oct 2026 ({NOT_MATURE})" in note
