"""A night as of D loads only the deliveries extracted by the end of D (local midnight after it):
later ones wait in landing untouched, and a history replayed night by night equals one run."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import duckdb
import pytest

from ingest import loader
from ingest.as_of import end_of_as_of, extracted_by
from tests.ingest.conftest import FIX

KEY = b"test-key-of-at-least-thirty-two-characters"
NIGHTS = [date(2024, 10, 27), date(2024, 10, 28), date(2024, 10, 29), date(2024, 10, 30)]


def test_the_end_of_the_as_of_date_is_local_midnight():
    assert end_of_as_of(date(2024, 10, 26)) == datetime(2024, 10, 26, 23, tzinfo=UTC)  # BST
    assert end_of_as_of(date(2024, 10, 27)) == datetime(2024, 10, 28, 0, tzinfo=UTC)  # GMT
    assert extracted_by(datetime(2024, 10, 26, 22, 59, tzinfo=UTC), date(2024, 10, 26))
    assert not extracted_by(datetime(2024, 10, 26, 23, 0, tzinfo=UTC), date(2024, 10, 26))
    assert extracted_by(datetime(2030, 1, 1, tzinfo=UTC), None)  # no as-of: no limit


@pytest.fixture
def home(tmp_path):
    land = tmp_path / "landing"
    for trust, names in {
        "TWC": ["wide_csv/TWC_EXAMS_20241028_0200.csv", "wide_csv/TWC_EXAMS_20241029_0200.csv"],
        "THL": ["hl7v2/THL_20241028020000.hl7", "hl7v2/THL_20241029020000.hl7"],
        "TEV": ["event_csv/tev_events_202403070200.txt"],
    }.items():
        (land / trust).mkdir(parents=True)
        for name in names:
            shutil.copy(FIX / name, land / trust)
    (land / "TWC" / "TWC_EXAMS_20241030_0200.csv").write_bytes(
        (FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv").read_bytes().replace(b"RAD1", b"RAD3")
    )
    return tmp_path


def _landing(db) -> dict[str, list]:
    """Landing as loaded, without the file ids and load times that depend on the load order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "manifest": con.execute(
                "select file_path, sha256, extract_at, rows_read, rows_loaded, rows_rejected, outcome "
                "from landing.load_manifest order by file_path"
            ).fetchall(),
            "records": con.execute(
                "select m.file_path, r.* exclude (file_id) from landing.exam_records r join "
                "landing.load_manifest m using (file_id) order by all"
            ).fetchall(),
            "events": con.execute(
                "select m.file_path, e.* exclude (file_id) from landing.exam_events e join "
                "landing.load_manifest m using (file_id) order by all"
            ).fetchall(),
            "rejected": con.execute(
                "select m.file_path, r.* exclude (file_id) from landing.rejected_rows r join "
                "landing.load_manifest m using (file_id) order by all"
            ).fetchall(),
        }
    finally:
        con.close()


def test_a_history_replayed_night_by_night_equals_one_run(home, specs):
    replay = home / "replay.duckdb"
    landing_files = sorted(
        p.relative_to(home) for p in (home / "landing").rglob("*") if p.is_file()
    )
    mtimes = {p: (home / p).stat().st_mtime_ns for p in landing_files}
    for night in NIGHTS:
        s = loader.ingest_landing(
            replay, home, specs, KEY, trusts=["TWC", "THL", "TEV"], as_of=night
        )
        manifest = _landing(replay)["manifest"]
        cutoff = end_of_as_of(night)
        assert manifest and all(extract_at < cutoff for _, _, extract_at, *_ in manifest)
        later = [o for o in s.files if o.outcome == "deferred"]
        assert all(o.extract_at >= cutoff and "later night" in o.message for o in later)
        assert s.totals.deferred == len(later)
        # every file is in the manifest or deferred: none lost, none loaded early
        assert {m[0] for m in manifest} | {o.file_path for o in later} == {
            str(p) for p in landing_files
        }
    assert s.totals.deferred == 0  # the last night has taken everything
    # deferred files were left as they were: not moved, not rewritten
    assert {p: (home / p).stat().st_mtime_ns for p in landing_files} == mtimes
    one_run = home / "one_run.duckdb"
    loader.ingest_landing(one_run, home, specs, KEY, trusts=["TWC", "THL", "TEV"], as_of=NIGHTS[-1])
    assert _landing(replay) == _landing(one_run)


def test_a_night_before_any_delivery_writes_no_manifest_row(home, specs):
    db = home / "r.duckdb"
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], as_of=date(2024, 10, 1))
    assert s.totals.deferred == 3 and s.totals.loaded == 0 and s.totals.skipped == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from landing.load_manifest").fetchone()[0] == 0
    finally:
        con.close()


def test_a_delivery_whose_rows_carry_the_extract_time_is_deferred_after_its_read(tmp_path, specs):
    """The column wins over the name (ingest/feeds: extract_time.column): a file named for the
    28th but extracted on the 29th waits for the 29th, with nothing written on the 28th; one
    named for the 29th but extracted late on the 28th loads on the 28th."""
    good = (FIX / "wide_csv/TXC_EXAMS_20241028.csv").read_bytes()
    assert b"28/10/2024 06:30" in good
    land = tmp_path / "landing/TXC"
    land.mkdir(parents=True)
    (land / "TXC_EXAMS_20241028.csv").write_bytes(
        good.replace(b"28/10/2024 06:30", b"29/10/2024 06:30")
    )
    (land / "TXC_EXAMS_20241029.csv").write_bytes(
        good.replace(b"28/10/2024 06:30", b"28/10/2024 23:30").replace(b"W000", b"V000")
    )
    db = tmp_path / "r.duckdb"
    s = loader.ingest_landing(db, tmp_path, specs, KEY, trusts=["TXC"], as_of=date(2024, 10, 28))
    outcome = {o.file_path.rsplit("/", 1)[1]: o for o in s.files}
    assert outcome["TXC_EXAMS_20241028.csv"].outcome == "deferred"
    assert outcome["TXC_EXAMS_20241028.csv"].extract_at == datetime(2024, 10, 29, 6, 30, tzinfo=UTC)
    assert outcome["TXC_EXAMS_20241029.csv"].outcome == "loaded"
    manifest = _landing(db)["manifest"]
    assert [m[0].rsplit("/", 1)[1] for m in manifest] == ["TXC_EXAMS_20241029.csv"]
    assert {r[0] for r in _landing(db)["records"]} == {
        manifest[0][0]
    }  # nothing of the deferred file
    s = loader.ingest_landing(db, tmp_path, specs, KEY, trusts=["TXC"], as_of=date(2024, 10, 29))
    assert sorted(o.outcome for o in s.files) == ["loaded", "skipped"]
    assert len(_landing(db)["manifest"]) == 2
