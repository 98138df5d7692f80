"""Landing as Parquet (pipeline/landing_parquet.py) on the hand-made landing of the dbt tests:
every contract table written, the row tables by trust, rows and types as in the database, a
second export the same, an export killed between its renames put right; and the Spark engine's
one-line reasons when Java or the extra is missing (pipeline/spark_build.py)."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import duckdb
import pytest

from ingest.loader import TABLES
from pipeline.landing_parquet import (
    LAYOUT_FILE,
    export_landing,
    landing_parquet_dir,
    read_layout,
    recover_interrupted,
)
from tests.dbt.landing_fixture import build_landing


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("landing_parquet")
    db = build_landing(root / "restricted.duckdb", deliveries=2)
    folder, _ = export_landing(db, root)
    return db, folder


def _table(folder: Path, name: str) -> str:
    return f"read_parquet('{folder / name}/**/*.parquet', hive_partitioning = true)"


def test_every_contract_table_is_written_with_its_rows(exported) -> None:
    db, folder = exported
    layout = read_layout(folder)
    con = duckdb.connect(str(db), read_only=True)
    in_landing = {
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'landing'"
        ).fetchall()
    }
    assert set(layout["tables"]) == in_landing & set(TABLES)
    assert {"exam_records", "exam_events", "capacity_slots", "load_manifest"} <= set(
        layout["tables"]
    )
    for name, table in layout["tables"].items():
        in_db = con.execute(f"select count(*) from landing.{name}").fetchone()[0]
        in_files = duckdb.sql(f"select count(*) from {_table(folder, name)}").fetchall()[0][0]
        assert table["rows"] == in_db == in_files, name
    con.close()


def test_row_tables_are_one_folder_a_trust(exported) -> None:
    db, folder = exported
    con = duckdb.connect(str(db), read_only=True)
    trusts = {
        t for (t,) in con.execute("select distinct trust_code from landing.exam_events").fetchall()
    }
    con.close()
    folders = {p.name for p in (folder / "exam_events").iterdir()}
    assert folders == {f"trust_code={t}" for t in trusts}
    assert read_layout(folder)["tables"]["exam_events"]["partitioned_by"] == ["trust_code"]
    assert read_layout(folder)["tables"]["load_manifest"]["partitioned_by"] == []


def test_values_and_types_are_the_databases(exported) -> None:
    db, folder = exported
    con = duckdb.connect(str(db), read_only=True)
    want = con.execute(
        "select * from landing.exam_events order by file_id, source_line, event"
    ).fetchall()
    columns = [c for (c, *_) in con.execute("describe landing.exam_events").fetchall()]
    con.close()
    got = duckdb.sql(
        f"select {', '.join(columns)} from {_table(folder, 'exam_events')}"
        " order by file_id, source_line, event"
    ).fetchall()
    assert got == want
    types = read_layout(folder)["tables"]["exam_events"]["columns"]
    assert types["event_at"] == "TIMESTAMP WITH TIME ZONE"


def test_a_second_export_writes_the_same_rows(exported, tmp_path: Path) -> None:
    db, folder = exported
    again, _ = export_landing(db, tmp_path)
    for name in read_layout(folder)["tables"]:
        first = duckdb.sql(f"select * from {_table(folder, name)} order by all").fetchall()
        second = duckdb.sql(f"select * from {_table(again, name)} order by all").fetchall()
        assert first == second, name
    assert not (tmp_path / "landing_parquet.new").exists()
    assert not (tmp_path / "landing_parquet.old").exists()


def test_an_export_killed_between_its_renames_is_put_back(exported, tmp_path: Path) -> None:
    db, _ = exported
    final, _ = export_landing(db, tmp_path)
    final.rename(final.with_name("landing_parquet.old"))  # the kill: old aside, new not in
    recover_interrupted(landing_parquet_dir(tmp_path))
    assert (final / LAYOUT_FILE).exists()


def test_another_layout_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / LAYOUT_FILE).write_text(json.dumps({"layout_version": 99, "tables": {}}))
    with pytest.raises(ValueError, match="layout version 99"):
        read_layout(tmp_path)
    with pytest.raises(ValueError, match="wmin landing export"):
        read_layout(tmp_path / "missing")


def test_without_java_the_spark_engine_says_what_to_install(monkeypatch, tmp_path) -> None:
    from pipeline.spark_build import SparkUnavailable, check_spark_available

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(SparkUnavailable, match=r"needs Java 17 or later.*apt-get install"):
        check_spark_available()


def test_without_the_extra_the_spark_engine_says_what_to_install(monkeypatch, tmp_path) -> None:
    from pipeline.spark_build import SparkUnavailable, check_spark_available

    (tmp_path / "jdk" / "bin").mkdir(parents=True)
    (tmp_path / "jdk" / "bin" / "java").touch()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(SparkUnavailable, match=r"`spark` extra \(pyspark is missing\)"):
        check_spark_available()
