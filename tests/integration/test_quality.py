"""Issue 6 on the synthetic network: every injected defect shows in the quality layer with the
defect list's counts, and a broken mart stops the nightly run before publish."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.integration.harness import AS_OF, SYNTH_ARGS, extract_time, wmin

pytestmark = pytest.mark.slow
# The harness's network with seed 8: its ten days hold every semantic defect type at least once
# (defects are drawn at a rate, so a seed is chosen that draws each; seed 3 stopped drawing a
# dates_out_of_order when the generator's warm-up and reporting draws changed).
QUALITY_SYNTH_ARGS = [*SYNTH_ARGS[:-1], "8"]
SEMANTIC = {
    "nhs_number_invalid": "nhs_number_valid",
    "dates_out_of_order": "dates_in_order",
    "unknown_local_code": "local_code_known",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("quality") / "home"
    wmin(home, "synth", *QUALITY_SYNTH_ARGS)
    wmin(home, "nightly", "--as-of", AS_OF)
    return home


def _defects(home: Path, kind: str) -> pd.DataFrame:
    d = pd.read_parquet(home / "truth" / "defects.parquet")
    return d[d["defect_type"] == kind]


def _published(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "analytics.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _restricted(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "restricted.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_missing_night_and_truncated_file_in_feed_health(home: Path) -> None:
    missing = _defects(home, "missing_delivery")
    truncated = _defects(home, "truncated_file")
    assert len(missing) == 1 and len(truncated) == 1, "the window must hold both file defects"
    statuses = {
        (t, d): s
        for t, d, s in _published(
            home, "select trust_code, date, status from feed_health_daily where status <> 'ok'"
        )
    }
    # the defect names the missed file; its night is the extract date of that file
    trust, name = missing.iloc[0]["trust_code"], Path(missing.iloc[0]["file"]).name
    assert statuses.get((trust, extract_time(trust, name).date())) == "missing"
    trust, name = truncated.iloc[0]["trust_code"], Path(truncated.iloc[0]["file"]).name
    assert statuses.get((trust, extract_time(trust, name).date())) == "failed"
    assert _published(
        home,
        "select reason_code from quarantined_files where file_name = ?".replace("?", f"'{name}'"),
    ) == [("truncated_file",)]
    assert len(statuses) == 2, f"only the two injected file defects should alarm: {statuses}"


def test_semantic_defects_counted_in_scorecard(home: Path) -> None:
    examples = _restricted(
        home, "select measure, trust_code, month, accession from dq_failure_examples"
    )
    failing = {
        (m, t, mo): d - n
        for m, t, mo, n, d in _published(
            home,
            "select measure, trust_code, month, numerator, denominator from dq_scorecard_monthly",
        )
    }
    for kind, measure in SEMANTIC.items():
        listed = _defects(home, kind)
        assert len(listed), f"no {kind} in the window"
        # the same exams, found by the scorecard's restricted examples (fewer than the 20 cap)
        found = [(t, a) for m, t, _, a in examples if m == measure]
        assert sorted(found) == sorted(zip(listed["trust_code"], listed["accession"])), kind
        month_of = {(t, a): mo for m, t, mo, a in examples if m == measure}
        expected = Counter((measure, t, month_of[(t, a)]) for t, a in found)
        got = {k: v for k, v in failing.items() if k[0] == measure and v}
        assert got == dict(expected), kind


def test_nightly_ingest_flags_unknown_local_codes_at_load(home: Path) -> None:
    """The nightly passes the seeds' code maps to the loader, so landing carries the flag too."""
    listed = _defects(home, "unknown_local_code")
    flagged = set(
        _restricted(
            home,
            "select trust_code, accession from landing.exam_records "
            "where dq_flags like '%unknown_local_code%'",
        )
    )
    assert set(zip(listed["trust_code"], listed["accession"])) <= flagged


def test_report_date_lag_counts_each_verified_report_once(home: Path) -> None:
    """Timeliness of reports: every verified report of a month is checked once (its first
    delivery), however many rolling snapshots repeat it."""
    scored = {
        (t, m): d
        for t, m, d in _published(
            home,
            "select trust_code, month, denominator from dq_scorecard_monthly "
            "where measure = 'reports_delivered_promptly'",
        )
    }
    truth = pd.read_parquet(home / "truth" / "events.parquet")
    reports = truth.loc[truth["event"] == "report_verified", "event_at"]
    window_start = pd.Timestamp(QUALITY_SYNTH_ARGS[1], tz="UTC")
    delivered_by_now = (reports >= window_start) & (
        reports < pd.Timestamp(AS_OF, tz="UTC") - pd.Timedelta(days=1)
    )
    # at most every true report (snapshots repeat rows), at least those surely delivered
    assert delivered_by_now.sum() <= sum(scored.values()) <= len(reports)
    passing = _published(
        home,
        "select min(rate) from dq_scorecard_monthly where measure = 'reports_delivered_promptly'",
    )[0][0]
    assert 0 < passing <= 1


def test_duplicate_rows_counted_per_delivery_month(home: Path) -> None:
    listed = _defects(home, "duplicate_row")
    assert len(listed)
    expected = Counter(
        ("rows_not_duplicated", t, extract_time(t, Path(f).name).date().replace(day=1))
        for t, f in zip(listed["trust_code"], listed["file"])
    )
    got = {
        (m, t, mo): d - n
        for m, t, mo, n, d in _published(
            home,
            "select measure, trust_code, month, numerator, denominator from dq_scorecard_monthly "
            "where measure = 'rows_not_duplicated' and numerator < denominator",
        )
    }
    assert got == dict(expected)


def test_examples_stay_restricted_and_dids_checks_published(home: Path) -> None:
    tables = {r[0] for r in _published(home, "select table_name from information_schema.tables")}
    assert "dids_presubmission_checks" in tables and "dq_failure_examples" not in tables
    invalid = _published(
        home,
        "select sum(records_failing) from dids_presubmission_checks "
        "where rule = 'NHS_NUMBER_INVALID'",
    )[0][0]
    assert 0 < invalid <= len(_defects(home, "nhs_number_invalid"))
    assert (home / "reports" / "quality_gate_latest.html").exists()


def test_broken_mart_fails_the_gate_and_keeps_the_published_db(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second night whose build leaves a percentage above 100: the gate stops it."""
    import pipeline.build
    from pipeline.cli import app

    broken_home = tmp_path / "home"
    shutil.copytree(home, broken_home)
    analytics = broken_home / "warehouse" / "analytics.duckdb"
    before = analytics.read_bytes()
    real_build = pipeline.build.run_build

    def build_then_break(db: Path, *args: object, **kwargs: object) -> pipeline.build.BuildResult:
        result = real_build(db, *args, **kwargs)
        with duckdb.connect(str(db)) as con:  # the fixture: a mart gone wrong
            con.execute(
                "update main.tat_monthly set reported_within_target_pct = 130 "
                "where trust_code = 'RRK'"
            )
        return result

    monkeypatch.setattr(pipeline.build, "DEFAULT_TARGET_DIR", tmp_path / "target")
    monkeypatch.setattr(pipeline.build, "run_build", build_then_break)
    monkeypatch.setenv("WMIN_HOME", str(broken_home))
    monkeypatch.setenv("WMIN_DEMO", "true")
    out = CliRunner().invoke(app, ["nightly", "--as-of", str(date.fromisoformat(AS_OF))])
    assert out.exit_code != 0
    assert "quality gate" in out.output and "reported_within_target_pct" in out.output
    assert analytics.read_bytes() == before
    outcome, step = _restricted(
        broken_home,
        "select outcome, failed_step from pipeline.runs order by started_at desc limit 1",
    )[0]
    assert (outcome, step) == ("failed", "quality gate")
    page = (broken_home / "reports" / "quality_gate_latest.html").read_text(encoding="utf-8")
    assert "FAILED" in page and "reported_within_target_pct" in page
