"""Charts that compare trusts, readable with 15 of them: one trust highlighted in its own colour
against the network (black) and the other trusts (grey), legends beside or above the plot,
never under it. Every per-trust colour comes from `reporting.colours` through
`data.trust_colours()` (all trusts of dim_trust), so a trust has one colour on every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from dashboards import data, filters, ui
from reporting.colours import NETWORK_COLOUR, OTHERS_COLOUR

OTHERS = "other trusts"
MAX_DATE_TICKS = 24


def highlight_choice(trusts: Sequence[str], where: object = None) -> str:
    """The trust drawn in colour on the page's trust charts (`?highlight=`), chosen among the
    trusts shown: the sidebar's selection, else every trust."""
    options = list(trusts) or sorted(data.trust_names())
    return filters.choice(
        "Highlight trust",
        options,
        name="highlight",
        format_func=ui.trust_label,
        where=where,
        help="Drawn in its colour; the network in black, the other trusts in grey.",
    )


def others_note(trusts: Sequence[str], highlighted: str) -> str:
    """Who the grey lines are: the other trusts of the network or of the sidebar's selection."""
    if trusts:
        rest = [t for t in trusts if t != highlighted]
        return (
            f"Grey: the other trusts chosen in the sidebar ({', '.join(rest)})."
            if rest
            else "Only this trust is chosen in the sidebar."
        )
    return f"Grey: the other {len(data.trust_names()) - 1} trusts."


def role_scale(highlighted: str, network: bool = True, others: bool = True) -> alt.Scale:
    """Legend entries by code (short enough for a half-width chart; tooltips give the name)."""
    domain = [highlighted] + ([data.NETWORK] if network else []) + ([OTHERS] if others else [])
    colours = (
        [data.trust_colours()[highlighted]]
        + ([NETWORK_COLOUR] if network else [])
        + ([OTHERS_COLOUR] if others else [])
    )
    return alt.Scale(domain=domain, range=colours)


def _roles(frame: pd.DataFrame, highlighted: str) -> pd.Series:
    return pd.Series(
        [code if code in (highlighted, data.NETWORK) else OTHERS for code in frame["trust_code"]],
        index=frame.index,
    )


def trust_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    y_title: str,
    highlighted: str,
    network: bool = True,
    height: int = 340,
    y_format: str = ",.1f",
    zero: bool = True,
) -> alt.LayerChart:
    """A line per trust over `x`: the highlighted trust in its colour, NETWORK in black (when
    `network`), the others thin and grey underneath; legend above the plot."""
    rows = frame if network else frame[frame["trust_code"] != data.NETWORK]
    rows = rows.assign(
        trust=ui.trust_labels(rows["trust_code"].tolist()), role=_roles(rows, highlighted)
    )
    colour = alt.Color(
        "role:N",
        title=None,
        scale=role_scale(highlighted, network),
        legend=alt.Legend(orient="top", direction="horizontal"),
    )
    tooltip = [
        "trust",
        alt.Tooltip(f"{x}:T", format="%b %Y" if "month" in x else "%d %b %Y"),
        alt.Tooltip(f"{y}:Q", format=y_format, title=y_title),
    ]
    dates = pd.to_datetime(rows[x]).dropna().drop_duplicates().sort_values()
    if len(dates) <= MAX_DATE_TICKS:  # monthly points: a tick on each point's own date
        axis = alt.Axis(
            format="%b %Y",
            labelAngle=-40,
            values=[alt.DateTime(year=d.year, month=d.month, date=d.day) for d in dates],
        )
    else:  # weekly or daily points: a tick per month
        axis = alt.Axis(format="%b %Y", labelAngle=-40, tickCount={"interval": "month", "step": 1})
    base = alt.Chart(rows).encode(
        x=alt.X(f"{x}:T", title=None, axis=axis),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=zero)),
        color=colour,
        detail="trust:N",
        tooltip=tooltip,
    )
    others = base.transform_filter(alt.datum.role == OTHERS).mark_line(strokeWidth=1, opacity=0.8)
    shown = base.transform_filter(alt.datum.role != OTHERS).mark_line(point=True, strokeWidth=2.5)
    return alt.layer(others, shown).properties(height=height)


def share_bars(
    frame: pd.DataFrame,
    bin_col: str,
    count_col: str,
    highlighted: str,
    x_title: str,
    sort: Sequence[object] | None = None,
    height: int = 320,
    labels: Sequence[object] | None = None,
) -> alt.Chart:
    """Each bin's share of the highlighted trust's and of the network's total, side by side, so
    a trust's distribution reads against the network's whatever its size. `frame` holds counts
    after disclosure control (suppressed bins missing): shares come from the counts shown.
    labels: the bins labelled on the axis (default: every bin)."""
    rows = (
        frame[frame["trust_code"].isin([highlighted, data.NETWORK])]
        .dropna(subset=[count_col])
        .copy()
    )
    totals = rows.groupby("trust_code")[count_col].transform("sum")
    rows["share"] = 100 * rows[count_col] / totals.where(totals > 0)
    rows["role"] = _roles(rows, highlighted)
    rows["trust"] = ui.trust_labels(rows["trust_code"].tolist())
    return (
        alt.Chart(rows)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{bin_col}:O",
                title=x_title,
                sort=list(sort) if sort is not None else "ascending",
                axis=alt.Axis(
                    labelAngle=0, values=list(labels) if labels is not None else alt.Undefined
                ),
            ),
            y=alt.Y("share:Q", title="% of the trust's total"),
            xOffset=alt.XOffset("role:N", sort=[highlighted, data.NETWORK]),
            color=alt.Color(
                "role:N",
                title=None,
                scale=role_scale(highlighted, others=False),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            tooltip=[
                "trust",
                alt.Tooltip(f"{bin_col}:O", title=x_title),
                alt.Tooltip(f"{count_col}:Q", format=",.0f"),
                alt.Tooltip("share:Q", format=".1f", title="%"),
            ],
        )
        .properties(height=height)
    )


def trust_colour_scale(codes: Sequence[str]) -> alt.Scale:
    """Colour scale for a chart coloured by trust code: each code's fixed colour."""
    colours = data.trust_colours()
    present = sorted(set(codes), key=lambda c: (c == data.NETWORK, c))
    return alt.Scale(domain=present, range=[colours.get(c, OTHERS_COLOUR) for c in present])


def height_for_rows(rows: int, per_row: int = 26, axes: int = 90, minimum: int = 220) -> int:
    """Height of a chart with one band per row (trust, site, reason): its axes, title and legend
    take `axes` px of it, so a few rows still leave a plot to read."""
    return max(minimum, axes + per_row * rows)
