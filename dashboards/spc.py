"""Statistical process control: XmR charts as NHS England's "Making Data Count" draws them.

X (individuals) chart: the values in time order, their mean, and natural process limits
mean +/- 2.66 x mean moving range (2.66 = 3 / d2 with d2 = 1.128, so the limits are 3 sigma).
mR chart: |x_i - x_(i-1)| with its mean and upper range limit 3.267 x mean moving range.

Special-cause rules (each point is flagged by every rule it takes part in):
- `beyond_limits`: a point above the upper or below the lower natural process limit;
- `shift`: a run of 7 or more consecutive points on the same side of the mean (a point on the
  mean breaks the run);
- `trend`: 6 or more consecutive points each strictly higher (or each strictly lower) than the
  one before (an equal value breaks the trend);
- `two_of_three`: 2 of 3 consecutive points beyond 2 sigma (mean +/- 2/3 x 2.66 x mR-bar) on the
  same side of the mean; the points beyond are flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

E2 = 2.66  # 3 / 1.128
D4 = 3.267  # upper range limit factor for moving ranges of two
D2 = 1.128
RUN_LENGTH = 7
TREND_LENGTH = 6

Direction = Literal["up", "down"] | None


@dataclass(frozen=True)
class XmrSummary:
    mean: float
    mr_mean: float
    unpl: float
    lnpl: float
    variation: str  # "common cause", "special cause - improvement", "special cause - concern", ...
    assurance: str | None  # for a target: "consistently passes", "consistently fails", "hit and miss"


def _runs(values: np.ndarray, mean: float, length: int) -> np.ndarray:
    flags = np.zeros(len(values), dtype=bool)
    side = np.sign(values - mean)
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or side[i] != side[start] or side[i] == 0:
            if side[start] != 0 and i - start >= length:
                flags[start:i] = True
            start = i
    return flags


def _trends(values: np.ndarray, length: int) -> np.ndarray:
    flags = np.zeros(len(values), dtype=bool)
    n = len(values)
    if n < length:
        return flags
    step = np.sign(np.diff(values))  # step[i] compares values[i+1] with values[i]
    start = 0  # first step index of the current monotone stretch
    for i in range(1, len(step) + 1):
        if i == len(step) or step[i] != step[start] or step[i] == 0:
            if step[start] != 0 and (i - start) + 1 >= length:
                flags[start:i + 1] = True
            start = i
    return flags


def _two_of_three(values: np.ndarray, mean: float, sigma: float) -> np.ndarray:
    flags = np.zeros(len(values), dtype=bool)
    high = values > mean + 2 * sigma
    low = values < mean - 2 * sigma
    for i in range(len(values) - 2):
        for beyond in (high, low):
            window = beyond[i:i + 3]
            if window.sum() >= 2:
                flags[i:i + 3] |= window
    return flags


def xmr(values: Sequence[float], labels: Sequence[object] | None = None) -> pd.DataFrame:
    """XmR table: one row per value with mean, limits, moving range and special-cause flags.

    Missing values (None/NaN, e.g. suppressed) are dropped first."""
    labels = list(labels) if labels is not None else list(range(len(values)))
    frame = pd.DataFrame({"label": labels, "value": pd.to_numeric(pd.Series(list(values)), errors="coerce")})
    frame = frame.dropna(subset=["value"]).reset_index(drop=True)
    x = frame["value"].to_numpy(dtype=float)
    n = len(x)
    mr = np.abs(np.diff(x)) if n >= 2 else np.array([])
    mean = float(x.mean()) if n else float("nan")
    mr_mean = float(mr.mean()) if len(mr) else float("nan")
    sigma = mr_mean / D2 if len(mr) else float("nan")
    frame["moving_range"] = np.concatenate([[np.nan], mr]) if n else []
    frame["mean"] = mean
    frame["unpl"] = mean + E2 * mr_mean
    frame["lnpl"] = mean - E2 * mr_mean
    frame["upper_2_sigma"] = mean + 2 * sigma
    frame["lower_2_sigma"] = mean - 2 * sigma
    frame["mr_mean"] = mr_mean
    frame["mr_upper_limit"] = D4 * mr_mean
    if n >= 2 and mr_mean > 0:
        frame["beyond_limits"] = (x > mean + E2 * mr_mean) | (x < mean - E2 * mr_mean)
        frame["two_of_three"] = _two_of_three(x, mean, sigma)
    else:
        frame["beyond_limits"] = False
        frame["two_of_three"] = False
    frame["shift"] = _runs(x, mean, RUN_LENGTH) if n else []
    frame["trend"] = _trends(x, TREND_LENGTH) if n else []
    rules = ["beyond_limits", "shift", "trend", "two_of_three"]
    frame["special_cause"] = frame[rules].any(axis=1) if n else []
    frame["side"] = np.where(x > mean, "high", np.where(x < mean, "low", "on mean")) if n else []
    return frame


def summarise(table: pd.DataFrame, improvement: Direction = None,
              target: float | None = None) -> XmrSummary:
    """Making Data Count variation and assurance for the latest point of an `xmr` table."""
    if table.empty:
        nan = float("nan")
        return XmrSummary(nan, nan, nan, nan, "not enough data", None)
    first = table.iloc[0]
    last = table.iloc[-1]
    if not bool(last["special_cause"]):
        variation = "common cause"
    else:
        if bool(last["trend"]) and len(table) >= 2:
            high = last["value"] > table.iloc[-2]["value"]
        else:
            high = last["value"] > last["mean"]
        if improvement is None:
            variation = f"special cause - {'higher' if high else 'lower'}"
        else:
            good = high == (improvement == "up")
            variation = f"special cause - {'improvement' if good else 'concern'}"
    assurance = None
    if target is not None and improvement is not None and not np.isnan(first["unpl"]):
        lo, hi = float(first["lnpl"]), float(first["unpl"])
        if improvement == "up":
            assurance = ("consistently passes" if lo > target else
                         "consistently fails" if hi < target else "hit and miss")
        else:
            assurance = ("consistently passes" if hi < target else
                         "consistently fails" if lo > target else "hit and miss")
    return XmrSummary(float(first["mean"]), float(first["mr_mean"]), float(first["unpl"]),
                      float(first["lnpl"]), variation, assurance)


_COLOURS = {"common cause": "#7f7f7f", "improvement": "#2b8cbe", "concern": "#f28e2b",
            "special cause": "#8e44ad"}
_RULES = ("beyond_limits", "shift", "trend", "two_of_three")


def _point_classes(table: pd.DataFrame, improvement: Direction) -> list[str]:
    classes = []
    for special, value, mean in zip(table["special_cause"], table["value"], table["mean"]):
        if not special:
            classes.append("common cause")
        elif improvement is None:
            classes.append("special cause")
        else:
            classes.append("improvement" if (value > mean) == (improvement == "up") else "concern")
    return classes


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: timestamps as ISO text, NaN as null."""
    def plain(v: object) -> object:
        if isinstance(v, pd.Timestamp):
            return v.isoformat()
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _line(field: str, colour: str, dash: list[int] | None = None, **y: object) -> dict[str, object]:
    mark: dict[str, object] = {"type": "line", "color": colour}
    if dash:
        mark["strokeDash"] = dash
    return {"mark": mark, "encoding": {"y": {"field": field, "type": "quantitative", **y}}}


def xmr_chart(table: pd.DataFrame, title: str, y_title: str, improvement: Direction = None,
              target: float | None = None, height: int = 260) -> dict[str, object]:
    """A Vega-Lite spec (for `st.vega_lite_chart`): the X chart (limits, special-cause colours,
    an optional target) above its mR chart. `table` is the output of `xmr`; labels should be
    dates or strings. Written as a plain spec, not with Altair: building this layered chart
    with Altair costs a few hundred ms per page run, the dict almost nothing."""
    data = table[["label", "value", "mean", "unpl", "lnpl", "moving_range", "mr_mean",
                  "mr_upper_limit"]].copy()
    data["class"] = _point_classes(table, improvement)
    data["rules"] = [", ".join(k for k, on in zip(_RULES, flags) if on) or "-"
                     for flags in zip(*(table[k] for k in _RULES))]
    temporal = pd.api.types.is_datetime64_any_dtype(pd.to_datetime(data["label"], errors="coerce"))
    x = {"x": {"field": "label", "type": "temporal" if temporal else "ordinal", "title": None}}
    layers = [
        _line("value", "#5b5b5b", title=y_title, scale={"zero": False}),
        _line("mean", "#333333"),
        _line("unpl", "#999999", [6, 4]),
        _line("lnpl", "#999999", [6, 4]),
        {"mark": {"type": "circle", "size": 70, "opacity": 1},
         "encoding": {"y": {"field": "value", "type": "quantitative"},
                      "color": {"field": "class", "type": "nominal", "title": "variation",
                                "scale": {"domain": list(_COLOURS), "range": list(_COLOURS.values())}},
                      "tooltip": [{"field": "label", "type": x["x"]["type"], "title": "period"},
                                  {"field": "value", "type": "quantitative", "format": ",.1f"},
                                  {"field": "rules", "type": "nominal", "title": "special-cause rules"}]}},
    ]
    if target is not None:
        data["target"] = target
        layers.insert(0, _line("target", "#d62728", [2, 2]))
    records = _records(data)
    x_chart = {"title": title, "height": height, "data": {"values": records}, "encoding": x,
               "layer": layers}
    mr_chart = {"height": max(80, height // 3), "encoding": x,
                "data": {"values": [r for r in records if r["moving_range"] is not None]},
                "layer": [{"mark": {"type": "line", "color": "#5b5b5b", "point": True},
                           "encoding": {"y": {"field": "moving_range", "type": "quantitative",
                                              "title": "moving range"}}},
                          _line("mr_mean", "#333333"),
                          _line("mr_upper_limit", "#999999", [6, 4])]}
    return {"vconcat": [x_chart, mr_chart], "resolve": {"scale": {"color": "independent"}}}
