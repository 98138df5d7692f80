"""Turnaround times: request to test and test to report, by trust, modality and priority."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, filters, spc, ui
from reporting.disclosure import NETWORK, suppress_frame, suppress_mart

TARGET_HOURS = {"ed": 24, "inpatient": 48, "suspected_cancer": 168, "urgent": 168,
                "routine": 672, "planned": 672}  # METRICS.md defaults, drawn as the SPC target line
MEASURES = {
    "test_to_report_median_hours": ("Median test to report (hours)", "down"),
    "reported_within_target_pct": ("% reported within target", "up"),
    "request_to_test_median_days": ("Median request to test (days)", "down"),
    "test_to_report_median_days": ("Median test to report (days)", "down"),
}

f = filters.render()
ui.header("Turnaround times", "Request to test and test to report from tat_monthly (one row per month, "
          "trust, modality and priority) and, for distributions, fct_exams.")
ui.stop_if_missing("tat_monthly", "fct_exams")

tat = data.tat_monthly(f.start, f.end, f.trusts, f.modalities, f.priorities)
if tat.empty:
    st.info("No exams in this selection.")
    st.stop()

# --- the month at the mart's grain
month = f.end_month
st.subheader(f"By trust, modality and priority: {ui.month_label(month)}")
latest = tat[tat["month"] == pd.Timestamp(month)]
latest = ui.order_network_last(latest, others=("modality", "priority"))
shown = ui.apply_trust_labels(suppress_mart("tat_monthly", latest))
ui.table(shown.drop(columns=["month", "trust_code"]),
         decimals={c: 1 for c in MEASURES} | {"request_to_test_p90_days": 1,
                                              "test_to_report_p90_days": 1},
         key="tat_latest")
ui.suppression_note()

# --- SPC for one series
st.subheader("Statistical process control (XmR)")
trust_options = [NETWORK] + sorted(t for t in tat["trust_code"].unique() if t != NETWORK)
mod_options = sorted(tat["modality"].unique())
present_priorities = set(tat["priority"])
pri_options = [p for p in TARGET_HOURS if p in present_priorities]
c1, c2, c3, c4 = st.columns(4)
trust = c1.selectbox("Trust", trust_options, format_func=ui.trust_label, key="spc_trust")
modality = c2.selectbox("Modality", mod_options, key="spc_modality",
                        index=mod_options.index("CT") if "CT" in mod_options else 0)
priority = c3.selectbox("Priority", pri_options, key="spc_priority",
                        index=pri_options.index("routine") if "routine" in pri_options else 0)
measure = c4.selectbox("Measure", list(MEASURES), format_func=lambda m: MEASURES[m][0], key="spc_measure")
series = tat[(tat["trust_code"] == trust) & (tat["modality"] == modality) & (tat["priority"] == priority)]
series = suppress_mart("tat_monthly", series, numeric=True).sort_values("month")
table = spc.xmr(series[measure].tolist(), [pd.Timestamp(m) for m in series["month"]])
title, direction = MEASURES[measure]
target = float(TARGET_HOURS[priority]) if measure == "test_to_report_median_hours" else None
if len(table) < 2:
    st.info("Not enough months with a value (after suppression) to draw an XmR chart.")
else:
    summary = spc.summarise(table, improvement=direction, target=target)  # type: ignore[arg-type]
    st.vega_lite_chart(spc.xmr_chart(table, f"{ui.trust_label(trust)} · {modality} · {priority}", title,
                                     improvement=direction, target=target),  # type: ignore[arg-type]
                       width="stretch")
    st.caption(f"Mean {summary.mean:,.1f}; natural process limits {summary.lnpl:,.1f} to {summary.unpl:,.1f}; "
               f"latest month: {summary.variation}"
               + (f"; target {target:,.0f} h: {summary.assurance}" if summary.assurance else "")
               + ". Special cause: a point beyond the limits, 7+ points on one side of the mean, "
               "6+ points rising or falling, or 2 of 3 points beyond 2 sigma.")

# --- % within target and medians by trust for the same modality and priority
st.subheader(f"Trend by trust: {modality} · {priority}")
trend = tat[(tat["modality"] == modality) & (tat["priority"] == priority)]
trend = suppress_mart("tat_monthly", trend, numeric=True)
trend = trend.assign(trust=ui.trust_labels(trend["trust_code"].tolist()))
left, right = st.columns(2)
left.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
    x=alt.X("month:T", title=None), y=alt.Y("reported_within_target_pct:Q", title="% reported within target"),
    color=alt.Color("trust:N", legend=alt.Legend(orient="bottom", columns=2)),
    tooltip=["trust", "month:T", "reported_within_target_pct"]).properties(height=280), width="stretch")
right.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
    x=alt.X("month:T", title=None), y=alt.Y("request_to_test_median_days:Q", title="median request to test (days)"),
    color=alt.Color("trust:N", legend=alt.Legend(orient="bottom", columns=2)),
    tooltip=["trust", "month:T", "request_to_test_median_days"]).properties(height=280), width="stretch")

# --- distributions from the exams of the period
st.subheader("Distributions (exams tested in the period)")
d1, d2 = st.columns(2)
for column, measure_name, unit, title in (
        (d1, "request_to_test_days", "weeks", "Request to test"),
        (d2, "test_to_report_days", "days", "Test to report")):
    hist = data.exam_interval_histogram(measure_name, f.start, f.end, f.trusts, f.modalities, f.priorities)
    hist = hist[hist["trust_code"] != NETWORK]
    hist = suppress_frame(hist, counts=["exams"], numeric=True)
    hist["interval"] = hist["bin_start"] // (7 if unit == "weeks" else 1)
    hist["trust"] = ui.trust_labels(hist["trust_code"].tolist())
    column.altair_chart(alt.Chart(hist).mark_bar().encode(
        x=alt.X("interval:O", title=f"{title} ({unit}; last bar = 10+ weeks / 70+ days)"),
        y=alt.Y("exams:Q", title="exams", stack=True),
        color=alt.Color("trust:N", legend=alt.Legend(orient="bottom", columns=2)),
        tooltip=["trust", "interval", "exams"]).properties(height=280), width="stretch")
