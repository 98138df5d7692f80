"""The Scheduling page's offers section (docs/offers.md): which long-waiting patients could be
scanned sooner at another trust's site near them. Everyone sees the aggregate (per trust and
per site, through disclosure control); a trust analyst sees their own trust's patients, the
network team any trust's (pseudonymised: `wmin export offers` gives the trust NHS numbers)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboards import data, filters, ui
from dashboards.access import Access
from reporting.disclosure import NETWORK, suppress_mart

DM01_TESTS = ["MRI", "CT", "NOUS", "DEXA", "BARIUM_ENEMA"]
TEST_OF_MODALITY = {"MR": "MRI", "CT": "CT", "US": "NOUS", "DEXA": "DEXA", "FL": "BARIUM_ENEMA"}
LOCAL = "Europe/London"

TRUST_COLUMNS = {  # column: (heading, help)
    "trust": ("trust", "The patients' trust (NETWORK: all trusts)"),
    "patients_waiting": (
        "waiting",
        "Patients waiting 4+ weeks or past their priority's target for the test",
    ),
    "patients_offered_10km": ("≤10 km", "Of them, with a sooner slot at another trust ≤10 km away"),
    "patients_offered_20km": ("≤20 km", "… within 20 km"),
    "patients_offered_40km": ("≤40 km", "… within 40 km"),
    "weeks_saved_40km": ("weeks saved ≤40 km", "Weeks the best offer within 40 km saves, summed"),
    "patients_allocated": (
        "allocated",
        "Patients placed when slots go greedily to the longest waits (no slot counted twice)",
    ),
    "weeks_saved_allocated": ("weeks saved, allocated", "Weeks the allocated slots save, summed"),
}
SITE_COLUMNS = {
    "site": ("site", "Site code and name"),
    "free_slots": ("free slots", "Free slots of the test's modality in the next six weeks"),
    "patients_offered": ("patients offered", "Other trusts' patients it could scan sooner"),
    "offers_absorbed": (
        "absorbed",
        "Of them, placed here by the greedy allocation by longest wait (adds up across sites)",
    ),
    "weeks_saved_absorbed": ("weeks saved", "Weeks the absorbed offers save, summed"),
}
LIST_COLUMNS = {  # short headings so the whole row fits at 1280 px
    "exam": ("exam", "Pseudonymised exam key (fct_exams.exam_key), first 10 characters"),
    "weeks_waited": ("waited", "Whole weeks waited at the as-of date"),
    "own_option": ("own option", "booked, own_free_slot or none_in_horizon (docs/offers.md)"),
    "own_option_date": ("own date", "Date of the booking or of the trust's next free slot"),
    "site": ("site", "The offering site of another trust"),
    "slot": ("slot", "The site's earliest free slot (local time)"),
    "weeks_saved": ("saves", "Weeks saved: own date minus the slot's date, in weeks"),
    "distance_km": ("km", "From the centroid of the patient's postcode district"),
    "is_allocated": ("allocated", "The site the greedy allocation by longest wait gives them"),
}


def _headed(df: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> tuple[pd.DataFrame, dict]:
    shown = df[list(columns)].rename(columns={k: v[0] for k, v in columns.items()})
    config = {h: st.column_config.Column(h, help=text) for h, text in columns.values()}
    return shown, config


def _by_trust(test: str, trusts: Sequence[str]) -> None:
    frame = data.scheduling_offers_by_trust()
    frame = frame[frame["dm01_test"] == test]
    if trusts:
        frame = frame[frame["trust_code"].isin([*trusts, NETWORK])]
    frame = ui.apply_trust_labels(ui.order_network_first(frame))
    shown, config = _headed(suppress_mart("scheduling_offers_by_trust", frame), TRUST_COLUMNS)
    ui.table(
        shown,
        decimals={"weeks saved ≤40 km": 1, "weeks saved, allocated": 1},
        key="offers_trusts",
        column_config=config,
    )


def _by_site(test: str, trusts: Sequence[str], names: dict[str, str]) -> None:
    frame = data.scheduling_offers_by_site()
    frame = frame[frame["dm01_test"] == test]
    if trusts:
        frame = frame[frame["trust_code"].isin(trusts)]
    frame = frame.sort_values(["offers_absorbed", "patients_offered"], ascending=False)
    frame["site"] = [f"{s} {names.get(s, '')}".strip() for s in frame["site_code"]]
    shown, config = _headed(suppress_mart("scheduling_offers_by_site", frame), SITE_COLUMNS)
    ui.table(shown, decimals={"weeks saved": 1}, key="offers_sites", column_config=config)


def _list_trust(access: Access | None, trusts: Sequence[str], known: list[str]) -> str | None:
    """The trust whose patients the viewer sees: a trust analyst's own; the network team picks."""
    if access is None:
        return None
    if access.role == "trust_analyst":
        return access.trust
    if not access.all_trusts or not known:
        return None
    default = next((t for t in trusts if t in known), known[0])
    return filters.choice("Patients of trust", known, name="offers_trust", default=default)


def _patient_list(test: str, trust: str, names: dict[str, str]) -> None:
    rows = data.scheduling_offer_rows(trust)
    rows = rows[rows["dm01_test"] == test]
    if rows.empty:
        st.info(f"No {test} patient of {trust} has a sooner offer.")
        return
    rows["exam"] = rows["exam_key"].str[:10]
    rows["site"] = [f"{s} {names.get(s, '')}".strip() for s in rows["offered_site_code"]]
    local = pd.to_datetime(rows["offered_slot_at"], utc=True).dt.tz_convert(LOCAL)
    rows["slot"] = local.dt.strftime("%a %d %b %H:%M")
    st.caption(
        f"{rows['exam_key'].nunique():,} {test} patients of {trust}, {len(rows):,} offers "
        "(one row per patient and site; the allocated site first). Pseudonymised: the trust's "
        f"waiting-list team gets NHS numbers and accessions with `wmin export offers --trust {trust}`."
    )
    shown, config = _headed(rows, LIST_COLUMNS)
    ui.table(shown, decimals={"saves": 1, "km": 1}, key="offers_list", column_config=config)


def render(trusts: Sequence[str], modalities: Sequence[str]) -> None:
    """The offers section, after the page's capacity ranking."""
    st.subheader("Patients who could be scanned sooner at another trust")
    if not data.has_table("scheduling_offers_by_trust"):
        st.info("No scheduling offers published yet (they come with the next nightly build).")
        return
    by_trust = data.scheduling_offers_by_trust()
    tests = [t for t in DM01_TESTS if t in set(by_trust["dm01_test"])]
    if not tests:
        st.info("No patient waits long enough for an offer.")
        return
    preferred = next((TEST_OF_MODALITY.get(m) for m in modalities if m in TEST_OF_MODALITY), None)
    test = filters.choice("DM01 test", tests, name="offers_test", default=preferred)
    as_of = pd.Timestamp(by_trust["as_of_date"].max()).date()
    st.caption(
        f"As of {as_of:%d %b %Y}. Patients on the DM01 list waiting 4 weeks or more, or past "
        "their priority's target; an offer is another trust's site whose earliest free slot of "
        "the test's modality comes before the patient's booking (or their trust's next free "
        "slot), within 40 km of their postcode district. Allocated: slots given to the longest "
        "waits first, so no slot is counted twice (docs/offers.md)."
    )
    names = dict(zip(data.sites()["site_code"], data.sites()["site_name"], strict=False))
    _by_trust(test, trusts)
    st.markdown(f"**Sites that could take {test} patients of other trusts**")
    _by_site(test, trusts, names)
    access = data.viewer()
    trust = _list_trust(access, trusts, sorted(set(by_trust["trust_code"]) - {NETWORK}))
    if trust is None:
        return
    st.markdown(f"**{trust}'s patients with a sooner offer**")
    try:
        _patient_list(test, trust, names)
    except data.AccessDenied as e:
        data.audit("refused", access, what="scheduling offers", trust=trust)
        st.error(f"Refused: {e}.")
    st.caption(ui.SUPPRESSION_NOTE)
