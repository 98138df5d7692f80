"""Scheduling capacity: for a modality, every site ranked by earliest free slot and weeks to clear;
then the waiting patients who could be scanned sooner at another trust (dashboards/offers_view.py)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, data, filters, offers_view, ui
from reporting.disclosure import suppress_frame

f = filters.render(show=("trusts",))
ui.header(
    "Scheduling capacity",
    "Free slots in the next six weeks at every site (scheduling_capacity), "
    "ranked so a patient can be offered the site that can see them soonest.",
)
ui.stop_if_missing("scheduling_capacity")

options = data.scheduling_modalities()
if not options:
    st.info("No scheduling capacity published.")
    st.stop()
preferred = next((m for m in f.modalities if m in options), "MR")
modality = filters.choice("Modality", options, name="sched_modality", default=preferred)
cap = data.scheduling_capacity(modality)
site_frame = data.sites()
names = dict(zip(site_frame["site_code"], site_frame["site_name"]))
trust_of = dict(zip(site_frame["site_code"], site_frame["trust_code"]))
cap["trust_code"] = [trust_of.get(s, s[:3]) for s in cap["site_code"]]
if f.trusts:
    cap = cap[cap["trust_code"].isin(f.trusts)]
as_of = pd.Timestamp(cap["as_of_date"].max()).date() if not cap.empty else data.as_of_date()
cap = (
    cap.assign(_none=cap["earliest_free_slot_at"].isna())
    .sort_values(["_none", "earliest_free_slot_at", "est_weeks_to_clear"], na_position="last")
    .drop(columns="_none")
)
cap.insert(0, "rank", range(1, len(cap) + 1))
cap["site"] = [f"{s} {names.get(s, '')}".strip() for s in cap["site_code"]]
cap["free_slots_per_week"] = (cap["free_slots"] / 6).round(1)
cap["earliest free slot"] = [
    ("none in six weeks" if pd.isna(t) else f"{pd.Timestamp(t):%a %d %b %Y %H:%M}")
    for t in cap["earliest_free_slot_at"]
]
shown = suppress_frame(
    cap,
    counts=["waiting_unbooked"],
    statistics={"est_weeks_to_clear": "waiting_unbooked"},
    trust_col="__site_level__",
)
st.subheader(f"{modality}: sites ranked, as of {as_of:%d %b %Y}")
if not cap.empty:
    first = cap.iloc[0]
    if not pd.isna(first["earliest_free_slot_at"]):
        among = (
            f"among the sites of the {len(f.trusts)} trust{'s' if len(f.trusts) > 1 else ''} chosen in the "
            f"sidebar ({', '.join(f.trusts)})"
            if f.trusts
            else "in the whole network"
        )
        st.success(
            f"Soonest {among}: **{first['site']}** ({first['trust_code']}) on {first['earliest free slot']}"
        )
if f.trusts:
    st.caption(
        f"Only the sites of {', '.join(f.trusts)} are ranked (the sidebar's trust filter); clear it "
        "to see every site in the network."
    )
columns = {  # short headings so the figures fit at 1280 px; the help says what each is
    "rank": ("rank", "By earliest free slot, then weeks to clear"),
    "site": ("site", "Site code and name"),
    "trust_code": ("trust", "The site's trust"),
    "earliest free slot": ("earliest free slot", "The first free slot in the next six weeks"),
    "free_slots": ("free slots", "Free slots in the next six weeks"),
    "free_slots_per_week": ("per week", "Free slots per week (six-week average)"),
    "free_minutes": ("free min", "Free slot minutes in the next six weeks"),
    "waiting_unbooked": (
        "unbooked",
        "The trust's waiting patients for this modality without a booking",
    ),
    "est_weeks_to_clear": (
        "weeks to clear",
        "Unbooked waiting patients ÷ the site's free slots per week",
    ),
}
ui.table(
    shown[list(columns)].rename(columns={k: v[0] for k, v in columns.items()}),
    decimals={"weeks to clear": 1, "per week": 1},
    key="sched_table",
    column_config={h: st.column_config.Column(h, help=text) for h, text in columns.values()},
)
st.caption(
    "Weeks to clear = the trust's unbooked waiting patients for this modality ÷ the site's free slots "
    "per week. " + ui.SUPPRESSION_NOTE
)

offers_view.render(f.trusts, [modality])

st.subheader("Free slots by week")
st.altair_chart(
    alt.Chart(cap)
    .mark_bar()
    .encode(
        x=alt.X("free_slots_per_week:Q", title="free slots per week (six-week average)"),
        y=alt.Y("site:N", sort=alt.EncodingSortField("rank"), title=None),
        color=alt.Color(
            "trust_code:N",
            title="trust",
            scale=charts.trust_colour_scale(cap["trust_code"]),
            legend=alt.Legend(orient="right"),
        ),
        tooltip=["site", "free_slots", "free_slots_per_week", "earliest free slot"],
    )
    .properties(height=charts.height_for_rows(len(cap), 28, 70)),
    width="stretch",
)
history = data.scheduling_history(modality)
if history["as_of_date"].nunique() > 1:
    history["trust_code"] = [trust_of.get(s, s[:3]) for s in history["site_code"]]
    if f.trusts:
        history = history[history["trust_code"].isin(f.trusts)]
    history["free_slots_per_week"] = history["free_slots"] / 6
    st.altair_chart(
        alt.Chart(history)
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of_date:T", title="snapshot"),
            y=alt.Y("free_slots_per_week:Q", title="free slots per week"),
            color=alt.Color(
                "trust_code:N",
                title="trust",
                scale=charts.trust_colour_scale(history["trust_code"]),
                legend=alt.Legend(orient="right"),
            ),
            detail="site_code:N",
            tooltip=["site_code", "trust_code", "as_of_date:T", "free_slots"],
        )
        .properties(height=260),
        width="stretch",
    )
