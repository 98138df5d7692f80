"""Scanner utilisation: scanning inside the appointment book over the book's open slot time, per
site and room, with the scanning the book does not cover shown on its own (docs/utilisation.md)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, data, filters, ui
from reporting.disclosure import suppress_frame

PARTS = {
    "in_slots_hours": "scanning in slots",
    "idle_hours": "slot time not used",
    "outside_hours": "scanning beyond the slots",
}
PART_COLOURS = ["#2171b5", "#c6dbef", "#e6550d"]
ROW_PX, MIN_PLOT_PX, MAX_PLOT_PX = 30, 120, 520  # plot height: a band per room, bounded

f = filters.render(show=("period", "trusts"))
ui.header(
    "Scanner utilisation",
    "Utilisation = time a room is scanning inside its free and booked slots ÷ those "
    "slots' minutes (never above 100%). Scanning outside the slots (lists running late, blocked slots) is "
    "shown beside it; rooms whose trust sends no appointment book have no utilisation.",
)
ui.stop_if_missing("scanner_utilisation_daily")

site_frame = data.sites()
site_trust = dict(zip(site_frame["site_code"], site_frame["trust_code"]))
names = dict(zip(site_frame["site_code"], site_frame["site_name"]))
chosen = tuple(site_frame[site_frame["trust_code"].isin(f.trusts)]["site_code"]) if f.trusts else ()
end = min(f.end, data.as_of_date())
rooms = data.scanner_utilisation_by_room(f.start, end, chosen)
if rooms.empty:
    st.info("No scanner sessions in this period.")
    st.stop()
rooms["site"] = [f"{s} {names.get(s, '')}".strip() for s in rooms["site_code"]]
for minutes, hours in (
    ("available_minutes", "available_hours"),
    ("booked_minutes", "booked_hours"),
    ("used_in_slots_minutes", "in_slots_hours"),
    ("outside_slots_minutes", "outside_hours"),
    ("no_book_minutes", "no_book_hours"),
):
    rooms[hours] = rooms[minutes] / 60
rooms["idle_hours"] = rooms["available_hours"] - rooms["in_slots_hours"]
booked = rooms[rooms["available_minutes"] > 0]
no_book = rooms[rooms["available_minutes"] == 0]

available = booked["available_minutes"].sum()
c = st.columns(4)
c[0].metric(
    "Utilisation",
    f"{100 * booked['used_in_slots_minutes'].sum() / available:.1f}%" if available else "-",
    help="Scanning inside the free and booked slots ÷ those slots' time, rooms with an "
    "appointment book only.",
)
c[1].metric(
    "Hours available",
    f"{available / 60:,.0f}",
    help="Free and booked slot time (blocked slots are not available).",
)
c[2].metric(
    "Hours beyond the slots",
    f"{booked['outside_slots_minutes'].sum() / 60:,.0f}",
    help="Rooms with a book, on days with open slots: lists running past their session, "
    "or scanning in blocked slots. Not part of utilisation.",
)
c[3].metric("DNA slots", f"{int(booked['dna_slots'].sum()):,}")

if not no_book.empty:
    st.warning(
        f"No appointment book sent: {len(no_book)} rooms, {no_book['no_book_hours'].sum():,.0f} hours of "
        "scanning. These rooms (mostly acute and ED rooms, which scan without booked slots) are left out of "
        "every utilisation figure on this page."
    )
    with st.expander(f"The {len(no_book)} rooms without an appointment book"):
        ui.table(
            no_book[["site", "room", "no_book_hours"]]
            .round({"no_book_hours": 0})
            .rename(columns={"no_book_hours": "hours of scanning"}),
            key="util_no_book",
        )
extra = booked["no_book_minutes"].sum()
if extra:
    st.caption(
        f"Also left out: {extra / 60:,.0f} hours of scanning in rooms with a book on days they had no open "
        "slots (before the trust's appointment book was first sent, or a day of blocked slots)."
    )

st.subheader(f"Rooms of one site, {f.start:%b %Y} to {end:%d %b %Y}")
sites = sorted(set(booked["site_code"]))
if sites:
    site = filters.choice(
        "Site", sites, name="site", format_func=lambda s: f"{s} {names.get(s, '')}".strip()
    )
    here = booked[booked["site_code"] == site]
    parts = here.melt(
        id_vars=["room", "utilisation_pct"],
        value_vars=list(PARTS),
        var_name="part",
        value_name="hours",
    )
    parts["part"] = parts["part"].map(PARTS)
    parts["order"] = parts["part"].map({v: i for i, v in enumerate(PARTS.values())})
    # the plot's height set per room band (a fixed chart height would include legend and axis)
    band = min(MAX_PLOT_PX, max(MIN_PLOT_PX, ROW_PX * len(here))) / len(here)
    st.altair_chart(
        alt.Chart(parts)
        .mark_bar()
        .encode(
            y=alt.Y("room:N", title=None, sort=sorted(here["room"])),
            x=alt.X("hours:Q", title="hours", stack="zero"),
            color=alt.Color(
                "part:N",
                title=None,
                scale=alt.Scale(domain=list(PARTS.values()), range=PART_COLOURS),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                "room",
                "part",
                alt.Tooltip("hours:Q", format=",.0f"),
                alt.Tooltip("utilisation_pct:Q", title="utilisation %", format=".1f"),
            ],
        )
        .properties(height=alt.Step(band)),
        width="stretch",
    )
    unbooked_here = sorted(no_book.loc[no_book["site_code"] == site, "room"])
    if unbooked_here:
        st.caption(f"Not drawn (no appointment book sent): {', '.join(unbooked_here)}.")

st.subheader("Every room with an appointment book")
hour_columns = ["available_hours", "booked_hours", "in_slots_hours", "outside_hours"]
shown = suppress_frame(
    booked.round(dict.fromkeys(hour_columns, 0)), counts=["dna_slots"], trust_col="__site_level__"
)
ui.table(
    shown[
        [
            "site",
            "room",
            "days",
            "available_hours",
            "booked_hours",
            "in_slots_hours",
            "utilisation_pct",
            "outside_hours",
            "dna_slots",
        ]
    ].rename(
        columns={
            "days": "days with slots",
            "available_hours": "hours available",
            "booked_hours": "hours booked",
            "in_slots_hours": "hours scanning in slots",
            "utilisation_pct": "utilisation %",
            "outside_hours": "hours beyond the slots",
            "dna_slots": "DNA slots",
        }
    ),
    decimals={"utilisation %": 1},
    key="util_rooms",
)
ui.suppression_note()

st.subheader("Weekly utilisation by trust")
weekly = data.scanner_utilisation_weekly(f.start, end)
# whole weeks only: a week cut by the period's edge is a weekend list or two, not a week
week_start = pd.to_datetime(weekly["week"])
weekly = weekly[
    (week_start >= pd.Timestamp(f.start)) & (week_start + pd.Timedelta(days=6) <= pd.Timestamp(end))
]
if not weekly.empty:
    weekly["trust_code"] = weekly["site_code"].map(site_trust)
    sums = ["available_minutes", "used_in_slots_minutes"]
    trusts = (
        weekly.dropna(subset=["trust_code"])
        .groupby(["trust_code", "week"], as_index=False)[sums]
        .sum()
    )
    network = weekly.groupby("week", as_index=False)[sums].sum().assign(trust_code=data.NETWORK)
    lines = pd.concat(
        [trusts[trusts["trust_code"].isin(f.trusts)] if f.trusts else trusts, network]
    )
    lines["utilisation_pct"] = 100 * lines["used_in_slots_minutes"] / lines["available_minutes"]
    highlighted = charts.highlight_choice(f.trusts)
    st.altair_chart(
        charts.trust_lines(
            lines, "week", "utilisation_pct", "utilisation %", highlighted, zero=False
        ),
        width="stretch",
    )
    st.caption(charts.others_note(f.trusts, highlighted))
