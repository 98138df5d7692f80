"""A small XmR (individuals and moving range) computation for the board pack's SPC charts.

Making Data Count: centre line = mean of the values; natural process limits = mean +/- 2.66 x
mean moving range (mR = |x_i - x_(i-1)|). Special-cause points marked here:
- `beyond_limits`: a point above the upper or below the lower limit;
- `shift`: a run of 7 or more consecutive points on the same side of the mean (a point on the
  mean breaks the run).
Kept in the exports room on purpose (exports must not import dashboards).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

E2 = 2.66
RUN = 7


@dataclass(frozen=True)
class XmrPoint:
    label: str
    value: float
    moving_range: float | None
    beyond_limits: bool
    shift: bool

    @property
    def special_cause(self) -> bool:
        return self.beyond_limits or self.shift


@dataclass(frozen=True)
class Xmr:
    points: list[XmrPoint]
    mean: float | None
    mr_mean: float | None
    unpl: float | None
    lnpl: float | None

    @property
    def special_cause_labels(self) -> list[str]:
        return [p.label for p in self.points if p.special_cause]


def xmr(labels: Sequence[str], values: Sequence[float]) -> Xmr:
    """XmR of `values` in the given order (missing values must be left out by the caller)."""
    x = [float(v) for v in values]
    n = len(x)
    if n == 0:
        return Xmr([], None, None, None, None)
    mean = sum(x) / n
    mrs = [abs(x[i] - x[i - 1]) for i in range(1, n)]
    mr_mean = sum(mrs) / len(mrs) if mrs else None
    unpl = mean + E2 * mr_mean if mr_mean is not None else None
    lnpl = mean - E2 * mr_mean if mr_mean is not None else None
    beyond = [bool(unpl is not None and mr_mean > 0 and (v > unpl or v < lnpl)) for v in x]
    side = [(v > mean) - (v < mean) for v in x]
    shift = [False] * n
    start = 0
    for i in range(1, n + 1):
        if i == n or side[i] != side[start] or side[i] == 0:
            if side[start] != 0 and i - start >= RUN:
                for j in range(start, i):
                    shift[j] = True
            start = i
    points = [XmrPoint(str(lab), v, (mrs[i - 1] if i else None), beyond[i], shift[i])
              for i, (lab, v) in enumerate(zip(labels, x))]
    return Xmr(points, mean, mr_mean, unpl, lnpl)
