"""Reporting: backlog by age across trusts, throughput against inflow, days to clear, and which
trusts need reporting help or have spare capacity."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, data, filters, ui
from reporting.disclosure import NETWORK, suppress_frame

AGE_BANDS = {
    "age_0_2_days": "0-2 days",
    "age_3_7_days": "3-7 days",
    "age_8_14_days": "8-14 days",
    "age_15_28_days": "15-28 days",
    "age_over_28_days": "over 28 days",
}
RECENT_WEEKS = 4
HELP_DAYS = 5.0  # more days than this to clear the backlog at the recent pace: needs help
SPARE_DAYS = 3.0  # fewer days than this and reports keep up with inflow: spare capacity
GROWTH_SHARE = 0.05  # backlog grew by more than this share of the inflow: growing

f = filters.render(show=("period", "trusts", "modalities"))
ui.header(
    "Reporting",
    "Unreported exams by age (reporting_backlog) and weekly throughput "
    "(reporting_throughput_weekly). No exam should wait more than 28 days to be reported.",
)
ui.stop_if_missing("reporting_backlog", "reporting_throughput_weekly")

day = data.backlog_dates(min(f.end, data.as_of_date()))
if day is None:
    st.info("No reporting backlog on or before the end of the period.")
    st.stop()
backlog = data.reporting_backlog(day, day, f.trusts, f.modalities)
bands = list(AGE_BANDS)
per_trust = (
    backlog.groupby("trust_code")
    .agg(
        unreported_exams=("unreported_exams", "sum"),
        **{b: (b, "sum") for b in bands},
        oldest_age_days=("oldest_age_days", "max"),
    )
    .reset_index()
)

weeks = data.reporting_throughput_weekly(f.start, day, f.trusts, f.modalities)
recent = weeks[weeks["week"] > pd.Timestamp(day - timedelta(days=7 * RECENT_WEEKS))]
pace = (
    recent.groupby("trust_code")
    .agg(
        weeks=("week", "nunique"),
        tested=("exams_tested", "sum"),
        verified=("reports_verified", "sum"),
        outsourced=("reports_outsourced", "sum"),
        backlog_change=("backlog_change", "sum"),
    )
    .reset_index()
)
pace["inflow_per_week"] = pace["tested"] / pace["weeks"]
pace["reports_per_week"] = pace["verified"] / pace["weeks"]
table = per_trust.merge(
    pace[["trust_code", "tested", "inflow_per_week", "reports_per_week", "backlog_change"]],
    on="trust_code",
    how="left",
)
table["days_to_clear"] = [
    round(u / (r / 7), 1) if r and r > 0 else None
    for u, r in zip(table["unreported_exams"], table["reports_per_week"])
]


def verdict(row: pd.Series) -> str:
    if row["trust_code"] == NETWORK or pd.isna(row["days_to_clear"]):
        return ""
    if row["days_to_clear"] > HELP_DAYS or (
        row["backlog_change"] > GROWTH_SHARE * row["tested"] and row["age_over_28_days"] > 0
    ):
        return "needs reporting help"
    if row["days_to_clear"] <= SPARE_DAYS and row["reports_per_week"] >= row["inflow_per_week"]:
        return "spare capacity"
    return "keeping up"


table["status"] = table.apply(verdict, axis=1)
table = table.drop(columns="tested")
table["inflow_per_week"] = table["inflow_per_week"].round(0)
table["reports_per_week"] = table["reports_per_week"].round(0)
table = ui.order_network_first(table)
shown = suppress_frame(
    table,
    counts=["unreported_exams", *bands, "inflow_per_week", "reports_per_week", "backlog_change"],
    statistics={"oldest_age_days": "unreported_exams", "days_to_clear": "unreported_exams"},
)

st.subheader(f"Backlog at the end of {day:%d %b %Y}")
net = table[table["trust_code"] == NETWORK]
if not net.empty:
    n = net.iloc[0]
    c = st.columns(4)
    c[0].metric("Unreported exams", f"{int(n['unreported_exams']):,}")
    c[1].metric("Unreported over 28 days", f"{int(n['age_over_28_days']):,}")
    c[2].metric("Reports per week (last 4 weeks)", f"{n['reports_per_week']:,.0f}")
    c[3].metric(
        "Days to clear at that pace",
        "-" if pd.isna(n["days_to_clear"]) else f"{n['days_to_clear']:.1f}",
    )

ui.table(
    ui.apply_trust_labels(shown)
    .drop(columns="trust_code")
    .rename(
        columns=AGE_BANDS
        | {
            "unreported_exams": "unreported",
            "oldest_age_days": "oldest (days)",
            "inflow_per_week": "tested / week",
            "reports_per_week": "reported / week",
            "backlog_change": f"backlog change, {RECENT_WEEKS} weeks",
            "days_to_clear": "days to clear",
        }
    ),
    key="reporting_table",
)
st.caption(
    f"Days to clear = unreported ÷ reports per day over the last {RECENT_WEEKS} weeks. "
    f"Needs help: over {HELP_DAYS:.0f} days to clear, or a backlog that grew by over "
    f"{GROWTH_SHARE:.0%} of the inflow with exams over 28 days. "
    f"Spare capacity: under {SPARE_DAYS:.0f} days to clear and reporting at least the inflow. "
    + ui.SUPPRESSION_NOTE
)

helpers = table[table["status"] == "needs reporting help"]["trust_code"].tolist()
spare = table[table["status"] == "spare capacity"]["trust_code"].tolist()
if helpers:
    st.warning("Needs reporting help: " + ", ".join(ui.trust_label(t) for t in helpers))
if spare:
    st.success("Spare reporting capacity: " + ", ".join(ui.trust_label(t) for t in spare))

long = suppress_frame(per_trust, counts=bands, numeric=True).melt(
    id_vars="trust_code", value_vars=bands, var_name="band", value_name="exams"
)
long = long[long["trust_code"] != NETWORK]
long["age"] = long["band"].map(AGE_BANDS)
long["age_order"] = long["band"].map({b: i for i, b in enumerate(bands)})
long["trust"] = ui.trust_labels(long["trust_code"].tolist())
st.altair_chart(
    alt.Chart(long)
    .mark_bar()
    .encode(
        y=alt.Y("trust:N", title=None),
        x=alt.X("exams:Q", title="unreported exams", stack=True),
        color=alt.Color(
            "age:N",
            sort=list(AGE_BANDS.values()),
            title="age",
            scale=alt.Scale(
                domain=list(AGE_BANDS.values()),
                range=["#c6dbef", "#6baed6", "#fdae6b", "#f16913", "#a50f15"],
            ),
        ),
        order=alt.Order("age_order:Q"),
        tooltip=["trust", "age", "exams"],
    )
    .properties(height=charts.height_for_rows(long["trust"].nunique(), 24, 80)),
    width="stretch",
)

st.subheader("Throughput against inflow")
choices = [NETWORK] + sorted(t for t in weeks["trust_code"].unique() if t != NETWORK)
who = filters.choice("Trust", choices, name="reporting_trust", format_func=ui.trust_label)
w = (
    weeks[weeks["trust_code"] == who]
    .groupby("week")[["exams_tested", "reports_verified", "reports_outsourced"]]
    .sum()
    .reset_index()
)
w = suppress_frame(
    w.assign(trust_code=who),
    counts=["exams_tested", "reports_verified", "reports_outsourced"],
    numeric=True,
)
lines = w.melt(
    id_vars="week",
    value_vars=["exams_tested", "reports_verified"],
    var_name="series",
    value_name="exams",
)
lines["series"] = lines["series"].map(
    {"exams_tested": "tested (inflow)", "reports_verified": "reported"}
)
st.altair_chart(
    alt.layer(
        alt.Chart(w)
        .mark_bar(color="#d9d9d9")
        .encode(
            x=alt.X("week:T", title=None),
            y=alt.Y("reports_outsourced:Q", title="exams per week"),
            tooltip=["week:T", "reports_outsourced"],
        ),
        alt.Chart(lines)
        .mark_line(point=True)
        .encode(
            x="week:T",
            y="exams:Q",
            color=alt.Color("series:N", title=None),
            tooltip=["week:T", "series", "exams"],
        ),
    ).properties(height=300),
    width="stretch",
)
st.caption("Grey bars: reports outsourced. The latest week may be partial.")
