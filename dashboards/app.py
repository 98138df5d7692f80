"""Entry point of the WMIN dashboards: `streamlit run dashboards/app.py` (what `wmin serve` runs).

Reads only the published analytics database, through `dashboards.data`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st


def _make_package_importable() -> None:
    # `streamlit run` puts this folder (not the project root) on sys.path; the pages import
    # `dashboards.*`, so make the project root importable when the project is not installed.
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)


def main() -> None:
    _make_package_importable()
    from dashboards import backfill_notice, data, gate

    st.set_page_config(page_title="WMIN imaging", page_icon=":material/radiology:", layout="wide")
    here = Path(__file__).resolve().parent / "app_pages"
    overview = st.Page(
        here / "overview.py", title="Network overview", icon=":material/map:", url_path="overview"
    )

    def open_overview() -> None:
        # The default page is served at the root URL only, so the overview is not the default:
        # the root forwards to /overview with the link's filters, and /overview works as a link.
        st.switch_page(
            overview, query_params=[(k, st.query_params.get_all(k)) for k in st.query_params]
        )

    pages = {
        "Network": [
            st.Page(
                open_overview, title="Home", url_path="home", default=True, visibility="hidden"
            ),
            overview,
            st.Page(
                here / "spc.py",
                title="Board measures (SPC)",
                icon=":material/monitoring:",
                url_path="spc",
            ),
        ],
        "Performance": [
            st.Page(
                here / "turnaround.py",
                title="Turnaround times",
                icon=":material/timer:",
                url_path="turnaround",
            ),
            st.Page(
                here / "waiting_list.py",
                title="Waiting list",
                icon=":material/format_list_numbered:",
                url_path="waiting-list",
            ),
            st.Page(
                here / "reporting.py",
                title="Reporting",
                icon=":material/description:",
                url_path="reporting",
            ),
        ],
        "Capacity": [
            st.Page(
                here / "planning.py",
                title="Planning",
                icon=":material/trending_up:",
                url_path="planning",
            ),
            st.Page(
                here / "scheduling.py",
                title="Scheduling capacity",
                icon=":material/event_available:",
                url_path="scheduling",
            ),
            st.Page(
                here / "utilisation.py",
                title="Scanner utilisation",
                icon=":material/donut_large:",
                url_path="utilisation",
            ),
        ],
        "Data": [
            st.Page(
                here / "data_quality.py",
                title="Data quality and feeds",
                icon=":material/fact_check:",
                url_path="data-quality",
            ),
            st.Page(
                here / "downloads.py",
                title="Downloads",
                icon=":material/download:",
                url_path="downloads",
            ),
        ],
    }
    access = gate.admit()  # stops the run at the sign-in or the refused page
    pages = {
        group: [p for p in group_pages if access.may_see_page(p.url_path)]
        for group, group_pages in pages.items()
    }
    page = st.navigation({group: ps for group, ps in pages.items() if ps})
    gate.sidebar(access)
    try:
        data.db_identity()
    except data.DataUnavailable as e:
        st.title("WMIN imaging dashboards")
        st.error(f"The published database cannot be read. {e}")
        st.stop()
    backfill_notice.show()
    try:
        page.run()
    finally:  # after the page: the URL then holds the filters it ran with
        gate.record_page_view(access, page.url_path)


main()
