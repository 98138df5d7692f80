"""The XmR chart as NHS England's "Making Data Count" draws it, from a `reporting.spc.xmr` table.

Drawing only: every number (mean, limits, moving ranges, special-cause flags, which months are
left out and why) comes from `reporting.spc`, the one implementation the app and the board pack
share. The X chart and its mR chart are one Vega-Lite `vconcat` sharing the month axis, so a
point and its moving range sit one above the other. Written as a plain spec, not with Altair:
Altair's build of this layered chart costs far more per page run than the dict
(docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from reporting.spc import POINT_COLOURS, RULES, Improvement, point_classes

Y_AXIS_EXTENT = 56  # both y axes take the same width, so the two plots line up
TARGET_COLOUR = "#d62728"
X_PADDING = 12  # px
MR_HEIGHT_SHARE = 3  # the mR chart is a third of the X chart's height
# A target further from the data than this share of the data's span squashes the data: not drawn.
TARGET_REACH = 0.5


@dataclass(frozen=True)
class YRange:
    low: float
    high: float
    target_drawn: bool


def y_range(
    table: pd.DataFrame,
    target: float | None,
    floor: float | None = None,
    ceiling: float | None = None,
) -> YRange:
    """The X chart's value axis: the judged values and the limits, and the target only when it
    is near them (months left out, such as a run-in backlog, may lie off the scale)."""
    judged = table[table["judged"]]
    values = pd.concat([judged["value"], judged["unpl"], judged["lnpl"]]).astype(float).dropna()
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    span = (high - low) or max(abs(high), 1.0)
    drawn = target is not None and low - TARGET_REACH * span <= target <= high + TARGET_REACH * span
    if drawn:
        low, high = min(low, float(target)), max(high, float(target))  # type: ignore[arg-type]
    pad = 0.08 * ((high - low) or span)
    low, high = low - pad, high + pad
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    return YRange(low, high, drawn)


def target_note(table: pd.DataFrame, target: float | None, unit: str, drawn: bool) -> str:
    """Why a target is not drawn: it lies far outside every value."""
    if target is None or drawn:
        return ""
    values = table.loc[table["judged"], "value"].astype(float).dropna()
    if values.empty:
        return ""
    side = "above" if target > values.max() else "below"
    edge = values.max() if side == "above" else values.min()
    return (
        f"Target {target:,.{_digits(target)}f} {unit} is far {side} every month's value "
        f"({'highest' if side == 'above' else 'lowest'} {edge:,.1f} {unit}), so it is not drawn."
    )


def off_scale_note(table: pd.DataFrame, span: YRange, unit: str) -> str:
    """Months left out whose value lies outside the axis (drawn at its edge would mislead)."""
    values = table.loc[~table["judged"], ["label", "value"]].dropna()
    off = values[(values["value"] < span.low) | (values["value"] > span.high)]
    if off.empty:
        return ""
    listed = ", ".join(
        f"{pd.Timestamp(m):%b %Y} {v:,.1f}" for m, v in zip(off["label"], off["value"])
    )
    return f"Left out and off the scale: {listed} {unit}."


def _digits(value: float) -> int:
    return 0 if float(value).is_integer() else 1


def _records(table: pd.DataFrame, improvement: Improvement) -> list[dict[str, object]]:
    classes = point_classes(table, improvement)
    rows = []
    for row, cls in zip(table.to_dict("records"), classes):
        month = row["label"]
        why = (
            row["left_out"]
            if not row["judged"]
            else (", ".join(r.replace("_", " ") for r in RULES if row[r]) or "-")
        )
        rows.append(
            {
                "month": (
                    month if isinstance(month, date) else pd.Timestamp(month).date()
                ).isoformat(),
                "value": None if pd.isna(row["value"]) else float(row["value"]),
                "judged": bool(row["judged"]),
                "class": cls,
                "why": why,
                "mean": _num(row["mean"]),
                "unpl": _num(row["unpl"]),
                "lnpl": _num(row["lnpl"]),
                "moving_range": _num(row["moving_range"]),
                "mr_mean": _num(row["mr_mean"]),
                "mr_upper_limit": _num(row["mr_upper_limit"]),
            }
        )
    return rows


def _num(v: object) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)  # type: ignore[arg-type]


def _x(labels: bool) -> dict[str, object]:
    axis: dict[str, object] = {
        "title": None,
        "format": "%b %Y",
        "labelAngle": -40,
        "tickCount": {"interval": "month", "step": 1},
        "grid": True,
    }
    if not labels:
        axis |= {"labels": False, "ticks": False}
    # padding: the first and last months' points are drawn whole, not cut by the plot's edge
    return {
        "field": "month",
        "type": "temporal",
        "timeUnit": "yearmonth",
        "axis": axis,
        "scale": {"padding": X_PADDING},
    }


def _rule(field: str, colour: str, dash: list[int] | None = None) -> dict[str, object]:
    mark: dict[str, object] = {"type": "line", "color": colour, "strokeWidth": 1.5, "clip": True}
    if dash:
        mark["strokeDash"] = dash
    return {"mark": mark, "encoding": {"y": {"field": field, "type": "quantitative"}}}


def _with_x(layers: list[dict[str, object]], labels: bool) -> list[dict[str, object]]:
    """The month axis on every layer that draws by month (a target rule spans the plot instead)."""
    for layer in layers:
        layer["encoding"] = {"x": _x(labels), **layer["encoding"]}  # type: ignore[dict-item]
    return layers


def xmr_chart(
    table: pd.DataFrame,
    y_title: str,
    improvement: Improvement = None,
    target: float | None = None,
    floor: float | None = None,
    ceiling: float | None = None,
    height: int = 280,
) -> dict[str, object]:
    """A Vega-Lite spec for `st.vega_lite_chart(..., width="stretch")`: the X chart (limits,
    MDC point colours, months left out in grey with the reason in the tooltip, the target when
    it is near the data) above its mR chart, sharing one month axis."""
    records = _records(table, improvement)
    span = y_range(table, target, floor, ceiling)
    y_axis = {"minExtent": Y_AXIS_EXTENT, "maxExtent": Y_AXIS_EXTENT}
    x_chart = {"height": height, "layer": _x_layers(span, y_title, y_axis, target)}
    mr_chart = {"height": max(80, height // MR_HEIGHT_SHARE), "layer": _mr_layers(y_axis)}
    return {
        "data": {"values": records},
        "vconcat": [x_chart, mr_chart],
        "spacing": 6,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "resolve": {"scale": {"x": "shared", "color": "independent"}},
    }


def _judged() -> dict[str, str]:
    return {"filter": "datum.judged"}


def _month_tooltip() -> dict[str, object]:
    return {
        "field": "month",
        "type": "temporal",
        "timeUnit": "yearmonth",
        "title": "month",
        "format": "%b %Y",
    }


def _x_layers(
    span: YRange, y_title: str, y_axis: dict[str, object], target: float | None
) -> list[dict[str, object]]:
    """The X chart: natural process limits, mean, the values' line and MDC-coloured points,
    and the target's rule under them when it is near the data."""
    value_y = {
        "field": "value",
        "type": "quantitative",
        "title": y_title,
        "axis": y_axis,
        "scale": {"domain": [span.low, span.high], "nice": False, "zero": False},
    }
    layers: list[dict[str, object]] = [
        _rule("unpl", "#8c8c8c", [6, 4]),
        _rule("lnpl", "#8c8c8c", [6, 4]),
        _rule("mean", "#333333"),
        {
            "transform": [_judged()],
            "mark": {"type": "line", "color": "#7b7d7d", "clip": True},
            "encoding": {"y": value_y},
        },
        _points_layer(),
    ]
    layers = _with_x(layers, labels=False)
    if span.target_drawn:
        target_rule = {
            "mark": {
                "type": "rule",
                "color": TARGET_COLOUR,
                "strokeDash": [2, 2],
                "strokeWidth": 2,
            },
            "encoding": {"y": {"datum": float(target)}},  # type: ignore[arg-type]
        }
        layers.insert(0, target_rule)
    return layers


def _points_layer() -> dict[str, object]:
    """Each month's point in MDC's colour for its reading, the rules or the reason in its
    tooltip."""
    return {
        "mark": {"type": "circle", "size": 80, "opacity": 1, "clip": True},
        "encoding": {
            "y": {"field": "value", "type": "quantitative"},
            "color": {
                "field": "class",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(POINT_COLOURS), "range": list(POINT_COLOURS.values())},
                "legend": {"orient": "top", "direction": "horizontal"},
            },
            "tooltip": [
                _month_tooltip(),
                {"field": "value", "type": "quantitative", "format": ",.1f"},
                {"field": "class", "title": "reading"},
                {"field": "why", "title": "rules / left out because"},
            ],
        },
    }


def _mr_layers(y_axis: dict[str, object]) -> list[dict[str, object]]:
    """The mR chart: the judged months' moving ranges, their mean and upper limit."""
    moving_range = {
        "transform": [_judged(), {"filter": "isValid(datum.moving_range)"}],
        "mark": {"type": "line", "color": "#7b7d7d", "point": {"color": "#7b7d7d"}},
        "encoding": {
            "y": {
                "field": "moving_range",
                "type": "quantitative",
                "title": "moving range",
                "axis": y_axis,
            },
            "tooltip": [
                _month_tooltip(),
                {"field": "moving_range", "format": ",.1f", "title": "moving range"},
            ],
        },
    }
    return _with_x(
        [moving_range, _rule("mr_mean", "#333333"), _rule("mr_upper_limit", "#8c8c8c", [6, 4])],
        labels=True,
    )


def left_out_note(table: pd.DataFrame) -> str:
    """'Left out: Aug 2025-Oct 2025 (run-in: ...); Oct 2026 (not mature: ...)' grouped by reason."""
    groups: dict[str, list[str]] = {}
    for month, why in zip(table["label"], table["left_out"]):
        if why:
            groups.setdefault(str(why), []).append(f"{pd.Timestamp(month):%b %Y}")
    parts = [
        f"{m[0]}" + (f" to {m[-1]}" if len(m) > 1 else "") + f" ({why})"
        for why, m in groups.items()
    ]
    return ("Months left out of the judgement (grey): " + "; ".join(parts) + ".") if parts else ""


def show(
    table: pd.DataFrame,
    y_title: str,
    unit: str,
    improvement: Improvement = None,
    target: float | None = None,
    target_text: str = "",
    floor: float | None = None,
    ceiling: float | None = None,
    key: str | None = None,
) -> None:
    """Draw the chart with MDC's reading of the latest judged month underneath. target_text says
    what the target is in words (default: 'target 672 hours')."""
    import streamlit as st

    from reporting.spc import judge

    if int(table["judged"].sum()) < 2:
        st.info(
            "Fewer than two months can be judged yet (run-in, incomplete or immature months "
            "are left out): no XmR chart. " + left_out_note(table)
        )
        return
    spec = xmr_chart(table, y_title, improvement, target, floor, ceiling)
    st.vega_lite_chart(spec, width="stretch", key=key)
    verdict = judge(table, improvement, target)
    if target is not None and not target_text:
        target_text = f"target {target:,.{_digits(target)}f} {unit}"
    drawn = y_range(table, target, floor, ceiling).target_drawn
    latest = f"{pd.Timestamp(verdict.latest_label):%b %Y}"
    lines = [
        f"**{latest}: {verdict.variation_text}**"
        + (
            f"; {target_text}: {verdict.assurance_text}"
            if target is not None and verdict.assurance
            else ""
        ),
        f"{'Median' if table['centre_line'].iloc[0] != 'mean' else 'Mean'} {verdict.mean:,.1f} "
        f"{unit}; natural process limits {verdict.lnpl:,.1f} to "
        f"{verdict.unpl:,.1f} {unit} (from the first {int(table['baseline'].sum())} judged months"
        + (
            ", clipped at what the measure can reach"
            if floor is not None or ceiling is not None
            else ""
        )
        + ").",
    ]
    note = target_note(table, target, unit, drawn)
    lines.append(off_scale_note(table, y_range(table, target, floor, ceiling), unit))
    if note:
        lines.append(note)
    elif target is not None:
        lines.append(f"Red dotted line: {target_text}.")
    lines.append(left_out_note(table))
    lines.append(
        "Special cause: a point beyond the limits, 7+ points on one side of the mean, 6+ points "
        "rising or falling, or 2 of 3 points beyond 2 sigma. Blue improvement, orange concern, "
        "purple neither (no better direction), grey common cause."
    )
    st.caption("  \n".join(x for x in lines if x))
