"""Turnaround times: request to test and test to report, by trust, modality and priority."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data, filters, spc, ui
from reporting.disclosure import NETWORK, suppress_frame, suppress_mart
from reporting.measures import (
    REPORTED_WITHIN_TARGET_PCT,
    REQUEST_TO_TEST_MEDIAN_DAYS,
    TEST_TO_REPORT_MEDIAN_HOURS,
)

SPC_MEASURES = {
    m.key: m
    for m in (TEST_TO_REPORT_MEDIAN_HOURS, REPORTED_WITHIN_TARGET_PCT, REQUEST_TO_TEST_MEDIAN_DAYS)
}  # tat_monthly columns
DECIMALS = {
    "test_to_report_median_hours": 1,
    "reported_within_target_pct": 1,
    "request_to_test_median_days": 1,
    "test_to_report_median_days": 1,
    "request_to_test_p90_days": 1,
    "test_to_report_p90_days": 1,
}

f = filters.render()
ui.header(
    "Turnaround times",
    "Request to test and test to report from tat_monthly (one row per month, "
    "trust, modality and priority) and, for distributions, fct_exams.",
)
ui.stop_if_missing("tat_monthly", "fct_exams")

tat = data.tat_monthly(f.start, f.end, f.trusts, f.modalities, f.priorities)
if tat.empty:
    st.info("No exams in this selection.")
    st.stop()

# --- the month at the mart's grain
month = f.end_month
st.subheader(f"By trust, modality and priority: {ui.month_label(month)}")
latest = tat[tat["month"] == pd.Timestamp(month)]
latest = ui.order_network_first(latest, others=("modality", "priority"))
shown = ui.apply_trust_labels(suppress_mart("tat_monthly", latest))
ui.table(shown.drop(columns=["month", "trust_code"]), decimals=DECIMALS, key="tat_latest")
ui.suppression_note()

# --- SPC for one series: every published month, judged as the board pack judges them
st.subheader("Statistical process control (XmR)")
targets = data.reporting_targets()
trust_options = [NETWORK] + (list(f.trusts) or sorted(data.trust_names()))
mod_options = (
    list(f.modalities) or data.modalities()
)  # the sidebar's, so the trends below have data
pri_options = [p for p in targets if p in (f.priorities or data.priorities())] or list(
    f.priorities or data.priorities()
)
c1, c2, c3, c4 = st.columns(4)
trust = filters.choice(
    "Trust", trust_options, name="spc_trust", format_func=ui.trust_label, where=c1
)
modality = filters.choice("Modality", mod_options, name="spc_modality", where=c2, default="CT")
priority = filters.choice("Priority", pri_options, name="spc_priority", where=c3, default="routine")
measure = SPC_MEASURES[
    filters.choice(
        "Measure",
        list(SPC_MEASURES),
        name="spc_measure",
        where=c4,
        format_func=lambda k: SPC_MEASURES[k].label,
    )
]
narrowed = [
    f"{what} ({', '.join(chosen)})"
    for what, chosen in (
        ("trusts", f.trusts),
        ("modalities", f.modalities),
        ("priorities", f.priorities),
    )
    if chosen
]
if narrowed:
    st.caption("Offered here: the " + " and the ".join(narrowed) + " chosen in the sidebar.")
months = data.months()
series = data.tat_monthly(months[0], data.month_end(months[-1]), (trust,), (modality,), (priority,))
series = suppress_mart("tat_monthly", series[series["trust_code"] == trust], numeric=True)
table = data.spc_table(
    measure.key,
    trust,
    series[["trust_code", "month"]].assign(
        month=pd.to_datetime(series["month"]).dt.date, value=series[measure.key]
    ),
)
target = targets.get(priority) if measure is TEST_TO_REPORT_MEDIAN_HOURS else None
st.markdown(
    f"**{ui.trust_label(trust)} · {modality} · {priority} · {measure.label} ({measure.unit})**"
)
spc.show(
    table,
    f"{measure.label} ({measure.unit})",
    measure.unit,
    measure.improvement,
    target,
    f"{priority} reporting target {target} hours",
    measure.floor,
    measure.ceiling,
    key="spc_chart",
)
st.caption(
    "The chart uses every published month, whatever the sidebar's period. Trust months with "
    "1-7 exams are suppressed and so left out."
)

# --- % within target and medians by trust for the same modality and priority
st.subheader(f"Trend by trust: {modality} · {priority}")
trend = tat[(tat["modality"] == modality) & (tat["priority"] == priority)]
trend = suppress_mart("tat_monthly", trend, numeric=True)
highlighted = charts.highlight_choice(f.trusts)
left, right = st.columns(2)
left.altair_chart(
    charts.trust_lines(
        trend,
        "month",
        "reported_within_target_pct",
        "% reported within target",
        highlighted,
        zero=False,
    ),
    width="stretch",
)
right.altair_chart(
    charts.trust_lines(
        trend, "month", "request_to_test_median_days", "median request to test (days)", highlighted
    ),
    width="stretch",
)
st.caption(charts.others_note(f.trusts, highlighted))

# --- distributions from the exams of the period: the highlighted trust against the network
st.subheader("Distributions (exams tested in the period)")
d1, d2 = st.columns(2)
for column, measure_name, unit, title, cap in (
    (d1, "request_to_test_days", "weeks", "Request to test", 70),
    (d2, "test_to_report_days", "days", "Test to report", 28),
):  # 28+ days: past the national limit
    hist = data.exam_interval_histogram(
        measure_name, f.start, f.end, f.trusts, f.modalities, f.priorities, cap=cap
    )
    hist = suppress_frame(hist, counts=["exams"], numeric=True)
    hist["interval"] = hist["bin_start"] // (7 if unit == "weeks" else 1)
    last = f"{cap // 7}+ weeks" if unit == "weeks" else f"{cap}+ days"
    column.altair_chart(
        charts.share_bars(
            hist,
            "interval",
            "exams",
            highlighted,
            f"{title} ({unit}; last bar = {last})",
            labels=None if unit == "weeks" else range(0, cap + 1, 7),
        ),
        width="stretch",
    )
st.caption(
    f"Share of the exams of {ui.trust_label(highlighted)} and of the network in each interval "
    "(trust counts rounded to 5, bins of 1-7 exams left out)."
)
viewer = data.viewer()
if viewer is not None and not viewer.all_trusts and highlighted not in (viewer.trust, data.NETWORK):
    st.caption(
        f"Figures made from exam-level rows are shown for your own trust and the network "
        f"only ({viewer.label}): {highlighted}'s distribution is not drawn."
    )
