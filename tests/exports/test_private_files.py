"""Files that carry identifiers are their owner's only: DIDS files 0600 in 0700 folders apart
from the board pack's, the restricted database 0600 in a 0700 warehouse folder; whatever the
umask, and also when an old file or folder was more open."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exports.dids import build_dids
from exports.private_files import private_dir, write_private
from pipeline.cli import app
from pipeline.settings import Settings
from tests.exports.test_dids import SUBMIT, restricted  # noqa: F401 (the module's fixture)
from tests.ingest.conftest import FIX


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # the usual default: new files 0644, folders 0755
    yield
    os.umask(old)


def test_dids_files_and_their_folders_are_the_owners_only(restricted, tmp_path, open_umask):  # noqa: F811
    db, _ = restricted
    results = build_dids(db, "2026-09", tmp_path / "exports", submission_date=SUBMIT)
    folder = tmp_path / "exports" / "dids" / "2026-09"
    assert {r.path.parent for r in results} == {folder}
    assert mode(tmp_path / "exports" / "dids") == 0o700 and mode(folder) == 0o700
    files = [p for r in results for p in (r.path, r.validation_csv, r.summary_txt)]
    assert files and all(mode(p) == 0o600 for p in files)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in files)  # no temp left
    # not beside the board pack, which the app offers for download
    assert not (tmp_path / "exports" / "2026-09").exists()


def test_an_older_more_open_folder_and_file_are_closed(tmp_path, open_umask):
    folder = tmp_path / "dids"
    folder.mkdir(mode=0o755)
    old = folder / "dids_RRK_2026-09.csv"
    old.write_text("old")
    os.chmod(old, 0o644)
    private_dir(folder)
    write_private(old, lambda tmp: tmp.write_text("new"))
    assert mode(folder) == 0o700 and mode(old) == 0o600 and old.read_text() == "new"


def test_the_restricted_database_and_its_folder_are_the_owners_only(tmp_path, open_umask):
    home = tmp_path / "home"
    (home / "feeds").mkdir(parents=True)
    shutil.copy(FIX / "specs/TWC.yml", home / "feeds")
    (home / "landing/TWC").mkdir(parents=True)
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv", home / "landing/TWC")
    (home / "warehouse").mkdir(mode=0o755)  # a home made before: its folder open to all
    env = {
        "WMIN_HOME": str(home),
        "WMIN_DEMO": "true",
        "WMIN_PSEUDONYM_KEY": None,
        "WMIN_PSEUDONYM_KEY_FILE": None,
    }
    result = CliRunner().invoke(app, ["ingest", "--demo"], env=env)
    assert result.exit_code == 0, result.output
    s = Settings(home=home)
    assert mode(s.warehouse_dir) == 0o700 and mode(s.restricted_db) == 0o600
    # the deliveries and the board pack's folder are left as they are: not the warehouse's to close
    assert mode(home / "landing/TWC") == 0o755 and mode(s.exports_dir) == 0o755
