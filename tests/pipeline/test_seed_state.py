"""The seed digest that lets a nightly build leave unchanged seeds out (pipeline/seed_state.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.seed_state import SEEDS_DIR, loaded_seeds_digest, seeds_digest


def _seeds(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_digest_changes_with_any_seed_file_and_only_then(tmp_path: Path) -> None:
    base = seeds_digest(_seeds(tmp_path / "a", {"x.csv": "k,v\n1,2\n", "y.csv": "k\n1\n"}))
    assert base == seeds_digest(_seeds(tmp_path / "b", {"y.csv": "k\n1\n", "x.csv": "k,v\n1,2\n"}))
    assert base != seeds_digest(_seeds(tmp_path / "c", {"x.csv": "k,v\n1,3\n", "y.csv": "k\n1\n"}))
    assert base != seeds_digest(_seeds(tmp_path / "d", {"x.csv": "k,v\n1,2\n"}))
    # a renamed file is another seed (another table)
    assert base != seeds_digest(_seeds(tmp_path / "e", {"x.csv": "k,v\n1,2\n", "z.csv": "k\n1\n"}))
    # their properties (column types) count too
    assert base != seeds_digest(
        _seeds(
            tmp_path / "f", {"x.csv": "k,v\n1,2\n", "y.csv": "k\n1\n", "_seeds.yml": "version: 2\n"}
        )
    )
    # the project's own seeds
    assert len(seeds_digest(SEEDS_DIR)) == 64


def test_loaded_digest_is_none_until_a_build_records_one(tmp_path: Path) -> None:
    db = tmp_path / "restricted.duckdb"
    assert loaded_seeds_digest(db) is None  # no database yet
    with duckdb.connect(str(db)) as con:
        con.execute("create schema build_state")
    assert loaded_seeds_digest(db) is None  # built before the digest was recorded
    with duckdb.connect(str(db)) as con:
        con.execute("create table build_state.seeds_loaded (digest varchar)")
        con.execute("insert into build_state.seeds_loaded values ('abc')")
    assert loaded_seeds_digest(db) == "abc"
    # read-only and closed again: the database can be opened to write at once
    with duckdb.connect(str(db)) as con:
        con.execute("delete from build_state.seeds_loaded")
