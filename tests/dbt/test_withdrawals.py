"""Withdrawals by full deliveries, built incrementally and as a full refresh.

On the hand-made landing (tests/dbt/landing_fixture.py) after night 2: a wide RRK file sends
C001 (a DNA) and C002 (reported); the warehouse is built; the next night a wide file re-sends
them (C001 did not attend again, C002's report cell is empty) and an RXK snapshot re-sends B004
without its report. The incremental build must equal a full refresh of the same landing, and
keep the withdrawn events in staging, out of the figures.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.build import BuildResult, run_build
from tests.dbt.landing_fixture import (
    AS_OF_WITHDRAWALS,
    SNAPSHOT_FILE_ID,
    WIDE_FILE_IDS,
    add_wide_exams,
    add_withdrawals,
    build_landing,
)

pytestmark = pytest.mark.slow
AS_OF = date.fromisoformat(AS_OF_WITHDRAWALS)
MODELS = "resource_type:model"
# incremental tables whose rows the withdrawals change, and the marts that count them
COMPARED = [
    "staging.stg_landing__exam_events",
    "staging.stg_landing__exam_full_deliveries",
    "intermediate.int_exam_events_pivoted",
    "intermediate.int_exams_enriched",
    "main.fct_exams",
    "main.tat_monthly",
    "main.reporting_backlog",
    "main.scanner_utilisation_daily",
    "main.did_activity_monthly",
]


@dataclass
class WithdrawalBuilds:
    before: BuildResult
    incremental: BuildResult
    full: BuildResult
    before_db: Path
    incremental_db: Path
    full_db: Path


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> WithdrawalBuilds:
    root = tmp_path_factory.mktemp("withdrawals")
    db = build_landing(root / "restricted.duckdb", deliveries=2)
    add_wide_exams(db)
    before = run_build(db, AS_OF, select=MODELS, target_dir=root / "target1")
    before_db = root / "before.duckdb"
    shutil.copyfile(db, before_db)
    add_withdrawals(db)
    full_db = root / "full_refresh.duckdb"
    shutil.copyfile(db, full_db)
    incremental = run_build(db, AS_OF, select=MODELS, target_dir=root / "target2")
    full = run_build(full_db, AS_OF, full_refresh=True, select=MODELS, target_dir=root / "target3")
    return WithdrawalBuilds(before, incremental, full, before_db, db, full_db)


def _query(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _exam(db: Path, trust: str, accession: str) -> pd.Series:
    key = hashlib.md5(f"{trust}|{accession}".encode()).hexdigest()
    rows = _query(db, "select * from main.fct_exams where exam_key = ?", [key])
    assert len(rows) == 1, accession
    return rows.iloc[0]


def test_incremental_build_after_withdrawals_equals_full_refresh(builds) -> None:
    assert builds.before.success, builds.before.failed
    assert builds.incremental.success, builds.incremental.failed
    assert builds.full.success, builds.full.failed
    for table in COMPARED:
        query = f"select * from {table} order by all"
        pd.testing.assert_frame_equal(
            _query(builds.incremental_db, query), _query(builds.full_db, query), obj=table
        )


def test_withdrawn_reports_leave_the_figures_and_stay_in_staging(builds) -> None:
    for trust, accession in (("RRK", "C002"), ("RXK", "B004")):
        assert pd.notna(_exam(builds.before_db, trust, accession)["report_verified_at"])
        exam = _exam(builds.incremental_db, trust, accession)
        assert pd.isna(exam["report_verified_at"]) and exam["status"] == "completed", accession
    kept = _query(
        builds.incremental_db,
        "select accession, withdrawn_by_file_id from staging.stg_landing__exam_events "
        "where is_withdrawn order by accession",
    )
    assert kept.to_dict("list") == {
        "accession": ["B004", "C002"],
        "withdrawn_by_file_id": [SNAPSHOT_FILE_ID, WIDE_FILE_IDS[1]],
    }


def test_a_wide_exams_second_dna_is_kept(builds) -> None:
    assert _exam(builds.before_db, "RRK", "C001")["did_not_attend_count"] == 1
    exam = _exam(builds.incremental_db, "RRK", "C001")
    assert exam["did_not_attend_count"] == 2
    assert exam["booked_for"] == pd.Timestamp("2026-04-17 09:00", tz="UTC")
    dna = _query(
        builds.incremental_db,
        "select date, dna_slots from main.scanner_utilisation_daily "
        "where site_code = 'RRK01' and room = 'MR1' and dna_slots > 0 "
        "and date >= '2026-04-01' order by date",
    )  # A002 did not attend in March
    assert [str(d)[:10] for d in dna["date"]] == ["2026-04-10", "2026-04-17"]
