"""Scanner utilisation by site and room: minutes available against minutes used, and DNA slots."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import data, filters, ui
from reporting.disclosure import suppress_frame

f = filters.render(show=("period", "trusts"))
ui.header("Scanner utilisation", "Minutes available (free + booked slots), booked and used (exam start to "
          "completion) per site and room, from scanner_utilisation_daily.")
ui.stop_if_missing("scanner_utilisation_daily")

site_frame = data.sites()
chosen = tuple(site_frame[site_frame["trust_code"].isin(f.trusts)]["site_code"]) if f.trusts else ()
end = min(f.end, data.as_of_date())
rooms = data.scanner_utilisation_by_room(f.start, end, chosen)
if rooms.empty:
    st.info("No scanner sessions in this period.")
    st.stop()
names = dict(zip(site_frame["site_code"], site_frame["site_name"]))
rooms["site"] = [f"{s} {names.get(s, '')}".strip() for s in rooms["site_code"]]
for c in ("available", "booked", "used"):
    rooms[f"{c}_hours"] = (rooms[f"{c}_minutes"] / 60).round(0)

total_avail = rooms["available_minutes"].sum()
c = st.columns(3)
c[0].metric("Utilisation (used ÷ available)", f"{100 * rooms['used_minutes'].sum() / total_avail:.1f}%"
            if total_avail else "-")
c[1].metric("Hours available", f"{total_avail / 60:,.0f}")
c[2].metric("DNA slots", f"{int(rooms['dna_slots'].sum()):,}")

st.subheader(f"By site and room, {f.start:%b %Y} to {end:%d %b %Y}")
shown = suppress_frame(rooms, counts=["dna_slots"], trust_col="__site_level__")
ui.table(shown[["site", "room", "days", "available_hours", "booked_hours", "used_hours", "utilisation_pct",
                "dna_slots"]].rename(columns={"available_hours": "hours available", "booked_hours": "hours booked",
                                              "used_hours": "hours used", "utilisation_pct": "utilisation %",
                                              "dna_slots": "DNA slots"}), decimals={"utilisation %": 1},
         key="util_rooms")
ui.suppression_note()

long = rooms.melt(id_vars=["site", "room"], value_vars=["available_hours", "used_hours"], var_name="what",
                  value_name="hours")
long["what"] = long["what"].map({"available_hours": "available", "used_hours": "used"})
st.altair_chart(alt.Chart(long).mark_bar().encode(
    y=alt.Y("room:N", title=None), x=alt.X("hours:Q", title="hours"), yOffset="what:N",
    color=alt.Color("what:N", title=None, scale=alt.Scale(range=["#c6dbef", "#2171b5"])),
    tooltip=["site", "room", "what", "hours"]).properties(height=60 + 36 * len(rooms)), width="stretch")

st.subheader("Weekly utilisation by site")
weekly = data.scanner_utilisation_weekly(f.start, end, chosen)
weekly["site"] = [f"{s} {names.get(s, '')}".strip() for s in weekly["site_code"]]
st.altair_chart(alt.Chart(weekly).mark_line(point=True).encode(
    x=alt.X("week:T", title=None), y=alt.Y("utilisation_pct:Q", title="utilisation %", scale=alt.Scale(zero=False)),
    color=alt.Color("site:N", legend=alt.Legend(orient="bottom", columns=2)),
    tooltip=["site", "week:T", "utilisation_pct", "dna_slots"]).properties(height=300), width="stretch")
