"""The dbt project built on a small hand-made landing database (tests/dbt/landing_fixture.py).

Checks the build (every model, data test and unit test), the published interface of docs/metrics.md,
NETWORK rows, the incremental build against a full refresh, and a few rules on known exams.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from exports.dids import SOURCE_COLUMNS
from pipeline.build import run_build
from pipeline.publish import FORBIDDEN_COLUMNS, published_relations
from pipeline.seed_state import SEEDS_DIR, seeds_digest
from tests.dbt.landing_fixture import AS_OF_1, AS_OF_LATER
from tests.fixtures.published import METRICS_MARTS, columns_of

# the fixture's other tables that real builds publish (publish_info is written by publish)
FIXTURE_TABLES = [
    "dim_trust",
    "dim_site",
    "dim_date",
    "dim_reporting_target",
    "dq_scorecard_monthly",
    "rejections_by_reason",
    "quarantined_files",
]

pytestmark = pytest.mark.slow


def _key(trust: str, accession: str) -> str:
    return hashlib.md5(f"{trust}|{accession}".encode()).hexdigest()


def _query(db, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _tables(db) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "order by 1"
            ).fetchall()
        ]


def _columns(db, table: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main' "
                "and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        ]


@pytest.mark.parametrize("night", ["night1", "night2", "full"])
def test_build_succeeds_with_every_test(dbt_builds, night: str) -> None:
    result = getattr(dbt_builds, night)
    assert result.success, result.failed
    assert not result.failed
    run_results = json.loads((result.target_dir / "run_results.json").read_text())
    kinds = {}
    for r in run_results["results"]:
        kind = r["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        assert r["status"] in ("success", "pass", "warn", "no-op"), (r["unique_id"], r["message"])
    assert kinds.get("unit_test", 0) >= 10, kinds
    assert kinds.get("test", 0) >= 140, kinds


def test_every_mart_key_is_never_null(dbt_builds) -> None:
    """Every column of a published mart's key (a unique test, alone or combined) is kept
    non-null: by a not_null constraint, which DuckDB enforces as the table is written (the
    tables rebuilt each night), or by a not_null test (incremental marts, whose table may
    predate a constraint)."""
    manifest = json.loads(dbt_builds.night2.manifest_path.read_text())
    nodes = manifest["nodes"]
    tested: dict[str, set[str]] = {}
    keys: dict[str, set[str]] = {}
    for node in nodes.values():
        meta = node.get("test_metadata") or {}
        parents = [n for n in node.get("depends_on", {}).get("nodes", []) if n.startswith("model.")]
        if node["resource_type"] != "test" or not meta or not parents:
            continue
        model = parents[0]
        if meta["name"] == "not_null":
            tested.setdefault(model, set()).add(node["column_name"])
        elif meta["name"] == "not_null_columns":
            tested.setdefault(model, set()).update(meta["kwargs"]["columns"])
        elif meta["name"] == "unique":
            keys.setdefault(model, set()).add(node["column_name"])
        elif meta["name"] == "unique_combination_of_columns" and not node["config"].get("where"):
            keys.setdefault(model, set()).update(meta["kwargs"]["combination_of_columns"])
    checked = 0
    with duckdb.connect(str(dbt_builds.incremental_db), read_only=True) as con:
        for model, columns in keys.items():
            node = nodes[model]
            if node["fqn"][1] != "marts" or not node["config"]["contract"]["enforced"]:
                continue
            for column in columns:
                spec = node["columns"][column]
                constrained = any(c["type"] == "not_null" for c in spec.get("constraints", []))
                assert constrained or column in tested.get(model, set()), f"{node['name']}.{column}"
                if constrained:
                    nullable = con.execute(
                        "select is_nullable from information_schema.columns where table_schema = 'main' "
                        "and table_name = ? and column_name = ?",
                        [node["name"], column],
                    ).fetchone()[0]
                    assert nullable == "NO", (
                        f"{node['name']}.{column} is not constrained in the table"
                    )
                checked += 1
    assert checked >= 40, checked


def test_every_metrics_mart_has_its_columns(dbt_builds) -> None:
    tables = set(_tables(dbt_builds.incremental_db))
    for mart in METRICS_MARTS + FIXTURE_TABLES:
        assert mart in tables, f"{mart} missing"
        have = _columns(dbt_builds.incremental_db, mart)
        missing = [c for c in columns_of(mart) if c not in have]
        assert not missing, f"{mart} lacks {missing}"


def test_metrics_marts_are_published_without_identifier_columns(dbt_builds) -> None:
    relations = published_relations(dbt_builds.night2.manifest_path)
    names = {r[2] for r in relations}
    assert set(METRICS_MARTS) <= names
    assert "dids_records" not in names  # identifiable: restricted only
    for _, relation, _ in relations:
        bad = [
            c for c in _columns(dbt_builds.incremental_db, relation) if FORBIDDEN_COLUMNS.match(c)
        ]
        assert not bad, f"{relation}: {bad}"


def test_dids_records_carries_the_export_columns(dbt_builds) -> None:
    have = set(_columns(dbt_builds.incremental_db, "dids_records"))
    assert set(SOURCE_COLUMNS) <= have


NETWORK_CHECKS = {
    "tat_monthly": (
        ["month", "modality", "priority"],
        ["exams_tested", "exams_reported", "reported_over_28_days"],
    ),
    "did_activity_monthly": (["month", "modality", "patient_source_setting"], ["exams_tested"]),
    "waiting_list_census": (
        ["census_date", "dm01_test"],
        ["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"],
    ),
    "waiting_list_bands": (["census_date", "dm01_test", "weeks_band"], ["patients"]),
    "dm01_activity_monthly": (
        ["month", "dm01_test"],
        ["waiting_list_tests", "planned_tests", "unscheduled_tests"],
    ),
    "reporting_backlog": (
        ["as_of_date", "modality"],
        ["unreported_exams", "age_0_2_days", "age_over_28_days"],
    ),
    "reporting_throughput_weekly": (
        ["week", "modality"],
        ["exams_tested", "reports_verified", "reports_outsourced"],
    ),
}


@pytest.mark.parametrize("mart", sorted(NETWORK_CHECKS))
def test_network_rows_equal_the_sum_of_trusts(dbt_builds, mart: str) -> None:
    grain, values = NETWORK_CHECKS[mart]
    df = _query(dbt_builds.incremental_db, f"select * from main.{mart}")
    net = df[df["trust_code"] == "NETWORK"].groupby(grain)[values].sum()
    trusts = df[df["trust_code"] != "NETWORK"].groupby(grain)[values].sum()
    assert len(net) > 0
    pd.testing.assert_frame_equal(
        net.sort_index(), trusts.reindex(net.index).sort_index(), check_dtype=False
    )
    assert set(trusts.index) == set(net.index)


def test_full_refresh_equals_incremental(dbt_builds) -> None:
    tables = _tables(dbt_builds.incremental_db)
    assert tables == _tables(dbt_builds.full_db)
    for t in tables:
        a = _query(dbt_builds.incremental_db, f'select * from main."{t}" order by all')
        b = _query(dbt_builds.full_db, f'select * from main."{t}" order by all')
        pd.testing.assert_frame_equal(a, b, obj=t)


def test_nightly_build_equals_full_refresh_and_tests_only_new_rows(dbt_builds) -> None:
    """The nightly's build (no unit tests, big tables' data tests scoped to the rows it built)
    passes and gives the full refresh's marts; its scoped tests read the run's watermarks."""
    result = dbt_builds.nightly
    assert result.success, result.failed
    for t in _tables(dbt_builds.full_db):
        a = _query(dbt_builds.nightly_db, f'select * from main."{t}" order by all')
        b = _query(dbt_builds.full_db, f'select * from main."{t}" order by all')
        pd.testing.assert_frame_equal(a, b, obj=t)
    compiled = result.target_dir / "compiled" / "wmin" / "models" / "marts" / "core"
    unique_key = next(compiled.rglob("unique_fct_exams_exam_key.sql")).read_text()
    assert "build_state.test_watermarks" in unique_key
    watermarks = _query(dbt_builds.nightly_db, "select * from build_state.test_watermarks")
    assert {"fct_exams", "dq_exam_flags", "stg_landing__exam_events"} <= set(
        watermarks["model_name"]
    )
    assert (watermarks["watermark"] >= 1).all()
    # the previous as-of is night 1's date (the window of events crossing the as-of change
    # starts at the end of night 1's day, not a day later)
    # (fct_exams' pre-hook records its changed exams: dbt logs the statement it ran)
    log = (result.target_dir / "logs" / "dbt.log").read_text()
    recorded = [
        part
        for part in log.split("insert into build_state.changed_exams")[1:]
        if part.lstrip().startswith("(model_name, exam_hash)\n    select 'main.fct_exams'")
    ]
    assert len(recorded) == 1
    assert f"cast('{AS_OF_1}' as date)" in recorded[0].split("SQL status")[0]
    # a full refresh tests every row
    full_sql = next(
        (dbt_builds.full.target_dir / "compiled").rglob("unique_fct_exams_exam_key.sql")
    )
    assert "test_watermarks" not in full_sql.read_text()
    # the seed files were as night 1 loaded them: the nightly left the seeds out; the full
    # refresh loaded them all and recorded their digest
    ran = json.loads((result.target_dir / "run_results.json").read_text())["results"]
    assert result.seeds_skipped and not [r for r in ran if r["unique_id"].startswith("seed.")]
    assert not dbt_builds.full.seeds_skipped
    full_ran = json.loads((dbt_builds.full.target_dir / "run_results.json").read_text())["results"]
    seed_files = list(SEEDS_DIR.glob("*.csv"))  # every seed, however many the project has
    assert len([r for r in full_ran if r["unique_id"].startswith("seed.")]) == len(seed_files)
    assert _query(dbt_builds.full_db, "select digest from build_state.seeds_loaded")[
        "digest"
    ].tolist() == [seeds_digest()]
    # its tables predated exam_hash: the run added the column and filled every row
    with duckdb.connect(str(dbt_builds.nightly_db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where column_name = 'exam_hash'"
        ).fetchall()
        assert len(tables) >= 6, tables
        for schema, table in tables:
            missing = con.execute(
                f'select count(*) from {schema}."{table}" where exam_hash is null'
            ).fetchone()[0]
            assert missing == 0, f"{schema}.{table}: {missing} rows without exam_hash"


def _relations(db, schema: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_type = 'BASE TABLE' order by 1",
                [schema],
            ).fetchall()
        ]


def test_backdated_incremental_build_equals_full_refresh(dbt_builds) -> None:
    """A late losing re-delivery and an as-of date going backwards, built incrementally, give
    the full refresh's staging, intermediate and mart tables."""
    assert dbt_builds.backdated.success, dbt_builds.backdated.failed
    assert dbt_builds.backdated_full.success, dbt_builds.backdated_full.failed
    for schema in ("staging", "intermediate", "main"):
        tables = _relations(dbt_builds.backdated_db, schema)
        assert tables == _relations(dbt_builds.backdated_full_db, schema), schema
        for t in tables:
            a = _query(dbt_builds.backdated_db, f'select * from {schema}."{t}" order by all')
            b = _query(dbt_builds.backdated_full_db, f'select * from {schema}."{t}" order by all')
            pd.testing.assert_frame_equal(a, b, obj=f"{schema}.{t}")


def test_backdated_incremental_build_drops_and_keeps_the_right_rows(dbt_builds) -> None:
    db = dbt_builds.backdated_db
    # A008's only event (requested 1 April) is after the as-of end: no timeline any more
    timeline = _query(db, "select accession from intermediate.int_exam_events_pivoted")
    assert "A008" not in set(timeline["accession"])
    assert "A008" in set(
        _query(
            dbt_builds.incremental_db, "select accession from intermediate.int_exam_events_pivoted"
        )["accession"]
    )
    # the late file re-sent an older extract: B005 keeps night 2's priority
    b005 = _query(
        db,
        "select priority, file_id from staging.stg_landing__exam_records where accession = 'B005'",
    )
    assert b005["priority"].tolist() == ["urgent"]
    assert (b005["file_id"] < 900).all()


def test_known_exams_follow_the_rules(dbt_builds) -> None:
    f = _query(dbt_builds.incremental_db, "select * from main.fct_exams").set_index("exam_key")
    bst = f.loc[_key("RRK", "A004")]
    assert bst["test_date"] == pd.Timestamp("2026-03-31")  # 23:30 UTC on a BST day
    gmt = f.loc[_key("RRK", "A005")]
    assert gmt["test_date"] == pd.Timestamp("2026-03-02")  # 23:30 UTC on a GMT day
    assert gmt["reporter_type"] == "radiographer"
    ed = f.loc[_key("RRK", "A001")]
    assert ed["report_verified_at"] == pd.Timestamp(
        "2026-03-02 14:00", tz="UTC"
    )  # not the addendum
    assert ed["test_to_report_hours"] == 4.0
    ooo = f.loc[_key("RRK", "A003")]
    assert pd.isna(ooo["request_to_test_days"]) and pd.isna(ooo["test_to_report_hours"])
    outsourced = f.loc[_key("RRK", "A002")]
    assert outsourced["reporter_type"] == "outsourced" and outsourced["did_not_attend_count"] == 1
    assert f.loc[_key("RXK", "B005")]["priority"] == "urgent"  # the latest delivery wins
    unknown = f.loc[_key("RXK", "B002")]
    assert bool(unknown["is_unknown_procedure_code"]) and pd.isna(unknown["dm01_test"])
    assert unknown["modality"] == "MR"
    assert f.loc[_key("RXK", "B001")]["clock_start_date"] == pd.Timestamp("2025-12-01")


def test_census_keeps_dna_and_drops_cancelled(dbt_builds) -> None:
    c = _query(
        dbt_builds.incremental_db,
        "select census_date, trust_code, dm01_test, total_waiting from main.waiting_list_census",
    )
    got = {
        (r.census_date.date(), r.trust_code, r.dm01_test): r.total_waiting for r in c.itertuples()
    }
    # A006 (RRK CT) was on the list at the end of February, cancelled on 15 March
    assert got[(date(2026, 2, 28), "RRK", "CT")] == 1
    assert (date(2026, 3, 31), "RRK", "CT") not in got
    # A002 (RRK MRI) did not attend in March and stays on the list
    assert got[(date(2026, 3, 31), "RRK", "MRI")] == 1
    assert {d for d, _, _ in got} >= {date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 20)}


def test_backlog_and_feed_health_on_the_as_of_date(dbt_builds) -> None:
    b = _query(
        dbt_builds.incremental_db,
        "select * from main.reporting_backlog where as_of_date = '2026-04-20'",
    )
    assert set(b["trust_code"]) >= {"RRK", "RXK", "NETWORK"}
    f = _query(
        dbt_builds.incremental_db,
        "select trust_code, status from main.feed_health_daily where date = '2026-04-20'",
    )
    assert dict(zip(f["trust_code"], f["status"])) == {"RRK": "ok", "RXK": "late"}
    s = _query(dbt_builds.incremental_db, "select * from main.scheduling_capacity")
    assert set(s["as_of_date"].dt.date) == {date(2026, 4, 20)}


def test_mart_column_types_match_the_published_interface(dbt_builds) -> None:
    """Types as readers of the published database expect them (tests/fixtures/published.py)."""
    from tests.fixtures.published import _SCHEMA

    aliases = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}
    with duckdb.connect(str(dbt_builds.incremental_db), read_only=True) as con:
        for mart in METRICS_MARTS + FIXTURE_TABLES:
            have = dict(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'main' and table_name = ?",
                    [mart],
                ).fetchall()
            )
            for spec in _SCHEMA[mart].split(","):
                name, dtype = spec.split()[0], spec.split()[1].upper()
                assert have[name] == aliases.get(dtype, dtype), f"{mart}.{name}: {have[name]}"


def test_as_of_date_alone_moving_moves_the_figures_it_reaches(dbt_builds) -> None:
    """19 days on, unreported March exams pass 28 days and leave their target window, and a
    February exam is corrected: tat_monthly, rebuilt from the incremental fct_exams, moves
    those figures and equals the full refresh."""
    assert dbt_builds.later.success, dbt_builds.later.failed
    assert dbt_builds.later_full.success, dbt_builds.later_full.failed
    query = "select * from main.tat_monthly order by all"
    later = _query(dbt_builds.later_db, query)
    pd.testing.assert_frame_equal(later, _query(dbt_builds.later_full_db, query))
    moved = ["reported_over_28_days", "within_target_denominator"]
    night1 = _query(dbt_builds.night1_db, query)
    assert not later[moved].equals(night1[moved]), "the fixture should move an as-of figure"
    assert "urgent" in set(later[later["month"].astype(str).str[:7] == "2026-02"]["priority"])


def test_a_stale_exam_feed_warns_per_trust(dbt_builds) -> None:
    """Freshness by trust on the manifest's exam files: as of 20 April both trusts' last exam
    files are fresh; 19 days after night 1's files, only the corrected trust's is (10 April),
    which is still more than 72 hours old."""

    def freshness(result) -> dict:
        ran = json.loads((result.target_dir / "run_results.json").read_text())["results"]
        return {
            r["status"]: r["failures"]
            for r in ran
            if r["unique_id"].startswith("test.wmin.source_recent_by_group_landing_load_manifest")
        }

    assert freshness(dbt_builds.night2) == {"pass": 0}
    assert freshness(dbt_builds.later) == {"warn": 2}


def _counted(db, accession: str) -> dict:
    """An RXK request's is_counted_for_dm01 by census date."""
    rows = _query(
        db,
        "select census_date, is_counted_for_dm01 from intermediate.int_waiting_list_members "
        "where exam_key = ? order by census_date",
        [_key("RXK", accession)],
    )
    return {str(r.census_date)[:10]: bool(r.is_counted_for_dm01) for r in rows.itertuples()}


@pytest.mark.parametrize("build", ["later", "moved"])
def test_a_changed_request_rebuilds_its_patients_census_rows(dbt_builds, build: str) -> None:
    """Build 7 adds B007 for B001's patient with an earlier clock start: B001, unchanged, stops
    counting the patient. Build 9 moves B007 to another patient: B001 counts again. Both
    incremental builds equal their full refresh, rows and marts."""
    incremental, full = getattr(dbt_builds, build), getattr(dbt_builds, f"{build}_full")
    assert incremental.success, incremental.failed
    assert full.success, full.failed
    db, full_db = getattr(dbt_builds, f"{build}_db"), getattr(dbt_builds, f"{build}_full_db")
    for table in (
        "intermediate.int_waiting_list_members",
        "main.waiting_list_census",
        "main.waiting_list_bands",
    ):
        query = f"select * from {table} order by all"
        pd.testing.assert_frame_equal(_query(db, query), _query(full_db, query), obj=table)
    before = _counted(dbt_builds.night1_db, "B001")
    assert before and all(before.values())
    assert _counted(db, "B001") == dict.fromkeys([*before, AS_OF_LATER], build == "moved")
    assert all(_counted(db, "B007").values())


def test_entered_in_error_arriving_later_leaves_every_past_census(dbt_builds) -> None:
    """Build 11: a file withdraws B001, on every census since December, as entered in error.
    The incremental build takes it out of every census date, the past month ends too (an
    ordinary cancellation would leave those), records it as entered in error rather than
    cancelled, and equals its full refresh."""
    incremental, full = dbt_builds.withdrawn, dbt_builds.withdrawn_full
    assert incremental.success, incremental.failed
    assert full.success, full.failed
    db, full_db = dbt_builds.withdrawn_db, dbt_builds.withdrawn_full_db
    for table in (
        "main.fct_exams",
        "intermediate.int_waiting_list_members",
        "main.waiting_list_census",
        "main.waiting_list_bands",
    ):
        query = f"select * from {table} order by all"
        pd.testing.assert_frame_equal(_query(db, query), _query(full_db, query), obj=table)
    before = _counted(dbt_builds.moved_db, "B001")
    assert [d for d in before if d < "2026-04-12"] == ["2026-02-28", AS_OF_1]  # before withdrawal
    assert _counted(db, "B001") == {}
    exam = _query(
        db,
        "select status, cancelled_at, entered_in_error_at from main.fct_exams where exam_key = ?",
        [_key("RXK", "B001")],
    )
    assert exam["status"].tolist() == ["entered_in_error"]
    assert exam["cancelled_at"].isna().all() and exam["entered_in_error_at"].notna().all()
    census = "select sum(total_waiting) from main.waiting_list_census where trust_code = 'RXK'"
    assert _query(db, census).iloc[0, 0] == _query(dbt_builds.moved_db, census).iloc[0, 0] - len(
        before
    )


def test_a_models_column_checks_fail_on_one_bad_value(dbt_builds, tmp_path) -> None:
    """A model's not_null and relationships checks run as one test each (not_null_columns,
    relationships_columns: fewer dbt nodes a night); each still fails on one bad row, and a
    reference's `where` still leaves out the rows it excludes (the NETWORK total)."""
    db = tmp_path / "broken.duckdb"
    shutil.copyfile(dbt_builds.full_db, db)
    with duckdb.connect(str(db)) as con:
        for table, bad in (
            ("intermediate.int_waiting_list_weekly", "null as weeks_waited"),
            ("main.tat_monthly", "'no_such_priority' as priority"),
        ):
            column = bad.split()[-1]
            con.execute(
                f"insert into {table} by name select * exclude ({column}), {bad} "
                f"from {table} limit 1"
            )
    checks = "not_null_int_waiting_list_weekly relationships_tat_monthly"
    result = run_build(db, date.fromisoformat(AS_OF_1), select=checks, target_dir=tmp_path / "t")
    assert sorted(n.split(".")[2] for n, _ in result.failed) == checks.split(), result.failed
    ran = json.loads((tmp_path / "t" / "run_results.json").read_text())["results"]
    failures = {
        r["unique_id"].split(".")[2]: r["failures"] for r in ran if r["unique_id"][:5] == "test."
    }
    assert failures == dict.fromkeys(checks.split(), 1)
