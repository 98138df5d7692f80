"""Making Data Count's variation and assurance icons, drawn as small PDF shapes (no image files).

Variation: grey with a flat wave = common cause; blue = special cause improvement, orange =
concern, purple = neither better nor worse, each with H (higher) or L (lower) and an arrow;
an outlined circle with a dash = not enough mature months to judge.
Assurance: blue P = consistently passes the target, orange F = consistently fails, grey ? =
hit and miss (the target lies between the process limits).
Colours are `reporting.spc.POINT_COLOURS`, the same as the charts' points.
"""

from __future__ import annotations

import math

from fpdf import FPDF

from reporting.spc import ASSURANCE_TEXT, POINT_COLOURS, VARIATION_TEXT

WHITE = (255, 255, 255)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


VARIATION_COLOURS = {
    "common": rgb(POINT_COLOURS["common cause"]),
    "improvement": rgb(POINT_COLOURS["improvement"]),
    "concern": rgb(POINT_COLOURS["concern"]),
    "neutral": rgb(POINT_COLOURS["neutral"]),
}
ASSURANCE_COLOURS = {
    "pass": rgb(POINT_COLOURS["improvement"]),
    "fail": rgb(POINT_COLOURS["concern"]),
    "inconsistent": rgb(POINT_COLOURS["common cause"]),
}
ASSURANCE_LETTERS = {"pass": "P", "fail": "F", "inconsistent": "?"}


def _letter(pdf: FPDF, x: float, y: float, r: float, text: str, colour=WHITE) -> None:
    pdf.set_font("Helvetica", "B", r * 4.2)
    pdf.set_text_color(*colour)
    pdf.set_xy(x - r, y - r * 0.62)
    pdf.cell(2 * r, r * 1.24, text, align="C")
    pdf.set_text_color(0, 0, 0)


def _disc(pdf: FPDF, x: float, y: float, r: float, colour: tuple[int, int, int]) -> None:
    pdf.set_fill_color(*colour)
    pdf.set_draw_color(*colour)
    pdf.circle(x, y, r, style="F")


def variation_icon(pdf: FPDF, x: float, y: float, r: float, key: str) -> None:
    """The variation icon of `key` (a `VARIATION_TEXT` key) centred on (x, y)."""
    pdf.set_line_width(max(0.15, r * 0.12))
    if key == "not_enough_data":
        pdf.set_draw_color(*VARIATION_COLOURS["common"])
        pdf.circle(x, y, r, style="D")
        pdf.line(x - r * 0.4, y, x + r * 0.4, y)
        pdf.set_line_width(0.2)
        return
    kind, _, side = key.partition("_")
    _disc(pdf, x, y, r, VARIATION_COLOURS[kind])
    pdf.set_draw_color(*WHITE)
    if kind == "common":  # a flat wave: values moving by chance around a level
        points = [
            (x - r * 0.6 + i * r * 0.06, y + r * 0.18 * math.sin(i * math.pi / 5))
            for i in range(21)
        ]
        pdf.polyline(points)
    else:
        _letter(pdf, x - r * 0.22, y, r * 0.75, "H" if side == "high" else "L")
        tip, base = (y - r * 0.55, y + r * 0.05) if side == "high" else (y + r * 0.55, y - r * 0.05)
        ax = x + r * 0.5
        pdf.set_fill_color(*WHITE)
        pdf.polygon([(ax - r * 0.2, base), (ax + r * 0.2, base), (ax, tip)], style="F")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)


def assurance_icon(pdf: FPDF, x: float, y: float, r: float, key: str | None) -> None:
    """The assurance icon (pass/fail/hit and miss) centred on (x, y); nothing without a target."""
    if key is None:
        return
    _disc(pdf, x, y, r, ASSURANCE_COLOURS[key])
    _letter(pdf, x, y, r, ASSURANCE_LETTERS[key])
    pdf.set_draw_color(0, 0, 0)


def legend(pdf: FPDF, x: float, y: float, width: float, with_assurance: bool = True) -> float:
    """A key to the icons in rows from (x, y); returns the y below it."""
    r, size = 2.2, 7
    items: list[tuple[str, str | None, str]] = [
        ("v", "common_cause", VARIATION_TEXT["common_cause"]),
        ("v", "improvement_high", "Special cause improvement (H higher / L lower)"),
        ("v", "concern_low", "Special cause concern (H / L)"),
        ("v", "neutral_high", "Special cause, neither better nor worse"),
        ("v", "not_enough_data", VARIATION_TEXT["not_enough_data"]),
    ]
    if with_assurance:
        items += [("a", k, ASSURANCE_TEXT[k]) for k in ("pass", "fail", "inconsistent")]
    column = width / 3
    for i, (kind, key, text) in enumerate(items):
        cx, cy = x + (i % 3) * column, y + (i // 3) * (2 * r + 2)
        (variation_icon if kind == "v" else assurance_icon)(pdf, cx + r, cy + r, r, key)
        pdf.set_font("Helvetica", "", size)
        pdf.set_xy(cx + 2 * r + 1.5, cy + r - 2)
        pdf.cell(column - 2 * r - 2, 4, text)
    return y + math.ceil(len(items) / 3) * (2 * r + 2)
