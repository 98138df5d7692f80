"""The restricted database records a fingerprint of its pseudonymisation key (never the key); a run
with another key stops before writing anything, and `wmin rekey` changes keys on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ingest import loader
from ingest.key_fingerprint import KEY_TABLE, KeyMismatch, check_database, fingerprint
from ingest.pseudonym import patient_key
from pipeline.cli import app
from pipeline.lock import RunLock
from tests.ingest.conftest import FIX

KEY_A = "a-first-key-of-at-least-thirty-two-characters"
KEY_B = "b-second-key-of-at-least-thirty-two-characters"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "feeds").mkdir()
    shutil.copy(FIX / "specs/TWC.yml", tmp_path / "feeds")
    (tmp_path / "landing/TWC").mkdir(parents=True)
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv", tmp_path / "landing/TWC")
    return tmp_path


def _wmin(home: Path, key: str, *args: str):
    env = {
        "WMIN_HOME": str(home),
        "WMIN_PSEUDONYM_KEY": key,
        "WMIN_DEMO": "false",
        "COLUMNS": "100",
    }
    return CliRunner().invoke(app, list(args), env=env)


def _one(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _specs(home: Path):
    from ingest.feeds.spec import load_all_specs

    return load_all_specs(home / "feeds")


def test_the_fingerprint_is_recorded_and_is_not_the_key(home: Path) -> None:
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, _specs(home), KEY_A.encode(), validate=False)
    ((recorded,),) = _one(db, f"select fingerprint from {KEY_TABLE}")
    assert recorded == fingerprint(KEY_A.encode()) != fingerprint(KEY_B.encode())
    assert KEY_A not in recorded and KEY_A.encode().hex() not in recorded
    assert KEY_A.encode() not in db.read_bytes()


def test_another_key_stops_the_ingest_before_anything_is_written(home: Path) -> None:
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, _specs(home), KEY_A.encode(), validate=False)
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv", home / "landing/TWC")
    before = _one(db, "select count(*) from landing.load_manifest")
    with pytest.raises(KeyMismatch, match="wmin rekey"):
        loader.ingest_landing(db, home, _specs(home), KEY_B.encode(), validate=False)
    assert _one(db, "select count(*) from landing.load_manifest") == before


def test_a_database_without_a_fingerprint_is_judged_by_its_pseudonyms(home: Path) -> None:
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, _specs(home), KEY_A.encode(), validate=False)
    with duckdb.connect(str(db)) as con:  # as built before the fingerprint was recorded
        con.execute(f"drop table {KEY_TABLE}")
    with pytest.raises(KeyMismatch, match="stored pseudonyms do not match"):
        check_database(db, KEY_B.encode())
    check_database(db, KEY_A.encode())
    loader.ingest_landing(db, home, _specs(home), KEY_A.encode(), validate=False)
    assert _one(db, f"select fingerprint from {KEY_TABLE}") == [(fingerprint(KEY_A.encode()),)]


def test_the_cli_says_so_in_one_line_and_nightly_writes_nothing(home: Path) -> None:
    assert _wmin(home, KEY_A, "ingest").exit_code == 0
    db = home / "warehouse/restricted.duckdb"
    tables = _one(db, "select table_schema, table_name from information_schema.tables order by all")
    manifest = _one(db, "select * from landing.load_manifest")
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv", home / "landing/TWC")
    for command in (["ingest"], ["nightly", "--as-of", "2024-10-30"]):
        result = _wmin(home, KEY_B, *command)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "another pseudonymisation key" in lines[0]
        assert "nothing was written" in lines[0] and "wmin rekey --new-key-file" in lines[0]
        # not a run row, not a manifest row, not a table more
        assert (
            _one(db, "select table_schema, table_name from information_schema.tables order by all")
            == tables
        )
        assert _one(db, "select * from landing.load_manifest") == manifest


def test_rekey_makes_every_pseudonym_again_under_the_new_key(home: Path) -> None:
    assert _wmin(home, KEY_A, "ingest").exit_code == 0
    db = home / "warehouse/restricted.duckdb"
    with duckdb.connect(str(db)) as con:  # a model built from the old pseudonyms
        con.execute("create schema staging")
        con.execute("create table staging.stg_exam as select patient_key from landing.exam_records")
    key_file = home / "new.key"
    key_file.write_text(KEY_B + "\n")
    result = _wmin(home, KEY_A, "rekey", "--new-key-file", str(key_file))
    assert result.exit_code == 0, result.output
    assert "wmin nightly" in result.stdout
    rows = _one(db, "select nhs_number, patient_key from landing.exam_records")
    assert rows and all(pk == patient_key(nhs, KEY_B.encode()) for nhs, pk in rows)
    assert all(pk is not None for _, pk in rows)
    assert _one(
        db, "select count(*) from information_schema.tables where table_schema = 'staging'"
    ) == [(0,)]
    assert _one(db, f"select fingerprint from {KEY_TABLE}") == [(fingerprint(KEY_B.encode()),)]
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv", home / "landing/TWC")
    assert _wmin(home, KEY_A, "ingest").exit_code == 1  # the old key is refused now
    assert _wmin(home, KEY_B, "ingest").exit_code == 0


def test_rekey_refuses_a_weak_key_a_missing_database_and_a_held_lock(home: Path) -> None:
    weak = home / "weak.key"
    weak.write_text("short")
    result = _wmin(home, KEY_A, "rekey", "--new-key-file", str(weak))
    assert result.exit_code == 1 and "at least 32 characters" in result.stderr
    good = home / "new.key"
    good.write_text(KEY_B)
    result = _wmin(home, KEY_A, "rekey", "--new-key-file", str(good))
    assert result.exit_code == 1 and "nothing to re-key" in result.stderr
    assert _wmin(home, KEY_A, "ingest").exit_code == 0
    with RunLock(home / "nightly.lock"):
        result = _wmin(home, KEY_A, "rekey", "--new-key-file", str(good))
    assert result.exit_code == 3 and "already in progress" in result.stderr
    assert _one(home / "warehouse/restricted.duckdb", f"select fingerprint from {KEY_TABLE}") == [
        (fingerprint(KEY_A.encode()),)
    ]
