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

import altair as alt
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


def _point_class(row: pd.Series, improvement: Direction) -> str:
    if not row["special_cause"]:
        return "common cause"
    if improvement is None:
        return "special cause"
    high = row["value"] > row["mean"]
    return "improvement" if high == (improvement == "up") else "concern"


def xmr_chart(table: pd.DataFrame, title: str, y_title: str, improvement: Direction = None,
              target: float | None = None, height: int = 260) -> alt.VConcatChart:
    """An Altair X chart (with limits, special-cause colours and an optional target) above its
    mR chart. `table` is the output of `xmr`; labels should be dates or strings."""
    data = table.copy()
    data["class"] = [_point_class(r, improvement) for _, r in data.iterrows()]
    data["rules"] = [", ".join(k for k in ("beyond_limits", "shift", "trend", "two_of_three") if r[k])
                     or "-" for _, r in data.iterrows()]
    x = alt.X("label:T" if np.issubdtype(np.asarray(pd.to_datetime(data["label"], errors="coerce")).dtype,
                                         np.datetime64) else "label:O", title=None)
    base = alt.Chart(data).encode(x=x)
    line = base.mark_line(color="#5b5b5b").encode(y=alt.Y("value:Q", title=y_title,
                                                            scale=alt.Scale(zero=False)))
    points = base.mark_circle(size=70, opacity=1).encode(
        y="value:Q",
        color=alt.Color("class:N", title="variation",
                        scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values()))),
        tooltip=[alt.Tooltip("label", title="period"), alt.Tooltip("value:Q", format=",.1f"),
                 alt.Tooltip("rules:N", title="special-cause rules")])
    mean = base.mark_line(color="#333333").encode(y="mean:Q")
    unpl = base.mark_line(color="#999999", strokeDash=[6, 4]).encode(y="unpl:Q")
    lnpl = base.mark_line(color="#999999", strokeDash=[6, 4]).encode(y="lnpl:Q")
    layers = [line, mean, unpl, lnpl, points]
    if target is not None:
        data["target"] = target
        layers.insert(0, alt.Chart(data).mark_line(color="#d62728", strokeDash=[2, 2]).encode(
            x=x, y="target:Q"))
    x_chart = alt.layer(*layers).properties(title=title, height=height)
    mr_base = alt.Chart(data.dropna(subset=["moving_range"])).encode(x=x)
    mr_chart = alt.layer(
        mr_base.mark_line(color="#5b5b5b", point=True).encode(y=alt.Y("moving_range:Q", title="moving range")),
        mr_base.mark_line(color="#333333").encode(y="mr_mean:Q"),
        mr_base.mark_line(color="#999999", strokeDash=[6, 4]).encode(y="mr_upper_limit:Q"),
    ).properties(height=max(80, height // 3))
    return alt.vconcat(x_chart, mr_chart).resolve_scale(color="independent")
