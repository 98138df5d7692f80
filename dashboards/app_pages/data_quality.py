"""Data quality and feeds: feed health, the data-quality scorecard, rejections and quarantined files."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, data, filters, ui

STATUS_COLOURS = {"ok": "#1a9641", "late": "#fdae61", "missing": "#d7191c", "failed": "#7b3294"}

f = filters.render(show=("period", "trusts"))
ui.header(
    "Data quality and feeds",
    "Nightly deliveries per trust (feed_health_daily), the monthly data-quality "
    "scorecard, rows rejected by reason and files quarantined whole.",
)
ui.stop_if_missing("feed_health_daily")

st.subheader("Feed health (latest day)")
latest = data.feed_latest(f.trusts)
health = latest.assign(status=[ui.STATUS_ICON.get(s, s) for s in latest["status"]])
health = ui.apply_trust_labels(health)
ui.table(
    health[
        [
            "trust",
            "date",
            "status",
            "files_received",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "reject_rate",
            "last_file_at",
            "hours_since_last_file",
        ]
    ],
    key="dq_health",
)
bad = latest[latest["status"] != "ok"]
if not bad.empty:
    st.warning(
        "Feeds needing attention: "
        + ", ".join(f"{ui.trust_label(r.trust_code)} ({r.status})" for r in bad.itertuples())
    )

end = data.as_of_date()
history = data.feed_health(end - timedelta(days=41), end, f.trusts)
history["trust"] = ui.trust_labels(history["trust_code"].tolist())
st.altair_chart(
    alt.Chart(history)
    .mark_rect()
    .encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("trust:N", title=None),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
        ),
        tooltip=[
            "trust",
            "date:T",
            "status",
            "rows_read",
            "rows_rejected",
            "hours_since_last_file",
        ],
    )
    .properties(
        height=charts.height_for_rows(history["trust"].nunique(), 30, 110),
        title="Status by day, last six weeks",
    ),
    width="stretch",
)

st.subheader("Data-quality scorecard")
score = data.dq_scorecard(f.start, f.end, f.trusts)
if score.empty:
    st.info("The data-quality scorecard (dq_scorecard_monthly) is not published yet.")
else:
    month = score["month"].max()
    now = score[score["month"] == month].copy()
    now["rate_pct"] = (100 * now["rate"]).round(2)
    now["trust"] = ui.trust_labels(now["trust_code"].tolist())
    st.caption(f"{pd.Timestamp(month):%B %Y}: % of records passing each check")
    pivot = now.pivot_table(index="trust", columns="measure", values="rate_pct").reset_index()
    ui.table(pivot, key="dq_scorecard")
    st.altair_chart(
        alt.Chart(now)
        .mark_rect()
        .encode(
            x=alt.X("measure:N", title=None),
            y=alt.Y("trust:N", title=None),
            color=alt.Color(
                "rate_pct:Q",
                title="% passing",
                scale=alt.Scale(scheme="redyellowgreen", domain=[90, 100], clamp=True),
            ),
            tooltip=["trust", "measure", "numerator", "denominator", "rate_pct"],
        )
        .properties(height=charts.height_for_rows(now["trust"].nunique(), 24, 120)),
        width="stretch",
    )

st.subheader("Rows rejected, by reason")
rej = data.rejections_by_reason(f.trusts)
if rej.empty:
    st.info("No rejected rows (or rejections_by_reason is not published yet).")
else:
    rej["trust"] = ui.trust_labels(rej["trust_code"].tolist())
    st.altair_chart(
        alt.Chart(rej)
        .mark_bar()
        .encode(
            y=alt.Y("reason_code:N", title=None, sort="-x"),
            x=alt.X("sum(rows):Q", title="rows rejected"),
            color=alt.Color(
                "trust_code:N",
                title="trust",
                scale=charts.trust_colour_scale(rej["trust_code"]),
                legend=alt.Legend(orient="right"),
            ),
            tooltip=["trust", "reason_code", "rows"],
        )
        .properties(
            height=charts.height_for_rows(  # tall enough for the legend's trusts beside it
                rej["reason_code"].nunique(), 28, 70, minimum=18 * rej["trust_code"].nunique() + 40
            )
        ),
        width="stretch",
    )
    ui.table(rej[["trust", "reason_code", "rows"]], key="dq_rejections")

st.subheader("Quarantined files")
quarantined = data.quarantined_files(f.trusts)
if quarantined.empty:
    st.success("No quarantined files.")
else:
    ui.table(ui.apply_trust_labels(quarantined).drop(columns="trust_code"), key="dq_quarantined")
