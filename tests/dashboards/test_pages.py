"""Every page of the app on the published fixture, with default and non-default filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from reporting.disclosure import MARK
from reporting.disclosure import count as suppress_count
from tests.fixtures.published import EDGE_CASES

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = [
    "overview",
    "spc",
    "turnaround",
    "waiting_list",
    "reporting",
    "scheduling",
    "utilisation",
    "data_quality",
    "downloads",
]
NON_DEFAULT = {
    "from": "2026-01",
    "to": "2026-10",
    "trust": ["RRJ", "RXK"],
    "modality": ["MR"],
    "priority": ["routine", "urgent"],
}


def run_page(page: str, query: dict[str, object] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(
        f"no table with column {column!r}: {[list(d.value.columns) for d in at.dataframe]}"
    )


def metric(at: AppTest, label_start: str) -> str:
    for m in at.metric:
        if m.label.startswith(label_start):
            return m.value
    raise AssertionError(f"no metric {label_start!r}: {[m.label for m in at.metric]}")


def sql(db: Path, query: str, *params: object) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).df()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("query", [None, NON_DEFAULT], ids=["default", "filtered"])
def test_page_runs(app_env: Path, page: str, query: dict | None) -> None:
    at = run_page(page, query)
    assert at.title, "every page has a title"
    if query:
        assert at.query_params["from"] == ["2026-01"] or at.query_params["from"] == "2026-01"


def test_filters_are_written_to_the_url_and_survive_page_changes(app_env: Path) -> None:
    at = run_page("overview", {"trust": ["RXK"], "from": "2026-02", "to": "2026-08"})
    qp = {k: (v if isinstance(v, list) else [v]) for k, v in at.query_params.items()}
    assert qp["trust"] == ["RXK"] and qp["from"] == ["2026-02"] and qp["to"] == ["2026-08"]
    at.multiselect(key="flt_trusts").set_value(["RXK", "RKB"]).run()
    at.switch_page("app_pages/reporting.py").run()
    assert at.multiselect(key="flt_trusts").value == ["RXK", "RKB"]
    assert at.selectbox(key="flt_from").value == date(2026, 2, 1)


def test_overview_figures(app_env: Path) -> None:
    at = run_page("overview")
    tat = sql(
        app_env,
        "select trust_code, sum(exams_tested) as n from tat_monthly "
        "where month = '2026-09-01' group by 1",
    )
    n = dict(zip(tat.trust_code, tat.n))
    assert metric(at, "Exams tested, Sep 2026") == f"{int(n['NETWORK']):,}"
    table = frame_with(at, "exams").set_index("trust")
    rrk = next(i for i in table.index if i.startswith("RRK"))
    assert table.at[rrk, "exams"] == suppress_count(n["RRK"])
    assert table.at["NETWORK (all trusts)", "exams"] == n["NETWORK"]
    over28 = sql(
        app_env,
        "select sum(age_over_28_days) as n from reporting_backlog "
        "where trust_code = 'NETWORK' and as_of_date = '2026-09-30'",
    ).n[0]
    assert metric(at, "Unreported over 28 days") == f"{int(over28):,}"
    assert any(
        "Stale feeds" in w.value and "RRJ" in w.value and "RXK" in w.value for w in at.warning
    )


def test_turnaround_shows_edge_counts_suppressed(app_env: Path) -> None:
    at = run_page(
        "turnaround", {"from": "2026-01", "to": "2026-10", "trust": ["RRJ"], "modality": ["MR"]}
    )
    table = frame_with(at, "exams_tested")
    rrj = table[table["trust"].str.startswith("RRJ")].set_index("priority")
    for (_, _, _, priority), n in EDGE_CASES.items():
        expected = suppress_count(n)
        assert str(rrj.at[priority, "exams_tested"]) == (
            MARK if expected == MARK else f"{expected:,}"
        )
    net = table[table["trust"] == "NETWORK (all trusts)"].set_index("priority")
    mart = sql(
        app_env,
        "select priority, exams_tested, test_to_report_median_hours from tat_monthly "
        "where trust_code='NETWORK' and modality='MR' and month='2026-10-01'",
    ).set_index("priority")
    for p in mart.index:
        assert int(str(net.at[p, "exams_tested"]).replace(",", "")) == mart.at[p, "exams_tested"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_waiting_list_figures(app_env: Path) -> None:
    at = run_page("waiting_list")
    mart = sql(
        app_env,
        "select sum(total_waiting) as t, sum(waiting_6_plus_weeks) as s from waiting_list_census "
        "where trust_code = 'NETWORK' and census_date = '2026-09-30'",
    )
    assert metric(at, "Waiting at 30 Sep 2026") == f"{int(mart.t[0]):,}"
    assert metric(at, "Waiting 6+ weeks") == f"{int(mart.s[0]):,}"


def test_reporting_figures(app_env: Path) -> None:
    at = run_page("reporting")
    mart = sql(
        app_env,
        "select sum(unreported_exams) as n from reporting_backlog "
        "where trust_code = 'NETWORK' and as_of_date = '2026-09-30'",
    )
    assert metric(at, "Unreported exams") == f"{int(mart.n[0]):,}"
    table = frame_with(at, "days to clear")
    assert set(table["status"]) - {""} <= {"needs reporting help", "keeping up", "spare capacity"}


def test_scheduling_ranks_sites_by_earliest_slot(app_env: Path) -> None:
    at = run_page("scheduling", {"modality": ["CT"]})
    mart = sql(
        app_env,
        "select site_code, earliest_free_slot_at from scheduling_capacity where modality='CT' "
        "and as_of_date = (select max(as_of_date) from scheduling_capacity) "
        "order by earliest_free_slot_at nulls last",
    )
    table = frame_with(at, "earliest free slot")
    assert [s.split()[0] for s in table["site"]] == mart.site_code.tolist()
    assert table["earliest free slot"].iloc[-1] == "none in six weeks"


def test_utilisation_figures(app_env: Path) -> None:
    at = run_page("utilisation")
    mart = sql(
        app_env,
        "select sum(available_minutes) as a from scanner_utilisation_daily "
        "where date between '2025-10-01' and '2026-09-30'",
    )
    assert metric(at, "Hours available") == f"{mart.a[0] / 60:,.0f}"


def test_data_quality_lists_feeds_and_quarantine(app_env: Path) -> None:
    at = run_page("data_quality")
    health = frame_with(at, "rows_rejected")
    assert "🔴 missing" in set(health["status"]) and "🟠 late" in set(health["status"])
    quarantined = frame_with(at, "file_name")
    assert set(quarantined["file_name"]) == set(
        sql(app_env, "select file_name from quarantined_files").file_name
    )


def test_downloads_offer_board_pack_and_extracts(app_env: Path) -> None:
    at = run_page("downloads")
    labels = [b.label for b in at.get("download_button")] if at.get("download_button") else []
    assert any("board_pack_2026-09.xlsx" in str(b.proto.label) for b in at.get("download_button"))
    assert any("CSV" in str(b.proto.label) for b in at.get("download_button"))
    _ = labels


def test_page_choices_are_restored_from_and_kept_in_the_url(app_env: Path) -> None:
    at = run_page(
        "turnaround",
        {
            "spc_trust": "RXK",
            "spc_measure": "reported_within_target_pct",
            "highlight": "RKB",
            "from": "2026-01",
        },
    )
    assert at.selectbox(key="choice_spc_trust").value == "RXK"
    assert at.selectbox(key="choice_spc_measure").value == "reported_within_target_pct"
    assert at.selectbox(key="choice_highlight").value == "RKB"
    at.selectbox(key="choice_spc_trust").set_value("RRK").run()
    qp = {k: (v if isinstance(v, list) else [v]) for k, v in at.query_params.items()}
    assert qp["spc_trust"] == ["RRK"] and qp["highlight"] == ["RKB"] and qp["from"] == ["2026-01"]


def test_turnaround_target_comes_from_the_published_targets(
    app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "analytics.duckdb"
    db.write_bytes(app_env.read_bytes())
    with duckdb.connect(str(db)) as con:
        con.execute("update dim_reporting_target set target_hours = 61 where priority = 'routine'")
    monkeypatch.setenv("WMIN_ANALYTICS_DB", str(db))
    at = run_page(
        "turnaround", {"spc_priority": "routine", "spc_measure": "test_to_report_median_hours"}
    )
    captions = " ".join(c.value for c in at.caption)
    assert "routine reporting target 61 hours" in captions


def test_overview_headline_turnaround_in_hours_and_network_first(app_env: Path) -> None:
    at = run_page("overview")
    hours = sql(
        app_env,
        "select quantile_cont(test_to_report_hours, 0.5) as h from fct_exams "
        "where test_date between '2026-09-01' and '2026-09-30'",
    ).h[0]
    assert metric(at, "Median test to report") == f"{hours:.1f} hours"
    table = frame_with(at, "exams")
    assert table["trust"].iloc[0] == "NETWORK (all trusts)"


def test_scheduling_says_the_sidebar_narrows_the_soonest_site(app_env: Path) -> None:
    at = run_page("scheduling", {"trust": ["RRK", "RXK"], "sched_modality": "CT"})
    assert at.selectbox(key="choice_sched_modality").value == "CT"
    said = " ".join([s.value for s in at.success] + [c.value for c in at.caption])
    assert "2 trusts chosen in the sidebar" in said


def test_spc_page_reads_every_trust_as_the_pack_does(app_env: Path) -> None:
    at = run_page("spc", {"spc_measure": "test_to_report_median_hours", "spc_trust": "RRK"})
    assert at.selectbox(key="choice_spc_trust").value == "RRK"
    matrix = frame_with(at, "variation")
    assert matrix["trust"].iloc[0] == "NETWORK (all trusts)" and len(matrix) == 1 + len(
        sql(app_env, "select trust_code from dim_trust where trust_code <> 'NETWORK'")
    )
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_tables_show_dates_as_dates() -> None:
    from dashboards.ui import _as_dates

    midnight = pd.Series(pd.to_datetime(["2026-11-01", "2026-10-31"]))
    assert _as_dates(midnight).tolist() == [date(2026, 11, 1), date(2026, 10, 31)]
    local = pd.Series(pd.to_datetime(["2026-11-01 14:05"]).tz_localize("Europe/London"))
    assert _as_dates(local).tolist() == ["01 Nov 2026 14:05"]


def test_waiting_list_tests_kept_in_the_url(app_env: Path) -> None:
    at = run_page("waiting_list", {"dm01_test": ["CT", "MRI"]})
    assert at.multiselect(key="choice_dm01_test").value == ["CT", "MRI"]
    mart = sql(
        app_env,
        "select sum(total_waiting) as t from waiting_list_census where trust_code = 'NETWORK' "
        "and census_date = '2026-09-30' and dm01_test in ('CT', 'MRI')",
    )
    assert metric(at, "Waiting at 30 Sep 2026") == f"{int(mart.t[0]):,}"
    at.multiselect(key="choice_dm01_test").set_value([]).run()
    assert "dm01_test" not in at.query_params
    everything = sql(
        app_env,
        "select sum(total_waiting) as t from waiting_list_census "
        "where trust_code = 'NETWORK' and census_date = '2026-09-30'",
    )
    assert metric(at, "Waiting at 30 Sep 2026") == f"{int(everything.t[0]):,}"
