"""Waiting list: the DM01 census by test and weeks waited, its trend, 6+ and 13+ weeks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data, filters, ui
from reporting.disclosure import NETWORK, percentage, suppress_frame, suppress_mart

DM01_TESTS = ["MRI", "CT", "NOUS", "DEXA", "BARIUM_ENEMA"]
BANDS = [str(i) for i in range(13)] + ["13+"]

f = filters.render(show=("period", "trusts"))
ui.header(
    "Waiting list (DM01)",
    "Patients waiting at each census date (month end, and the as-of date "
    "for the current month) by DM01 test and weeks waited. Standard: a test within 6 weeks.",
)
ui.stop_if_missing("waiting_list_census", "waiting_list_bands", "dm01_activity_monthly")

census = data.waiting_list_census(f.start, f.end, f.trusts)
if census.empty:
    st.info("No census in this period.")
    st.stop()
tests_present = [t for t in DM01_TESTS if t in set(census["dm01_test"])]
tests = tuple(filters.choices("DM01 tests", tests_present, name="dm01_test"))
census = census[census["dm01_test"].isin(tests)]
census_date = pd.Timestamp(census["census_date"].max()).date()

# --- totals per trust at the census date (all chosen tests)
at_date = census[census["census_date"] == pd.Timestamp(census_date)]
per_trust = (
    at_date.groupby("trust_code")[
        ["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"]
    ]
    .sum()
    .reset_index()
)
per_trust["pct_6_plus"] = [
    (round(100 * a / b, 1) if b else None) if t == NETWORK else percentage(a, b)
    for t, a, b in zip(
        per_trust["trust_code"], per_trust["waiting_6_plus_weeks"], per_trust["total_waiting"]
    )
]
per_trust["pct_13_plus"] = [
    (round(100 * a / b, 1) if b else None) if t == NETWORK else percentage(a, b)
    for t, a, b in zip(
        per_trust["trust_code"], per_trust["waiting_13_plus_weeks"], per_trust["total_waiting"]
    )
]
per_trust = suppress_frame(
    ui.order_network_first(per_trust),
    counts=["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"],
)
net = per_trust[per_trust["trust_code"] == NETWORK]
if not net.empty:
    n = net.iloc[0]
    c = st.columns(4)
    c[0].metric(f"Waiting at {census_date:%d %b %Y}", f"{int(n['total_waiting']):,}")
    c[1].metric("Waiting 6+ weeks", f"{int(n['waiting_6_plus_weeks']):,}")
    c[2].metric(
        "% waiting 6+ weeks",
        f"{n['pct_6_plus']:.1f}%",
        help="Operational standard: no more than 1%",
    )
    c[3].metric("Waiting 13+ weeks", f"{int(n['waiting_13_plus_weeks']):,}")

st.subheader(f"By trust at {census_date:%d %b %Y}")
ui.table(
    ui.apply_trust_labels(per_trust)
    .drop(columns="trust_code")
    .rename(
        columns={
            "total_waiting": "waiting",
            "waiting_6_plus_weeks": "6+ weeks",
            "waiting_13_plus_weeks": "13+ weeks",
            "pct_6_plus": "% 6+ weeks",
            "pct_13_plus": "% 13+ weeks",
        }
    ),
    key="wl_by_trust",
)

st.subheader(f"By trust and test at {census_date:%d %b %Y}")
by_test = ui.order_network_first(at_date, others=("dm01_test",))
ui.table(
    ui.apply_trust_labels(suppress_mart("waiting_list_census", by_test)).drop(
        columns=["trust_code", "census_date"]
    ),
    key="wl_by_test",
)
ui.suppression_note()

# --- weeks waited bands and the trend: the highlighted trust against the network
highlighted = charts.highlight_choice(f.trusts)
st.subheader("Weeks waited")
bands = data.waiting_list_bands(census_date, f.trusts, tests)
bands = bands.groupby(["trust_code", "weeks_band"])["patients"].sum().reset_index()
bands = suppress_frame(bands, counts=["patients"], numeric=True)
bands["weeks_band"] = bands["weeks_band"].astype(str)
st.altair_chart(
    charts.share_bars(bands, "weeks_band", "patients", highlighted, "weeks waited", sort=BANDS),
    width="stretch",
)
st.caption(
    f"Share of the patients waiting at {census_date:%d %b %Y} in each week band (6+ weeks breach the "
    "DM01 standard); trust counts rounded to 5, bands of 1-7 patients left out."
)

st.subheader("Trend")
trend = (
    census.groupby(["census_date", "trust_code"])[
        ["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"]
    ]
    .sum()
    .reset_index()
)
trend["pct_6_plus"] = [
    (100 * a / b if b else None) if t == NETWORK else percentage(a, b)
    for t, a, b in zip(trend["trust_code"], trend["waiting_6_plus_weeks"], trend["total_waiting"])
]
trend["pct_6_plus"] = pd.to_numeric(trend["pct_6_plus"], errors="coerce")
trend = suppress_frame(
    trend, counts=["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"], numeric=True
)
t1, t2 = st.columns(2)
t1.altair_chart(
    charts.trust_lines(
        trend,
        "census_date",
        "total_waiting",
        "patients waiting",
        highlighted,
        network=False,
        y_format=",.0f",
    ),
    width="stretch",
)
t2.altair_chart(
    charts.trust_lines(trend, "census_date", "pct_6_plus", "% waiting 6+ weeks", highlighted),
    width="stretch",
)
st.caption(
    charts.others_note(f.trusts, highlighted) + " Patients waiting: trusts only (the network's "
    "total is in the table above)."
)

# --- DM01 activity
st.subheader("DM01 activity")
act = data.dm01_activity_monthly(f.start, f.end, f.trusts, tests)
cols = ["waiting_list_tests", "planned_tests", "unscheduled_tests"]
last = act[act["month"] == act["month"].max()].groupby("trust_code")[cols].sum().reset_index()
st.caption(
    f"{ui.month_label(pd.Timestamp(act['month'].max()).date())}, chosen tests"
    if not act.empty
    else ""
)
ui.table(
    ui.apply_trust_labels(suppress_frame(ui.order_network_first(last), counts=cols)).drop(
        columns="trust_code"
    ),
    key="wl_activity",
)
