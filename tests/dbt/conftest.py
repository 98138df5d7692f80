"""One dbt build of the hand-made landing database per test session (dbt is slow to start).

`dbt_builds` runs these builds in a temporary folder:
  1. night 1 (as of 2026-03-31) on the first delivery, from an empty warehouse;
  2. night 2 (as of 2026-04-20) after the second delivery, incremental;
  3. a copy of night 2's database rebuilt with --full-refresh;
  4. a copy of night 2's database with a late re-delivery that must lose (a newer file of an
     older extract), rebuilt incrementally back as of night 1 (models only): the as-of date
     going backwards takes events out of exams' timelines, and one exam loses all of them;
  5. the same landing and as-of date rebuilt with --full-refresh (models only);
  6. night 2 as the nightly runs it (no unit tests, data tests of the big tables on the rows
     the run built: macros/testing/test_scope.sql), on a copy of night 1's database whose tables are
     made as they were before they carried exam_hash (the run adds and fills it);
  7. a copy of night 1's database built incrementally as of 19 days later, after one file
     correcting an old exam (tat_monthly and what it reads, models only, and the feed
     freshness test): figures that depend on the as-of date alone move, and a month out of
     its reach changes;
  8. the same rebuilt with --full-refresh;
  9. a copy of build 7's database after a file moving one request to another patient, built
     incrementally (the same selection and as-of date);
 10. the same rebuilt with --full-refresh;
 11. a copy of build 9's database after a file withdrawing a request of every past census as
     entered in error, built incrementally (the same selection and as-of date);
 12. the same rebuilt with --full-refresh.
"""

from __future__ import annotations

import shutil
import sys
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import duckdb
import pytest

from pipeline.build import BuildResult, run_build
from tests.dbt.landing_fixture import (
    AS_OF_1,
    AS_OF_2,
    AS_OF_LATER,
    add_correction,
    add_delivery,
    add_entered_in_error,
    add_late_redelivery,
    add_patient_move,
    build_landing,
)


@dataclass
class DbtBuilds:
    night1: BuildResult
    night2: BuildResult
    full: BuildResult
    incremental_db: Path
    full_db: Path
    backdated: BuildResult
    backdated_full: BuildResult
    backdated_db: Path
    backdated_full_db: Path
    nightly: BuildResult
    nightly_db: Path
    later: BuildResult
    later_full: BuildResult
    later_db: Path
    later_full_db: Path
    night1_db: Path
    moved: BuildResult
    moved_full: BuildResult
    moved_db: Path
    moved_full_db: Path
    withdrawn: BuildResult
    withdrawn_full: BuildResult
    withdrawn_db: Path
    withdrawn_full_db: Path


@pytest.fixture(scope="session")
def dbt_builds(tmp_path_factory: pytest.TempPathFactory) -> DbtBuilds:
    root = tmp_path_factory.mktemp("dbt_build")
    db = build_landing(root / "restricted.duckdb", deliveries=1)
    # Each build runs in a process of its own, two at a time: a build of this small landing
    # keeps about one core busy (dbt's Python), and most builds only need night 1's result.
    with _plain_main(), ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:

        def build(path: Path, as_of: str, target: str, **options: object) -> Future:
            return pool.submit(
                run_build,
                path,
                date.fromisoformat(as_of),
                target_dir=root / target,
                **options,
            )

        night1 = build(db, AS_OF_1, "target1").result()
        night1_db = root / "night1.duckdb"
        later_db, later_full_db = root / "later.duckdb", root / "later_full_refresh.duckdb"
        nightly_db = root / "nightly.duckdb"
        for copy in (night1_db, later_db, later_full_db, nightly_db):
            shutil.copyfile(db, copy)
        for copy in (later_db, later_full_db):
            add_correction(copy)
        later = build(later_db, AS_OF_LATER, "target7", select=LATER_SELECTION)
        drop_exam_hash(nightly_db)
        add_delivery(nightly_db, 2)
        nightly = build(nightly_db, AS_OF_2, "target6", unit_tests=False)
        add_delivery(db, 2)
        night2 = build(db, AS_OF_2, "target2")
        later_full = build(
            later_full_db, AS_OF_LATER, "target8", full_refresh=True, select=LATER_SELECTION
        )

        def changed_pair(source: Path, name: str, change, as_of: str, targets, select: str):
            """A copy of `source` changed by `change`, built incrementally and from scratch."""
            changed, changed_full = root / f"{name}.duckdb", root / f"{name}_full_refresh.duckdb"
            shutil.copyfile(source, changed)
            change(changed)
            shutil.copyfile(changed, changed_full)
            incremental = build(changed, as_of, targets[0], select=select)
            rebuilt = build(changed_full, as_of, targets[1], full_refresh=True, select=select)
            return changed, changed_full, incremental, rebuilt

        later.result()
        moved_db, moved_full_db, moved, moved_full = changed_pair(
            later_db,
            "moved",
            add_patient_move,
            AS_OF_LATER,
            ("target9", "target10"),
            LATER_SELECTION,
        )
        full_db = root / "full_refresh.duckdb"
        night2.result()
        shutil.copyfile(db, full_db)
        backdated_db, backdated_full_db, backdated, backdated_full = changed_pair(
            db,
            "backdated",
            add_late_redelivery,
            AS_OF_1,
            ("target4", "target5"),
            "resource_type:model",
        )
        full = build(full_db, AS_OF_2, "target3", full_refresh=True)
        moved.result()
        withdrawn_db, withdrawn_full_db, withdrawn, withdrawn_full = changed_pair(
            moved_db,
            "withdrawn",
            add_entered_in_error,
            AS_OF_LATER,
            ("target11", "target12"),
            LATER_SELECTION,
        )
        return DbtBuilds(
            night1,
            night2.result(),
            full.result(),
            db,
            full_db,
            backdated.result(),
            backdated_full.result(),
            backdated_db,
            backdated_full_db,
            nightly.result(),
            nightly_db,
            later.result(),
            later_full.result(),
            later_db,
            later_full_db,
            night1_db,
            moved.result(),
            moved_full.result(),
            moved_db,
            moved_full_db,
            withdrawn.result(),
            withdrawn_full.result(),
            withdrawn_db,
            withdrawn_full_db,
        )


# Builds 7 and 8: one correction after night 1, as of 19 days later.
LATER_SELECTION = (
    "+tat_monthly,resource_type:model +waiting_list_census,resource_type:model "
    "test_name:recent_by_group"
)


@contextmanager
def _plain_main() -> Iterator[None]:
    """A spawned worker runs the parent's __main__ again, and an app test leaves Streamlit's
    script there: while the pool starts its workers, __main__ is an empty module."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


def drop_exam_hash(db: Path) -> None:
    """Take the exam_hash column out of every table: a warehouse built before it existed."""
    with duckdb.connect(str(db)) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where column_name = 'exam_hash' and table_schema <> 'build_state'"
        ).fetchall()
        assert tables, "no table carries exam_hash"
        for schema, table in tables:
            con.execute(f'alter table {schema}."{table}" drop column exam_hash')
