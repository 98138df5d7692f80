"""The demo backfill's notice on every page, and a fresh run of the page when the backfill
publishes its next slice (the page's queries then read the new file: dashboards/data.py)."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from reporting.backfill import LOADING, notice, read_status

CHECK_SECONDS = 10  # how often a page still loading looks for the next publish


def show() -> None:
    """Say how much of the backfill is in while it loads (or that it stopped); nothing after."""
    backfill = read_status(data.analytics_db_path())
    text = notice(backfill, data.as_of_date())
    if text is None:
        return
    if backfill is not None and backfill.state == LOADING:
        st.info(text, icon=":material/hourglass_top:")
        _rerun_when_published(data.db_identity())
    else:
        st.warning(text, icon=":material/warning:")


@st.fragment(run_every=CHECK_SECONDS)
def _rerun_when_published(shown: tuple[str, int, int]) -> None:
    if data.db_identity() != shown:
        st.rerun(scope="app")
