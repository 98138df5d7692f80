import shutil

import duckdb
import pytest

from ingest import loader
from tests.ingest.conftest import FIX

KEY = b"test-key"


@pytest.fixture
def home(tmp_path):
    land = tmp_path / "landing"
    (land / "TWC").mkdir(parents=True)
    (land / "THL").mkdir(parents=True)
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv", land / "TWC")
    shutil.copy(FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv", land / "TWC")
    shutil.copy(FIX / "wide_csv/truncated_TWC_EXAMS_20241030_0200.csv", land / "TWC/TWC_EXAMS_20241030_0200.csv")
    shutil.copy(FIX / "hl7v2/THL_20241028020000.hl7", land / "THL")
    return tmp_path


def _q(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_load_reconcile_skip_quarantine(home, specs):
    db = home / "r.duckdb"
    seen = []
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"], on_file=seen.append)
    assert s.trusts["TWC"].loaded == 2 and s.trusts["TWC"].quarantined == 1 and s.trusts["THL"].loaded == 1
    assert [o.file_path.rsplit("/", 1)[1] for o in seen[-3:]] == [
        "TWC_EXAMS_20241028_0200.csv", "TWC_EXAMS_20241029_0200.csv", "TWC_EXAMS_20241030_0200.csv"]
    rows = _q(db, "select m.rows_read, m.rows_loaded, m.rows_rejected, "
                  "(select count(*) from landing.rejected_rows r where r.file_id = m.file_id) "
                  "from landing.load_manifest m where outcome = 'loaded'")
    for read, loaded, rejected, nrej in rows:
        assert read == loaded + rejected and rejected == nrej
    assert _q(db, "select count(*) from landing.exam_records where patient_key is null")[0][0] == 0
    q = _q(db, "select reason_code, report_path from landing.quarantined_files")
    assert q[0][0] == "truncated_file" and (home / q[0][1]).is_file()
    assert (home / "reports/quarantine").is_dir()
    before = _q(db, "select count(*) from landing.exam_events")[0][0]
    s2 = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"])
    assert s2.totals.skipped == 4 and s2.totals.loaded == 0
    assert _q(db, "select count(*) from landing.exam_events")[0][0] == before


def test_redelivery_keeps_both_with_later_extract(home, specs):
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], validate=False)
    fixed = (FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv").read_text().replace("RAD1", "RAD2")
    (home / "landing/TWC/TWC_EXAMS_20241031_0200.csv").write_text(fixed)
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], validate=False)
    rows = _q(db, "select extract_at, count(*) from landing.exam_records where accession = 'W0000' "
                  "group by 1 order by 1")
    assert len(rows) == 3  # 28th, 29th and the corrected 31st delivery, all kept (append-only)
    latest = _q(db, "select e.actor_id from landing.exam_events e where accession = 'W0000' and "
                    "event = 'report_verified' order by extract_at desc limit 1")
    assert latest[0][0] == "RAD2"


def test_crash_mid_file_leaves_nothing(home, specs, monkeypatch):
    db = home / "r.duckdb"
    real = loader._insert_frame
    calls = {"n": 0}

    def boom(con, table, df, *a):
        calls["n"] += 1
        if table == "exam_events":
            raise RuntimeError("disk full")
        return real(con, table, df, *a)

    monkeypatch.setattr(loader, "_insert_frame", boom)
    with pytest.raises(RuntimeError):
        loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], validate=False)
    assert _q(db, "select count(*) from landing.exam_records")[0][0] == 0
    assert _q(db, "select count(*) from landing.load_manifest")[0][0] == 0
    monkeypatch.setattr(loader, "_insert_frame", real)
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], validate=False)
    assert s.trusts["TWC"].loaded == 2


def test_validation_results_recorded(home, specs):
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"])
    rows = _q(db, "select suite, expectation, blocking, success from landing.validation_results")
    assert rows and any(not r[3] and not r[2] for r in rows)  # warnings recorded (dup key, nhs)
