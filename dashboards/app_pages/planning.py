"""Planning: waiting-list pressure by site and test, the projected list with its band, the added
slots that clear the 6+ week waiters by a chosen week, and the what-if of added slots."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, filters, ui

TARGET_WEEKS = 6

f = filters.render(show=("trusts",))
ui.header(
    "Planning",
    "Where the DM01 waiting lists are under pressure and where they are going: demand (requests "
    "added a week) against capacity (patients tested a week) over the last 12 weeks, the "
    "NHSRwaitinglist measures for the 6-week standard, and a 12-week projection by weeks waited "
    "(docs/metrics.md).",
)
ui.stop_if_missing("waiting_list_pressure", "waiting_list_projection")

pressure = data.planning_pressure(tuple(f.trusts))
if pressure.empty:
    st.info("No waiting-list pressure for these trusts.")
    st.stop()
week = pd.Timestamp(pressure["week_end_date"].max()).date()
trust_rows = pressure[pressure["site_code"] == "ALL"]
site_rows = pressure[pressure["site_code"] != "ALL"]

c = st.columns(4)
c[0].metric("Lists (trust x test)", f"{len(trust_rows):,}")
c[1].metric(
    "Lists with load > 1",
    f"{int(trust_rows['is_overloaded'].sum()):,}",
    help="More requests added than patients tested a week over the last 12 weeks: the list grows.",
)
c[2].metric(
    "Lists with pressure > 1",
    f"{int((pd.to_numeric(trust_rows['pressure'], errors='coerce') > 1).sum()):,}",
    help="2 x mean wait / 6 weeks above 1: the list is likely to miss the 6-week standard.",
)
c[3].metric("Week ending", f"{week:%d %b %Y}")

# --- pressure by site and test, one screen
st.subheader(f"Pressure by site and test, week ending {week:%d %b %Y}")
sites = data.sites().set_index("site_code")["site_name"].to_dict()
grid = site_rows.assign(
    site=[f"{code} {sites.get(code, '')}".strip() for code in site_rows["site_code"]],
    pressure=pd.to_numeric(site_rows["pressure"], errors="coerce"),
)
heat = (
    alt.Chart(grid)
    .mark_rect()
    .encode(
        x=alt.X("dm01_test:N", title="DM01 test", axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("site:N", title=None, sort=sorted(grid["site"].unique())),
        color=alt.Color(
            "pressure:Q",
            title="pressure",
            scale=alt.Scale(domain=[0, 1, 2.5], range=["#f2f2f2", "#ffbf47", "#d5281b"]),
        ),
        tooltip=[
            "site",
            "dm01_test",
            alt.Tooltip("pressure:Q", format=".2f"),
            "waiting",
            "waiting_6_plus_weeks",
            alt.Tooltip("queue_load:Q", format=".2f"),
        ],
    )
)
labels = (
    heat.transform_filter("isValid(datum.pressure)")
    .mark_text(fontSize=11)
    .encode(text=alt.Text("pressure:Q", format=".1f"), color=alt.value("black"))
)
st.altair_chart(heat + labels, width="stretch")
st.caption(
    "Pressure = 2 x mean weeks waited / 6 (NHSRwaitinglist): above 1 the list is likely to miss "
    "the standard. A patient counts at the site of the request that puts them on the list."
)
table = trust_rows[
    ["trust_code", "dm01_test", "waiting", "waiting_6_plus_weeks", "demand_mean", "capacity_mean",
     "queue_load", "pressure", "target_queue_size", "target_capacity", "relief_capacity",
     "is_overloaded"]
].sort_values(  # the lists under most pressure first
    "pressure", ascending=False, na_position="last", key=lambda v: pd.to_numeric(v, errors="coerce")
)  # fmt: skip
ui.table(
    ui.apply_trust_labels(table)
    .drop(columns="trust_code")
    .rename(
        columns={
            "dm01_test": "test",
            "waiting_6_plus_weeks": "6+ weeks",
            "demand_mean": "added a week",
            "capacity_mean": "tested a week",
            "queue_load": "load",
            "target_queue_size": "target list",
            "target_capacity": "target tests a week",
            "relief_capacity": "relief tests a week (12 wks)",
            "is_overloaded": "load > 1",
        }
    ),
    decimals={"added a week": 1, "tested a week": 1, "load": 2, "pressure": 2,
              "target list": 0, "target tests a week": 1, "relief tests a week (12 wks)": 1},
    key="planning_trusts",
)  # fmt: skip
ui.suppression_note()

# --- projection and what-if for one list
st.subheader("Projection and what-if")
lists = data.planning_lists()
if f.trusts:
    lists = lists[lists["trust_code"].isin(f.trusts)]
if lists.empty:
    st.info("No projection for these trusts.")
    st.stop()
# opens on the list with the most 6+ week waiters, the one a planner would look at first
longest = trust_rows.assign(
    six_plus=pd.to_numeric(trust_rows["waiting_6_plus_weeks"], errors="coerce")
).sort_values("six_plus", ascending=False, na_position="last")


def _most_waiting(trust_code: str | None = None) -> pd.Series | None:
    rows = longest.merge(lists, on=["trust_code", "dm01_test"])
    if trust_code is not None:
        rows = rows[rows["trust_code"] == trust_code]
    return None if rows.empty else rows.iloc[0]


left, middle, right = st.columns(3)
first = _most_waiting()
trust = filters.choice(
    "Trust",
    sorted(lists["trust_code"].unique()),
    name="plan_trust",
    default=None if first is None else first["trust_code"],
    format_func=ui.trust_label,
    where=left,
)
first_test = _most_waiting(trust)
test = filters.choice(
    "DM01 test",
    sorted(lists.loc[lists["trust_code"] == trust, "dm01_test"]),
    name="plan_test",
    default=None if first_test is None else first_test["dm01_test"],
    where=middle,
)
trust_sites = sorted(site_rows.loc[site_rows["trust_code"] == trust, "site_code"].unique())
site = right.selectbox(
    "Site of the added slots", trust_sites or ["-"], format_func=lambda s: sites.get(s, s)
)
slots = st.slider("Added slots a week", 0, 100, 0, key="plan_slots")
projection = data.planning_projection(trust, test, slots)

LINES = {  # line -> (colour, dashed)
    "projected": ("#005eb8", False),
    f"with {slots} added slots a week": ("#41b6e6", True),
    "projected 6+ weeks": ("#d5281b", False),
    f"6+ weeks with {slots} added": ("#f499be", True),
}
parts = [
    projection.assign(line="projected", waiting=projection["baseline_total"]),
    projection.assign(line="projected 6+ weeks", waiting=projection["baseline_6_plus_weeks"]),
]
if slots:
    parts += [
        projection.assign(line=f"with {slots} added slots a week", waiting=projection["total"]),
        projection.assign(
            line=f"6+ weeks with {slots} added", waiting=projection["waiting_6_plus_weeks"]
        ),
    ]
long = pd.concat(parts)
shown_lines = [name for name in LINES if name in set(long["line"])]
x = alt.X("week_end_date:T", title="week ending", axis=alt.Axis(format="%d %b", labelAngle=0))
band = (
    alt.Chart(projection)
    .mark_area(opacity=0.2, color="#005eb8")
    .encode(x=x, y="baseline_low:Q", y2="baseline_high:Q")
)
band_6 = (
    alt.Chart(projection)
    .mark_area(opacity=0.2, color="#d5281b")
    .encode(x=x, y="baseline_6_plus_low:Q", y2="baseline_6_plus_high:Q")
)
lines = (
    alt.Chart(long)
    .mark_line(point=True)
    .encode(
        x=x,
        y=alt.Y("waiting:Q", title="patients waiting"),
        color=alt.Color(
            "line:N",
            title=None,
            legend=alt.Legend(orient="bottom"),
            scale=alt.Scale(domain=shown_lines, range=[LINES[n][0] for n in shown_lines]),
        ),
        strokeDash=alt.StrokeDash(
            "line:N",
            legend=None,
            scale=alt.Scale(
                domain=shown_lines, range=[[5, 3] if LINES[n][1] else [1, 0] for n in shown_lines]
            ),
        ),
    )
)
st.altair_chart(band + band_6 + lines, width="stretch")
end = projection.iloc[-1]
st.markdown(
    f"By {pd.Timestamp(end['week_end_date']):%d %b %Y}: **{end['baseline_total']:,.0f}** waiting, "
    f"**{end['baseline_6_plus_weeks']:,.0f}** of them 6+ weeks, as projected"
    + (
        f"; with {slots} added slots a week at {sites.get(site, site)}: "
        f"**{end['total']:,.0f}** waiting, **{end['waiting_6_plus_weeks']:,.0f}** 6+ weeks."
        if slots
        else "."
    )
)
st.caption(
    "From the list at the as-of date and the weekly rates of the last 12 weeks (NHSRtt-style). "
    "Shaded: 95% band from the spread of the last 12 weeks' one-week-ahead errors, widening with "
    "the square root of the weeks ahead. Added slots test the longest waiters first; DM01 counts "
    f"the trust's list, so slots at {sites.get(site, site)} serve the trust's patients."
)

# --- relief: clear the 6+ week list by a chosen week
st.subheader("Relief capacity to clear the 6+ week list")
weeks = [pd.Timestamp(d).date() for d in projection["week_end_date"].iloc[1:]]
by = st.select_slider(
    "Clear by", options=weeks, value=weeks[-1], format_func=lambda d: f"{d:%d %b %Y}"
)
ahead = weeks.index(by) + 1
needed = data.planning_slots_to_clear(trust, test, ahead)
row = trust_rows[(trust_rows["trust_code"] == trust) & (trust_rows["dm01_test"] == test)]
a, b = st.columns(2)
a.metric(
    f"Added slots a week to reach 1% at 6+ weeks by {by:%d %b %Y}",
    "over 10,000" if needed is None else f"{needed:,}",
    help="The fewest added slots a week for which the projected 6+ week waiters are at most 1% "
    "of the list (the DM01 standard) by that week.",
)
if not row.empty:
    r = row.iloc[0]
    relief = pd.to_numeric(pd.Series([r["relief_capacity"]]), errors="coerce").iloc[0]
    tested = pd.to_numeric(pd.Series([r["capacity_mean"]]), errors="coerce").iloc[0]
    b.metric(
        "NHSRwaitinglist relief capacity (12 weeks)",
        "-" if pd.isna(relief) else f"{relief:,.1f} tests a week",
        delta=None if pd.isna(relief) or pd.isna(tested) else f"{relief - tested:+,.1f} on now",
        delta_color="inverse",
        help="demand + (list - target list) / 12: the tests a week that bring the list to the size "
        "whose mean wait keeps the 6-week standard in 12 weeks.",
    )
