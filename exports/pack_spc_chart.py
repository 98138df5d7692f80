"""An XmR chart drawn into the PDF: the X chart with the moving-range (mR) chart under it on the
same monthly x positions, and the months left out of the judgement listed under both.

The y scale is set by the judged points and their limits (already clipped to the measure's
bounds by `reporting.spc.xmr`). A target is drawn as a line only when it lies within a third of
the data's span of the scale; otherwise it is printed as text, so a far-off target never
squashes the data. Left-out months (run-in, incomplete, immature) are hollow grey points, and
one that falls off the scale is drawn at the edge with an arrow.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from exports.pack_icons import rgb
from reporting.spc import POINT_COLOURS, point_classes

GREY = (110, 110, 110)
LIGHT = (200, 200, 200)
TARGET = (180, 0, 0)
TARGET_REACH = 1 / 3  # a target further than this share of the data's span is printed, not drawn


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo or abs(hi) or 1.0
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if raw <= m * step)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def left_out_text(months: list[tuple[date, str]]) -> str:
    """'Aug 2025-Oct 2025: run-in ...; Oct 2026: not mature ...' (runs of one reason merged)."""
    groups: list[list] = []
    for month, reason in months:
        if groups and groups[-1][2] == reason:
            groups[-1][1] = month
        else:
            groups.append([month, month, reason])
    parts = [(f"{a:%b %Y}" if a == b else f"{a:%b %Y}-{b:%b %Y}") + f": {r}" for a, b, r in groups]
    return "; ".join(parts)


@dataclass(frozen=True)
class _Plot:
    """A plot's area on the page (mm) and its value scale: lo at the bottom, hi at the top."""

    left: float
    right: float
    top: float
    bottom: float
    lo: float
    hi: float

    def y(self, v: float) -> float:
        return self.bottom - (self.bottom - self.top) * (v - self.lo) / (self.hi - self.lo)


def draw_xmr(
    pdf: FPDF, chart, x0: float, y0: float, w: float, h: float, fmt: Callable[[float], str]
) -> None:
    """Draw `chart` (an `exports.pack_data.Chart`) in the box (x0, y0, w, h)."""
    table, measure = chart.table, chart.measure
    judged = table[table["judged"]]
    left, right = x0 + 16, x0 + w - 17
    x_top, x_bottom = y0, y0 + h * 0.58
    r_top, r_bottom = x_bottom + 12, y0 + h * 0.88
    n = len(table)
    if len(judged) < 2:
        pdf.set_font("Helvetica", "I", 8)
        pdf.set_xy(left, y0 + 10)
        pdf.cell(right - left, 5, "Not enough mature months for an XmR chart.")
        _note(pdf, chart, x0, r_bottom + 6, w, fmt, None)
        return

    def X(i: int) -> float:
        return left + 4 + (right - left - 8) * (i / (n - 1) if n > 1 else 0.5)

    first = judged.iloc[0]
    lo, hi, target_drawn = _x_scale(judged, first, measure)
    plot = _Plot(left, right, x_top, x_bottom, lo, hi)
    _axes(pdf, plot, fmt)
    _months(pdf, table["label"].tolist(), X, x_bottom)
    _baseline_mark(pdf, table, X, plot)
    mean, unpl, lnpl = float(first["mean"]), float(first["unpl"]), float(first["lnpl"])
    centre = "median" if first["centre_line"] != "mean" else "mean"  # a series pinned at a bound
    _hline(pdf, plot, plot.y(mean), GREY, False, f"{centre} {fmt(mean)}")
    _hline(pdf, plot, plot.y(unpl), GREY, True, f"upper {fmt(unpl)}")
    _hline(pdf, plot, plot.y(lnpl), GREY, True, f"lower {fmt(lnpl)}")
    if target_drawn:
        _hline(pdf, plot, plot.y(measure.target), TARGET, True, f"target {fmt(measure.target)}")
    _series(pdf, table, X, plot, measure.improvement)
    _mr_chart(pdf, table, first, X, (left, right, r_top, r_bottom), fmt)
    _note(pdf, chart, x0, r_bottom + 2.5, w, fmt, None if target_drawn else measure.target)


def _x_scale(judged, first, measure) -> tuple[float, float, bool]:
    """The X chart's value range: the judged values and the limits, padded; the target only
    when it is near them. Returns (lo, hi, target drawn)."""
    mean, unpl, lnpl = float(first["mean"]), float(first["unpl"]), float(first["lnpl"])
    core = [float(v) for v in judged["value"]] + [mean, unpl, lnpl]
    lo, hi = min(core), max(core)
    span = hi - lo or abs(hi) * 0.1 or 1.0
    target_drawn = False
    if (
        measure.target is not None
        and lo - span * TARGET_REACH <= measure.target <= hi + span * TARGET_REACH
    ):
        lo, hi = min(lo, measure.target), max(hi, measure.target)
        target_drawn = True
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    if measure.floor is not None:
        lo = max(lo, measure.floor - pad * 0.5)
    return lo, hi, target_drawn


def _baseline_mark(pdf: FPDF, table, X, plot: _Plot) -> None:
    """Where the limits were fixed: a light line after the baseline's months, when months
    were judged after it."""
    baseline = [i for i, b in enumerate(table["baseline"]) if b]
    if not (baseline and table["judged"].iloc[baseline[-1] + 1 :].any()):
        return
    bx = (X(baseline[-1]) + X(baseline[-1] + 1)) / 2
    pdf.set_draw_color(*LIGHT)
    pdf.set_dash_pattern(dash=0.6, gap=0.8)
    pdf.line(bx, plot.top, bx, plot.bottom)
    pdf.set_dash_pattern()
    pdf.set_font("Helvetica", "", 5.5)
    pdf.set_text_color(*GREY)
    pdf.set_xy(bx - 20, plot.top)
    pdf.cell(19.5, 2.5, f"baseline ({len(baseline)} months)", align="R")


def _mr_chart(pdf: FPDF, table, first, X, area: tuple[float, float, float, float], fmt) -> None:
    """The moving ranges on the same x positions, with their mean and upper limit; a range
    beyond the limit in the concern colour."""
    mr = table["moving_range"]
    mr_mean, mr_limit = float(first["mr_mean"]), float(first["mr_upper_limit"])
    top = max([mr_limit] + [float(v) for v in mr.dropna()]) * 1.1 or 1.0
    plot = _Plot(*area, 0, top)
    pdf.set_font("Helvetica", "B", 6.5)
    pdf.set_xy(plot.left, plot.top - 4.5)
    pdf.cell(60, 3, "Moving range (month-to-month change)")
    _axes(pdf, plot, fmt, ticks=3)
    _hline(pdf, plot, plot.y(mr_mean), GREY, False, f"mean {fmt(mr_mean)}")
    _hline(pdf, plot, plot.y(mr_limit), GREY, True, f"limit {fmt(mr_limit)}")
    points = [
        (X(i), plot.y(float(v)), float(v) > mr_limit) for i, v in enumerate(mr) if not math.isnan(v)
    ]
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.25)
    for (xa, ya, _), (xb, yb, _) in itertools.pairwise(points):
        pdf.line(xa, ya, xb, yb)
    for x, y, beyond in points:
        colour = rgb(POINT_COLOURS["concern" if beyond else "common cause"])
        pdf.set_fill_color(*colour)
        pdf.circle(x, y, 0.7, style="F")


def _axes(pdf: FPDF, plot: _Plot, fmt, ticks: int = 5) -> None:
    pdf.set_line_width(0.15)
    pdf.set_font("Helvetica", "", 5.5)
    for t in nice_ticks(plot.lo, plot.hi, ticks):
        pdf.set_draw_color(235, 235, 235)
        pdf.line(plot.left, plot.y(t), plot.right, plot.y(t))
        pdf.set_text_color(*GREY)
        pdf.set_xy(plot.left - 15.5, plot.y(t) - 1.5)
        pdf.cell(15, 3, fmt(t), align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.line(plot.left, plot.top, plot.left, plot.bottom)
    pdf.line(plot.left, plot.bottom, plot.right, plot.bottom)


def _months(pdf, months: list[date], X, bottom: float) -> None:
    pdf.set_font("Helvetica", "", 5.5)
    pdf.set_text_color(*GREY)
    for i, m in enumerate(months):
        pdf.set_draw_color(0, 0, 0)
        pdf.line(X(i), bottom, X(i), bottom + 0.8)
        pdf.set_xy(X(i) - 4, bottom + 0.8)
        pdf.cell(8, 2.4, f"{m:%b}", align="C")
        if i == 0 or m.month == 1:
            pdf.set_xy(X(i) - 4, bottom + 3)
            pdf.cell(8, 2.4, f"{m:%Y}", align="C")
    pdf.set_text_color(0, 0, 0)


def _hline(pdf: FPDF, plot: _Plot, y: float, colour, dashed: bool, label: str) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_line_width(0.25)
    if dashed:
        pdf.set_dash_pattern(dash=1.2, gap=0.9)
    pdf.line(plot.left, y, plot.right, y)
    pdf.set_dash_pattern()
    pdf.set_font("Helvetica", "", 5.5)
    pdf.set_text_color(*colour)
    pdf.set_xy(plot.right + 0.5, y - 1.4)
    pdf.cell(17, 2.8, label)
    pdf.set_text_color(0, 0, 0)
    pdf.set_line_width(0.2)


def _series(pdf: FPDF, table, X, plot: _Plot, improvement) -> None:
    Y, lo, hi = plot.y, plot.lo, plot.hi
    classes = point_classes(table, improvement)
    values = [float(v) for v in table["value"]]
    judged = table["judged"].tolist()
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.3)
    idx = [i for i, j in enumerate(judged) if j]
    for a, b in itertools.pairwise(idx):
        pdf.line(X(a), Y(values[a]), X(b), Y(values[b]))
    for i, (v, cls) in enumerate(zip(values, classes)):
        if math.isnan(v):
            continue
        colour = rgb(POINT_COLOURS[cls])
        if cls == "left out":
            shown = min(max(v, lo), hi)
            pdf.set_draw_color(*GREY)
            pdf.set_line_width(0.25)
            if shown != v:  # off the scale: an arrow at the edge, pointing the way it went
                y, d = Y(shown), (1.4 if v < lo else -1.4)
                pdf.set_fill_color(*GREY)
                pdf.polygon([(X(i) - 0.9, y - d), (X(i) + 0.9, y - d), (X(i), y)], style="F")
            else:
                pdf.set_fill_color(255, 255, 255)
                pdf.circle(X(i), Y(v), 0.9, style="DF")
            continue
        pdf.set_fill_color(*colour)
        pdf.set_draw_color(*colour)
        pdf.circle(X(i), Y(v), 1.0 if cls == "common cause" else 1.2, style="F")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)


def _note(pdf, chart, x0: float, y: float, w: float, fmt, target_as_text: float | None) -> None:
    pdf.set_font("Helvetica", "", 6.5)
    pdf.set_xy(x0, y)
    text = ""
    if target_as_text is not None:
        text += (
            f"Target {fmt(target_as_text)} ({chart.measure.target_label or 'target'}) is far "
            "from the data: not drawn. "
        )
    left_out = chart.left_out()
    text += (
        "Left out of the limits and the judgement: " + left_out_text(left_out) + "."
        if left_out
        else "No month left out."
    )
    pdf.multi_cell(w, 3, text.encode("latin-1", "replace").decode("latin-1"))
