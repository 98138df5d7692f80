from pathlib import Path

import duckdb
import pytest

from pipeline.quality_gate import run_gate, store_results

MARTS_SQL = """
create table tat_monthly as select * from (values
  (date '2026-01-01', 'RRK', 'CT', 'routine', 10, 5.0, 9.0, 8, 2.0, 40.0, 48.0, 75.0::double, 0),
  (date '2026-01-01', 'RJE', 'CT', 'routine', 5, 4.0, 8.0, 5, 1.0, 30.0, 24.0, 80.0, 0),
  (date '2026-01-01', 'NETWORK', 'CT', 'routine', 15, 4.5, 9.0, 13, 1.5, 35.0, 30.0, 76.0, 0)
) t(month, trust_code, modality, priority, exams_tested, request_to_test_median_days,
    request_to_test_p90_days, exams_reported, test_to_report_median_days, test_to_report_p90_days,
    test_to_report_median_hours, reported_within_target_pct, reported_over_28_days);
create table did_activity_monthly as select * from (values
  (date '2026-01-01', 'RRK', 'CT', '03', 10, 5.0, 2.0),
  (date '2026-01-01', 'RJE', 'CT', '03', 5, 4.0, 1.0),
  (date '2026-01-01', 'NETWORK', 'CT', '03', 15, 4.5, 1.5)
) t(month, trust_code, modality, patient_source_setting, exams_tested,
    request_to_test_median_days, test_to_report_median_days);
create table waiting_list_census as select * from (values
  (date '2026-01-31', 'RRK', 'CT', 4, 1, 0, 25.0, 2.0),
  (date '2026-01-31', 'NETWORK', 'CT', 4, 1, 0, 25.0, 2.0)
) t(census_date, trust_code, dm01_test, total_waiting, waiting_6_plus_weeks,
    waiting_13_plus_weeks, pct_waiting_6_plus_weeks, median_weeks_waited);
create table reporting_backlog as select * from (values
  (date '2026-01-31', 'RRK', 'CT', 3), (date '2026-01-31', 'NETWORK', 'CT', 3)
) t(as_of_date, trust_code, modality, unreported_exams);
create table fct_exams as select * from (values (3, 1, 20.5), (0, 0, 1.0))
  t(request_to_test_days, test_to_report_days, test_to_report_hours);
create table scanner_utilisation_daily as select * from (values (80.0), (101.0)) t(utilisation_pct);
create table feed_health_daily as select * from (values
  (date '2026-01-02', 'RRK', 10), (date '2026-01-02', 'RJE', 10)) t(date, trust_code, rows_loaded);
"""
NAMES = [
    "tat_monthly",
    "did_activity_monthly",
    "waiting_list_census",
    "reporting_backlog",
    "fct_exams",
    "scanner_utilisation_daily",
    "feed_health_daily",
]


@pytest.fixture()
def restricted(tmp_path: Path) -> Path:
    db = tmp_path / "restricted.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(MARTS_SQL)
    return db


def _relations() -> dict[str, str]:
    return {n: f'"main"."{n}"' for n in NAMES}


def test_clean_marts_pass_with_utilisation_only_a_warning(restricted: Path) -> None:
    result = run_gate(restricted, _relations())
    assert result.passed, result.describe_failures()
    warnings = [o for o in result.outcomes if not o.success]
    assert [o.check_name for o in warnings] == ["utilisation_within_0_100"]
    store_results(restricted, "run-1", result)
    with duckdb.connect(str(restricted)) as con:
        assert con.execute("select count(*) from pipeline.expectation_results").fetchone()[
            0
        ] == len(result.outcomes)


def test_broken_percentage_and_network_sum_fail(restricted: Path) -> None:
    with duckdb.connect(str(restricted)) as con:
        con.execute(
            "update tat_monthly set reported_within_target_pct = 130 where trust_code = 'RJE'"
        )
        con.execute("update tat_monthly set exams_tested = 16 where trust_code = 'NETWORK'")
    result = run_gate(restricted, _relations())
    failed = {o.check_name for o in result.blocking_failures}
    assert failed == {"tat_percentages_and_intervals", "network_equals_sum_of_trusts"}
    assert "130" in result.describe_failures()


def test_negative_interval_fails(restricted: Path) -> None:
    with duckdb.connect(str(restricted)) as con:
        con.execute("insert into fct_exams values (-2, 0, 1.0)")
    assert {o.check_name for o in run_gate(restricted, _relations()).blocking_failures} == {
        "exam_intervals_not_negative"
    }


def test_report_page_names_the_failing_expectation(restricted: Path, tmp_path: Path) -> None:
    from pipeline.quality_report import write_gate_report

    with duckdb.connect(str(restricted)) as con:
        con.execute(
            "update waiting_list_census set pct_waiting_6_plus_weeks = -5 where trust_code = 'RRK'"
        )
    result = run_gate(restricted, _relations())
    page = write_gate_report(tmp_path / "reports", "20260101T020000.000000Z", result)
    text = page.read_text(encoding="utf-8")
    assert page.name == "quality_gate_20260101T020000.000000Z.html"
    assert "FAILED: nothing was published" in text
    failing_row = next(line for line in text.split("<tr") if "FAIL (blocks publish)" in line)
    assert "census_percentages" in failing_row and "pct_waiting_6_plus_weeks" in failing_row
    assert (tmp_path / "reports" / "quality_gate_latest.html").read_text(encoding="utf-8") == text
    # GE's own data docs page per check, linked from the summary
    docs = tmp_path / "reports" / "data_docs" / "20260101T020000.000000Z"
    assert "data_docs/20260101T020000.000000Z/census_percentages.html" in failing_row
    census_page = (docs / "census_percentages.html").read_text(encoding="utf-8")
    assert "pct_waiting_6_plus_weeks" in census_page and "Failed" in census_page
    assert {p.stem for p in docs.glob("*.html")} == {o.check_name for o in result.outcomes}


def test_integer_columns_reach_ge_as_numpy_numbers_with_nulls_as_nan() -> None:
    import numpy as np
    import pandas as pd

    from pipeline.quality_gate import _numpy_numbers

    frame = _numpy_numbers(
        pd.DataFrame(
            {
                "whole": pd.array([3, -2], dtype="Int32"),
                "gappy": pd.array([1, None], dtype="Int32"),
                "hours": [1.5, 2.0],
            }
        )
    )
    assert frame["whole"].dtype == np.int64 and frame["whole"].tolist() == [3, -2]
    assert frame["gappy"].dtype == np.float64 and np.isnan(frame["gappy"].iloc[1])
    assert frame["hours"].dtype == np.float64


def test_ge_fingerprints_no_gate_batch_and_keeps_its_threshold_for_others(restricted: Path) -> None:
    from great_expectations.execution_engine import pandas_execution_engine as engine

    threshold = engine.HASH_THRESHOLD  # the GE setting the gate turns off while it runs
    result = run_gate(restricted, _relations())
    assert threshold == engine.HASH_THRESHOLD
    markers = [r.meta.get("batch_markers", {}) for _, r in result.suite_results]
    assert markers and not any("pandas_data_fingerprint" in m for m in markers)
