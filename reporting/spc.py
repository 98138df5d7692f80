"""Statistical process control: XmR charts as NHS England's "Making Data Count" (MDC) reads them.

The one implementation the app and the board pack share. The method follows MDC's guidance and
the NHS-R community's reference implementation, NHSRplotthedots (`ptd_spc`); the code is ours.

- X chart: the values in time order, their mean and natural process limits
  mean +/- 2.66 x mean moving range (2.66 = 3 / d2, d2 = 1.128: three sigma).
- mR chart: |x_i - x_(i-1)| between consecutive judged points, its mean, and the upper range
  limit 3.267 x mean moving range.
- Moving ranges above that upper range limit are left out of the mean moving range once it is
  known and the mean recomputed, as `ptd_spc(screen_outliers = TRUE)` does, so one wild month
  does not widen the limits for every other.
- Baseline: the limits come from the first `BASELINE_POINTS` judged points (MDC: at least 12,
  ideally 20) and are then fixed; later points are judged against them (`fix_after_n_points`).
  Months that are not complete or not mature for the measure are left out of the chart's
  judgement altogether (`left_out` gives each one's reason; `reporting.maturity` decides).
- A measure that cannot go below `floor` or above `ceiling` (0 and 100 for a percentage, 0 for
  a count) has its limits clipped there.
- A series pinned at a bound (half or more of the baseline exactly at the floor or ceiling: a
  small trust reporting 100% within target month after month, 0% over 28 days) takes the
  baseline's median, the bound itself, as its centre line, as a run chart does. With the mean,
  one month at 99.6% would put the other eleven "above the mean" and read as a shift; with the
  bound as the centre, months at it break runs and a move away from it is still caught.

Special-cause rules (a point is flagged by every rule it takes part in):
- `beyond_limits`: above the upper or below the lower process limit ("astronomical");
- `shift`: 7 or more consecutive points on the same side of the mean (a point on the mean
  breaks the run);
- `trend`: 6 or more consecutive points each strictly higher (or each strictly lower) than the
  one before;
- `two_of_three`: 2 of 3 consecutive points beyond 2 sigma on the same side of the mean (the
  points beyond are flagged).

Variation of the latest point and assurance against a target give MDC's icons: variation
`common_cause`, `improvement_high|low`, `concern_high|low`, `neutral_high|low`; assurance
`pass` (the limits are all on the good side of the target), `fail` (all on the bad side),
`inconsistent` (the target lies between them: hit and miss).
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
SHIFT_LENGTH = 7
TREND_LENGTH = 6
BASELINE_POINTS = 12
RULES = ("beyond_limits", "shift", "trend", "two_of_three")

Improvement = Literal["up", "down"] | None

VARIATION_TEXT = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause: improvement (higher)",
    "improvement_low": "Special cause: improvement (lower)",
    "concern_high": "Special cause: concern (higher)",
    "concern_low": "Special cause: concern (lower)",
    "neutral_high": "Special cause: higher (neither better nor worse)",
    "neutral_low": "Special cause: lower (neither better nor worse)",
    "not_enough_data": "Not enough mature months to judge",
}
AT_BOUND_SHARE = 0.5  # a baseline this much at the floor or ceiling is centred on its median
ASSURANCE_TEXT = {
    "pass": "Consistently passes the target",
    "fail": "Consistently fails the target",
    "inconsistent": "Hit and miss: the target lies within the process limits",
}
# MDC's colours: grey common cause, blue improvement, orange concern, purple neither.
POINT_COLOURS = {
    "common cause": "#7b7d7d",
    "improvement": "#289de0",
    "concern": "#fab428",
    "neutral": "#361475",
    "left out": "#c8c8c8",
}


@dataclass(frozen=True)
class Judgement:
    """MDC's reading of a chart: limits, the latest judged point's variation, assurance."""

    mean: float
    unpl: float
    lnpl: float
    mr_mean: float
    variation: str  # a key of VARIATION_TEXT
    assurance: str | None  # a key of ASSURANCE_TEXT, or None without a target
    latest_label: object = None
    latest_value: float | None = None

    @property
    def variation_text(self) -> str:
        return VARIATION_TEXT[self.variation]

    @property
    def assurance_text(self) -> str:
        return ASSURANCE_TEXT[self.assurance] if self.assurance else "No target"


def _same_side_runs(values: np.ndarray, mean: float, length: int) -> np.ndarray:
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
    if len(values) < length:
        return flags
    step = np.sign(np.diff(values))  # step[i] compares values[i+1] with values[i]
    start = 0
    for i in range(1, len(step) + 1):
        if i == len(step) or step[i] != step[start] or step[i] == 0:
            if step[start] != 0 and (i - start) + 1 >= length:
                flags[start : i + 1] = True
            start = i
    return flags


def _two_of_three(values: np.ndarray, upper: float, lower: float) -> np.ndarray:
    flags = np.zeros(len(values), dtype=bool)
    for beyond in (values > upper, values < lower):
        for i in range(len(values) - 2):
            window = beyond[i : i + 3]
            if window.sum() >= 2:
                flags[i : i + 3] |= window
    return flags


def screened_mr_mean(moving_ranges: np.ndarray) -> float:
    """Mean moving range with the ranges above its upper range limit left out once."""
    if len(moving_ranges) == 0:
        return float("nan")
    first = float(moving_ranges.mean())
    kept = moving_ranges[moving_ranges <= D4 * first]
    screened = float(kept.mean()) if len(kept) else first
    return screened if screened > 0 else first  # a flat run with one step keeps that step


def _clip(value: float, floor: float | None, ceiling: float | None) -> float:
    if floor is not None:
        value = max(value, floor)
    if ceiling is not None:
        value = min(value, ceiling)
    return value


@dataclass(frozen=True)
class _Limits:
    """The centre line and limits of judged values x, from their first `base_n` (the baseline)."""

    base_n: int
    pinned: bool  # most of the baseline at a floor or ceiling: the centre line is the median
    mean: float
    moving_ranges: np.ndarray
    mr_mean: float
    unpl: float
    lnpl: float
    upper_2_sigma: float
    lower_2_sigma: float

    @classmethod
    def of(
        cls, x: np.ndarray, floor: float | None, ceiling: float | None, baseline_points: int
    ) -> _Limits:
        n = len(x)
        mr = np.abs(np.diff(x)) if n >= 2 else np.array([])
        base_n = min(n, baseline_points)
        bounds = [b for b in (floor, ceiling) if b is not None]
        pinned = bool(base_n) and np.isin(x[:base_n], bounds).sum() >= AT_BOUND_SHARE * base_n
        centre = np.median if pinned else np.mean
        mean = float(centre(x[:base_n])) if n else float("nan")
        mr_mean = screened_mr_mean(mr[: max(base_n - 1, 0)])
        sigma = mr_mean / D2
        return cls(
            base_n, pinned, mean, mr, mr_mean, mean + E2 * mr_mean, mean - E2 * mr_mean,
            mean + 2 * sigma, mean - 2 * sigma,
        )  # fmt: skip


def xmr(
    values: Sequence[float | None],
    labels: Sequence[object] | None = None,
    left_out: Sequence[str | None] | None = None,
    *,
    floor: float | None = None,
    ceiling: float | None = None,
    baseline_points: int = BASELINE_POINTS,
) -> pd.DataFrame:
    """One row per value in the given order: the XmR table with MDC's special-cause flags.

    left_out: per value, None when the value may be judged, else why not (an immature month,
    the feed's run-in); missing values (None/NaN, e.g. suppressed) are left out as "no value".
    Columns: label, value, left_out, judged, baseline, moving_range, mean, unpl, lnpl,
    upper_2_sigma, lower_2_sigma, mr_mean, mr_upper_limit, centre_line ("mean", or "median" for
    a series pinned at a bound; `mean` then holds the median), the four rules, special_cause, side."""
    frame = _series(values, labels, left_out)
    judged = frame["judged"].to_numpy()
    x = frame.loc[judged, "value"].to_numpy(dtype=float)
    n = len(x)
    lim = _Limits.of(x, floor, ceiling, baseline_points)
    baseline = np.zeros(len(frame), dtype=bool)
    baseline[np.flatnonzero(judged)[: lim.base_n]] = True
    frame["baseline"] = baseline
    frame["moving_range"] = np.nan
    frame.loc[np.flatnonzero(judged)[1:], "moving_range"] = lim.moving_ranges
    frame["mean"] = lim.mean
    frame["centre_line"] = "median (pinned at a bound)" if lim.pinned else "mean"
    for column in ("unpl", "lnpl", "upper_2_sigma", "lower_2_sigma"):
        frame[column] = _clip(getattr(lim, column), floor, ceiling) if n >= 2 else np.nan
    frame["mr_mean"] = lim.mr_mean
    frame["mr_upper_limit"] = D4 * lim.mr_mean
    flags = _rule_flags(x, lim)
    for rule in RULES:
        column = np.zeros(len(frame), dtype=bool)
        column[judged] = flags[rule]
        frame[rule] = column
    frame["special_cause"] = frame[list(RULES)].any(axis=1)
    value = frame["value"].to_numpy(dtype=float)
    frame["side"] = np.where(
        ~judged,
        None,
        np.where(value > lim.mean, "high", np.where(value < lim.mean, "low", "on mean")),
    )
    return frame


def _series(
    values: Sequence[float | None],
    labels: Sequence[object] | None,
    left_out: Sequence[str | None] | None,
) -> pd.DataFrame:
    """label, value, left_out (why not judged; missing values "no value") and judged."""
    labels = list(labels) if labels is not None else list(range(len(values)))
    frame = pd.DataFrame(
        {
            "label": labels,
            "value": pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce"),
        }
    )
    reasons = list(left_out) if left_out is not None else [None] * len(frame)
    frame["left_out"] = pd.Series(
        [
            r or ("no value" if np.isnan(v) else None)
            for r, v in zip(reasons, frame["value"].astype(float))
        ],
        dtype="object",
    )
    frame["judged"] = frame["left_out"].isna().to_numpy()
    return frame


def _rule_flags(x: np.ndarray, lim: _Limits) -> dict[str, np.ndarray]:
    """MDC's four rules on the judged values (the limit rules only with a spread to judge by)."""
    n = len(x)
    flags = {rule: np.zeros(n, dtype=bool) for rule in RULES}
    if n >= 2 and lim.mr_mean > 0:
        flags["beyond_limits"] = (x > lim.unpl) | (x < lim.lnpl)
        flags["two_of_three"] = _two_of_three(x, lim.upper_2_sigma, lim.lower_2_sigma)
    if n:
        flags["shift"] = _same_side_runs(x, lim.mean, SHIFT_LENGTH)
        flags["trend"] = _trends(x, TREND_LENGTH)
    return flags


def point_class(special: bool, high: bool, improvement: Improvement) -> str:
    """'common cause', 'improvement', 'concern' or 'neutral' for one point."""
    if not special:
        return "common cause"
    if improvement is None:
        return "neutral"
    return "improvement" if high == (improvement == "up") else "concern"


def point_classes(table: pd.DataFrame, improvement: Improvement) -> list[str]:
    """Each row's class for colouring; rows left out are 'left out'."""
    return [
        ("left out" if not judged else point_class(bool(special), side == "high", improvement))
        for judged, special, side in zip(table["judged"], table["special_cause"], table["side"])
    ]


def judge(
    table: pd.DataFrame, improvement: Improvement = None, target: float | None = None
) -> Judgement:
    """MDC's variation of the latest judged point and assurance of the limits against a target."""
    points = table[table["judged"]]
    if len(points) < 2 or np.isnan(float(points["unpl"].iloc[0])):
        nan = float("nan")
        last = points.iloc[-1] if len(points) else None
        return Judgement(
            nan,
            nan,
            nan,
            nan,
            "not_enough_data",
            None,
            None if last is None else last["label"],
            None if last is None else float(last["value"]),
        )
    last, before = points.iloc[-1], points.iloc[-2]
    if not bool(last["special_cause"]):
        variation = "common_cause"
    else:
        rising_trend = bool(last["trend"]) and last["value"] > before["value"]
        high = rising_trend if bool(last["trend"]) else last["value"] > last["mean"]
        kind = point_class(True, high, improvement)
        variation = f"{kind}_{'high' if high else 'low'}"
    lo, hi = float(last["lnpl"]), float(last["unpl"])
    assurance = None
    if target is not None and improvement is not None:
        good_above = improvement == "up"
        if (lo > target) if good_above else (hi < target):
            assurance = "pass"
        elif (hi < target) if good_above else (lo > target):
            assurance = "fail"
        else:
            assurance = "inconsistent"
    return Judgement(
        float(last["mean"]),
        hi,
        lo,
        float(last["mr_mean"]),
        variation,
        assurance,
        last["label"],
        float(last["value"]),
    )


def flagged_labels(table: pd.DataFrame) -> list[object]:
    """Labels of the judged points flagged by any special-cause rule."""
    return table.loc[table["special_cause"], "label"].tolist()


def false_alarm_rate(
    points: int, charts: int = 4000, seed: int = 0, baseline_points: int = BASELINE_POINTS
) -> float:
    """Share of points these rules flag in a stable process (independent normal values).

    Estimated by simulation, so a test can hold a stable network's flags to what chance allows."""
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(charts):
        table = xmr(rng.normal(100.0, 10.0, points), baseline_points=baseline_points)
        flagged += int(table["special_cause"].sum())
    return flagged / (charts * points)
