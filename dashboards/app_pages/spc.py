"""Board measures under SPC: the board pack's headline measures per trust, judged month by month
as Making Data Count reads an XmR chart, with the same months left out as in the pack."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, filters, spc, ui
from reporting.monthly import PACK_MEASURES
from reporting.spc import ASSURANCE_TEXT, VARIATION_TEXT

MEASURES = {m.key: m for m in PACK_MEASURES}

f = filters.render(show=("trusts",))
ui.header(
    "Board measures (SPC)",
    "The board pack's headline measures month by month for the network and each "
    "trust (all modalities and priorities), read as XmR charts the way the pack reads them.",
)
ui.stop_if_missing(
    "tat_monthly", "fct_exams", "waiting_list_census", "feed_health_daily", "dim_date"
)

c1, c2 = st.columns([2, 1])
measure = MEASURES[
    filters.choice(
        "Measure",
        list(MEASURES),
        name="spc_measure",
        format_func=lambda k: f"{MEASURES[k].label} ({MEASURES[k].unit})",
        where=c1,
    )
]
trusts = [data.NETWORK] + (list(f.trusts) or sorted(data.trust_names()))
trust = filters.choice("Trust", trusts, name="spc_trust", format_func=ui.trust_label, where=c2)
if f.trusts:
    st.caption(
        f"Trusts offered: the network and the {len(f.trusts)} chosen in the sidebar ({', '.join(f.trusts)})."
    )

st.subheader(f"{ui.trust_label(trust)}: {measure.label}")
table = data.spc_table(measure.key, trust)
spc.show(
    table,
    f"{measure.label} ({measure.unit})",
    measure.unit,
    measure.improvement,
    measure.target,
    measure.target_label or "",
    measure.floor,
    measure.ceiling,
    key="board_spc",
)

st.subheader(f"Every trust: {measure.label}, latest judged month")
verdicts = data.judgements(measure.key).set_index("trust_code").reindex(trusts)
verdicts["variation"] = verdicts["variation"].fillna("not_enough_data")  # a trust with no series
rows = [
    {
        "trust_code": code,
        "latest judged month": ""
        if pd.isna(v["latest_month"])
        else f"{pd.Timestamp(v['latest_month']):%b %Y}",
        f"value ({measure.unit})": v["latest_value"],
        "variation": VARIATION_TEXT[v["variation"]],
        "assurance": ASSURANCE_TEXT.get(
            v["assurance"] if isinstance(v["assurance"], str) else "", "no target"
        ),
        "mean": v["mean"],
        "lower limit": v["lnpl"],
        "upper limit": v["unpl"],
    }
    for code, v in verdicts.iterrows()
]
matrix = ui.apply_trust_labels(pd.DataFrame(rows)).drop(columns="trust_code")
ui.table(matrix.round(1), height=ui.rows_height(len(matrix)), key="spc_matrix")
st.caption(
    "Trust values are computed from every exam of the trust (not from suppressed counts); a month is "
    "judged once it is complete, mature for the measure and after the trust's feed run-in. See "
    "docs/app.md for how the months are chosen."
)
