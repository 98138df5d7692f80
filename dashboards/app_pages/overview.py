"""Network overview: one row per trust for the chosen month, against the same month last year."""

from __future__ import annotations

import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboards import data, filters, ui
from reporting.disclosure import MARK, NETWORK, percentage, suppress_frame

STALE_HOURS = 36

f = filters.render()
ui.header(
    "Network overview",
    "Activity, turnaround, waiting list, reporting backlog and feeds per trust "
    "for the last month of the period.",
)
ui.stop_if_missing(
    "tat_monthly", "fct_exams", "waiting_list_census", "reporting_backlog", "feed_health_daily"
)

month = f.end_month
last_year = ui.shift_months(month, -12)
month_end = min(data.month_end(month), data.as_of_date())

# activity: exams tested this month and in the same month last year (tat_monthly)
tat = data.tat_monthly(last_year, month, f.trusts, f.modalities, f.priorities)
tat = tat[tat["month"].isin([pd.Timestamp(month), pd.Timestamp(last_year)])]
activity = (
    tat.assign(
        which=["this" if pd.Timestamp(m) == pd.Timestamp(month) else "last" for m in tat["month"]]
    )
    .pivot_table(index="trust_code", columns="which", values="exams_tested", aggfunc="sum")
    .reindex(columns=["this", "last"])
    .reset_index()
    .rename(columns={"this": "exams_tested", "last": "exams_same_month_last_year"})
)

# medians from the exams of the month (fct_exams: exact for any modality/priority filter)
medians = data.exam_interval_medians(month, month_end, f.trusts, f.modalities, f.priorities).drop(
    columns="exams_tested"
)

# waiting list at the month's census date, all DM01 tests
census_all = data.waiting_list_census(month, data.month_end(month), f.trusts)
if not census_all.empty:
    census_all = census_all[census_all["census_date"] == census_all["census_date"].max()]
waiting = (
    census_all.groupby("trust_code")[["total_waiting", "waiting_6_plus_weeks"]].sum().reset_index()
)

# reporting backlog over 28 days at the latest date of the month
backlog_day = data.backlog_dates(month_end)
backlog = pd.DataFrame(columns=["trust_code", "age_over_28_days", "unreported_exams"])
if backlog_day is not None:
    bl = data.reporting_backlog(backlog_day, backlog_day, f.trusts, f.modalities)
    backlog = bl.groupby("trust_code")[["age_over_28_days", "unreported_exams"]].sum().reset_index()

feeds = data.feed_latest(f.trusts)[
    ["trust_code", "date", "status", "last_file_at", "hours_since_last_file"]
]

overview = (
    activity.merge(medians, on="trust_code", how="outer")
    .merge(waiting, on="trust_code", how="outer")
    .merge(backlog, on="trust_code", how="outer")
    .merge(feeds, on="trust_code", how="left")
)
overview = ui.order_network_first(overview)

# disclosure control: change % and % waiting from rounded counts


def change_pct(trust: str, now: float, before: float) -> float | str | None:
    """% change on the same month last year; for trusts from rounded counts (suppressed if small)."""
    if pd.isna(now) or pd.isna(before) or before == 0:
        return None
    if trust == NETWORK:
        return round(100 * (now - before) / before, 1)
    ratio = percentage(now, before)
    return ratio if ratio in (None, MARK) else round(ratio - 100, 1)  # type: ignore[operator]


overview["change_pct"] = [
    change_pct(t, a, b)
    for t, a, b in zip(
        overview["trust_code"], overview["exams_tested"], overview["exams_same_month_last_year"]
    )
]
overview["pct_waiting_6_plus_weeks"] = [
    (round(100 * a / b, 1) if b else None) if t == NETWORK else percentage(a, b)
    for t, a, b in zip(
        overview["trust_code"], overview["waiting_6_plus_weeks"], overview["total_waiting"]
    )
]
shown = suppress_frame(
    overview,
    counts=[
        "exams_tested",
        "exams_same_month_last_year",
        "total_waiting",
        "waiting_6_plus_weeks",
        "age_over_28_days",
        "unreported_exams",
    ],
    statistics={
        "request_to_test_median_days": "n_request_to_test",
        "test_to_report_median_days": "n_test_to_report",
        "test_to_report_median_hours": "n_test_to_report",
    },
)

net = overview[overview["trust_code"] == NETWORK]
if not net.empty:
    n = net.iloc[0]
    cols = st.columns(5)
    cols[0].metric(
        f"Exams tested, {ui.month_label(month)}",
        f"{int(n['exams_tested'] or 0):,}",
        delta=None
        if pd.isna(n["change_pct"])
        else f"{n['change_pct']:+.1f}% vs {ui.month_label(last_year)}",
    )
    cols[1].metric(
        "Median request to test",
        "-"
        if pd.isna(n["request_to_test_median_days"])
        else f"{n['request_to_test_median_days']:.1f} days",
    )
    cols[2].metric(
        "Median test to report",
        "-"
        if pd.isna(n["test_to_report_median_hours"])
        else f"{n['test_to_report_median_hours']:.1f} hours",
        help="Half of the month's exams were reported within this many hours of the test "
        "(all priorities; see Turnaround times for each priority against its target).",
    )
    cols[3].metric(
        "Waiting 6+ weeks (DM01)",
        "-" if pd.isna(n["pct_waiting_6_plus_weeks"]) else f"{n['pct_waiting_6_plus_weeks']:.1f}%",
    )
    cols[4].metric(
        "Unreported over 28 days",
        "-" if pd.isna(n["age_over_28_days"]) else f"{int(n['age_over_28_days']):,}",
    )

st.subheader(f"Trusts, {ui.month_label(month)}")
feed_state = shown["status"].fillna("")
shown["feed"] = [
    ""
    if t == NETWORK
    else ui.STATUS_ICON.get(s, s) + ("" if pd.isna(x) else f" · {pd.Timestamp(x):%d %b %H:%M}")
    for t, s, x in zip(shown["trust_code"], feed_state, shown["last_file_at"])
]
shown = ui.apply_trust_labels(shown)
columns = {  # short headings so every column fits at 1280 px; the help says what each is
    "trust": ("trust", "Trust (NETWORK: all trusts, exact figures)"),
    "exams_tested": ("exams", f"Exams tested in {ui.month_label(month)}"),
    "exams_same_month_last_year": (
        f"{last_year:%b %y}",
        f"Exams tested in {ui.month_label(last_year)}",
    ),
    "change_pct": ("change %", "Change on the same month last year"),
    "request_to_test_median_days": ("request→test d", "Median days from request to test"),
    "test_to_report_median_hours": ("test→report h", "Median hours from test to verified report"),
    "pct_waiting_6_plus_weeks": (
        "6+ wk %",
        "% of the DM01 waiting list waiting 6+ weeks at the census",
    ),
    "age_over_28_days": ("unrep. >28 d", "Exams unreported more than 28 days after the test"),
    "feed": (
        "feed · last file",
        "Feed status on the as-of date; when the last file arrived (local)",
    ),
}
config = {
    heading: st.column_config.Column(heading, help=help_text, width=160 if key == "trust" else None)
    for key, (heading, help_text) in columns.items()
}
ui.table(
    shown[list(columns)].rename(columns={k: v[0] for k, v in columns.items()}),
    decimals={"change %": 1, "test→report h": 1, "request→test d": 1},
    height=ui.rows_height(len(shown)),
    key="overview_table",
    column_config=config,
)
ui.suppression_note()

stale = feeds[(feeds["status"] != "ok") | (feeds["hours_since_last_file"] > STALE_HOURS)]
if not stale.empty:
    lines = [
        f"**{ui.trust_label(r.trust_code)}**: feed {r.status}, last file "
        f"{'' if pd.isna(r.last_file_at) else pd.Timestamp(r.last_file_at).strftime('%d %b %Y %H:%M')} "
        f"({r.hours_since_last_file:.0f} h ago)"
        for r in stale.itertuples()
    ]
    st.warning("Stale feeds: figures for these trusts may be incomplete.  \n" + "  \n".join(lines))

st.subheader("Sites")
site_frame = data.sites()
if site_frame.empty:
    st.info("Site locations (dim_site) are not published yet.")
else:
    if f.trusts:
        site_frame = site_frame[site_frame["trust_code"].isin(f.trusts)]
    status = dict(zip(feeds["trust_code"], feeds["status"]))
    colour = {
        "ok": [26, 150, 65, 200],
        "late": [253, 174, 97, 220],
        "missing": [215, 25, 28, 220],
        "failed": [215, 25, 28, 220],
    }
    site_frame = site_frame.assign(
        status=[status.get(t, "unknown") for t in site_frame["trust_code"]],
        colour=[
            colour.get(status.get(t, ""), [120, 120, 120, 200]) for t in site_frame["trust_code"]
        ],
    )
    layer = pdk.Layer(
        "ScatterplotLayer",
        data=site_frame,
        get_position="[longitude, latitude]",
        get_fill_color="colour",
        get_radius=1400,
        pickable=True,
        radius_min_pixels=6,
        radius_max_pixels=30,
    )
    labels = pdk.Layer(
        "TextLayer",
        data=site_frame,
        get_position="[longitude, latitude]",
        get_text="site_code",
        get_size=12,
        get_pixel_offset=[0, -18],
    )
    view = pdk.ViewState(
        latitude=float(site_frame["latitude"].mean()),
        longitude=float(site_frame["longitude"].mean()),
        zoom=8.5,
    )
    st.pydeck_chart(
        pdk.Deck(
            layers=[layer, labels],
            initial_view_state=view,
            map_style=None,
            tooltip={"text": "{site_name}\n{trust_code} feed: {status}"},
        ),
        height=420,
    )
    st.caption(
        "Site colour: feed status of its trust (green ok, amber late, red missing or failed)."
    )
