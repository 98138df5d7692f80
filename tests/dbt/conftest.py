"""One dbt build of the hand-made landing database per test session (dbt is slow to start).

`dbt_builds` runs three builds in a temporary folder:
  1. night 1 (as of 2026-03-31) on the first delivery, from an empty warehouse;
  2. night 2 (as of 2026-04-20) after the second delivery, incremental;
  3. a copy of night 2's database rebuilt with --full-refresh.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from pipeline.build import BuildResult, run_build
from tests.dbt.landing_fixture import AS_OF_1, AS_OF_2, add_delivery, build_landing


@dataclass
class DbtBuilds:
    night1: BuildResult
    night2: BuildResult
    full: BuildResult
    incremental_db: Path
    full_db: Path


@pytest.fixture(scope="session")
def dbt_builds(tmp_path_factory: pytest.TempPathFactory) -> DbtBuilds:
    root = tmp_path_factory.mktemp("dbt_build")
    db = build_landing(root / "restricted.duckdb", deliveries=1)
    night1 = run_build(db, date.fromisoformat(AS_OF_1), target_dir=root / "target1")
    add_delivery(db, 2)
    night2 = run_build(db, date.fromisoformat(AS_OF_2), target_dir=root / "target2")
    full_db = root / "full_refresh.duckdb"
    shutil.copyfile(db, full_db)
    full = run_build(full_db, date.fromisoformat(AS_OF_2), full_refresh=True,
                     target_dir=root / "target3")
    return DbtBuilds(night1, night2, full, db, full_db)
