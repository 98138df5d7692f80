"""One fixed, distinguishable colour per trust, shared by every page of the app and the pack.

Colours come from a 20-colour qualitative palette (Tableau 20 without its greys, ordered so that
neighbours differ in hue and lightness) in the order of the trust codes, so a trust keeps its
colour on every chart; the network is black and "other trusts" a light grey when one trust is
highlighted against the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

NETWORK = "NETWORK"
NETWORK_COLOUR = "#000000"
OTHERS_COLOUR = "#c8c8c8"
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
    "#393b79",
    "#637939",
)


def trust_colours(trust_codes: Iterable[str]) -> dict[str, str]:
    """{trust code: colour} for every trust of the network (NETWORK black).

    Pass every trust of `dim_trust`, not a page's filtered selection, so colours never move."""
    codes = sorted({c for c in trust_codes if c != NETWORK})
    colours = {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(codes)}
    colours[NETWORK] = NETWORK_COLOUR
    return colours
