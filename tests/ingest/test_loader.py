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
    shutil.copy(
        FIX / "wide_csv/truncated_TWC_EXAMS_20241030_0200.csv",
        land / "TWC/TWC_EXAMS_20241030_0200.csv",
    )
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
    assert (
        s.trusts["TWC"].loaded == 2
        and s.trusts["TWC"].quarantined == 1
        and s.trusts["THL"].loaded == 1
    )
    assert [o.file_path.rsplit("/", 1)[1] for o in seen[-3:]] == [
        "TWC_EXAMS_20241028_0200.csv",
        "TWC_EXAMS_20241029_0200.csv",
        "TWC_EXAMS_20241030_0200.csv",
    ]
    rows = _q(
        db,
        "select m.rows_read, m.rows_loaded, m.rows_rejected, "
        "(select count(*) from landing.rejected_rows r where r.file_id = m.file_id) "
        "from landing.load_manifest m where outcome = 'loaded'",
    )
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
    rows = _q(
        db,
        "select extract_at, count(*) from landing.exam_records where accession = 'W0000' "
        "group by 1 order by 1",
    )
    assert len(rows) == 3  # 28th, 29th and the corrected 31st delivery, all kept (append-only)
    latest = _q(
        db,
        "select e.actor_id from landing.exam_events e where accession = 'W0000' and "
        "event = 'report_verified' order by extract_at desc limit 1",
    )
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


def test_crash_in_a_later_batch_keeps_the_batches_committed_before(home, specs, monkeypatch):
    db = home / "r.duckdb"
    real = loader._insert_frame
    calls = {"events": 0}

    def boom_on_second_events(con, table, rows, *a):
        if table == "exam_events":
            calls["events"] += 1
            if calls["events"] == 2:
                raise RuntimeError("disk full")
        return real(con, table, rows, *a)

    monkeypatch.setattr(loader, "BATCH_FILES", 1)  # each file its own batch and transaction
    monkeypatch.setattr(loader, "_insert_frame", boom_on_second_events)
    with pytest.raises(RuntimeError):
        loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], validate=False)
    kept = _q(db, "select file_path, outcome from landing.load_manifest")
    assert kept == [("landing/TWC/TWC_EXAMS_20241028_0200.csv", "loaded")]
    assert _q(db, "select count(distinct file_id) from landing.exam_events")[0][0] == 1
    monkeypatch.setattr(loader, "_insert_frame", real)
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"], validate=False)
    assert s.trusts["TWC"].loaded == 1 and s.trusts["TWC"].skipped == 1


def test_validation_results_recorded(home, specs):
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC"])
    rows = _q(db, "select suite, expectation, blocking, success from landing.validation_results")
    assert rows and any(not r[3] and not r[2] for r in rows)  # warnings recorded (dup key, nhs)


def _unparseable(home):
    """A TWC delivery whose every row has a timestamp in an undeclared format: fails the blocking
    parse-rate expectation."""
    text = (
        (FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv")
        .read_text()
        .replace("2024-10-26 09:00:00", "26th October")
    )
    (home / "landing/TWC/TWC_EXAMS_20241031_0200.csv").write_text(text)


def _results_by_file(db):
    return _q(
        db,
        "select m.file_path, m.outcome, coalesce(m.message, ''), v.expectation, v.column_name, "
        "v.blocking, v.success, v.observed_value, v.details from landing.load_manifest m "
        "left join landing.validation_results v using (file_id) order by all",
    )


def test_blocking_expectation_quarantines_only_its_file(home, specs):
    _unparseable(home)
    db = home / "r.duckdb"
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"])
    assert (
        s.trusts["TWC"].loaded == 2
        and s.trusts["TWC"].quarantined == 2
        and s.trusts["THL"].loaded == 1
    )
    q = dict(
        _q(db, "select file_path, reason_code || ' ' || message from landing.quarantined_files")
    )
    bad = q["landing/TWC/TWC_EXAMS_20241031_0200.csv"]
    assert bad.startswith("failed_expectation ") and "ExpectColumnValuesToBeInSet(parsed_ok)" in bad
    # results are stored for each loaded file (and only those), each with its own suite
    per_file = _q(
        db,
        "select m.file_path, m.outcome, count(v.file_id), min(v.suite) from landing.load_manifest m "
        "left join landing.validation_results v using (file_id) group by all order by 1",
    )
    assert [(p.rsplit("/", 1)[1], o, n > 0, suite) for p, o, n, suite in per_file] == [
        ("THL_20241028020000.hl7", "loaded", True, "hl7v2.exams"),
        ("TWC_EXAMS_20241028_0200.csv", "loaded", True, "wide_csv.exams"),
        ("TWC_EXAMS_20241029_0200.csv", "loaded", True, "wide_csv.exams"),
        ("TWC_EXAMS_20241030_0200.csv", "quarantined", False, None),
        ("TWC_EXAMS_20241031_0200.csv", "quarantined", False, None),
    ]
    # the warnings of the file with duplicate keys are its own, not its batch neighbours'
    warned = dict(
        _q(
            db,
            "select m.file_path, count(*) filter (where not v.success) from landing.load_manifest m "
            "join landing.validation_results v using (file_id) group by 1",
        )
    )
    assert warned["landing/TWC/TWC_EXAMS_20241028_0200.csv"] == 0
    assert warned["landing/TWC/TWC_EXAMS_20241029_0200.csv"] > 0


def test_outcomes_do_not_depend_on_the_batch(home, specs, tmp_path, monkeypatch):
    _unparseable(home)
    one_go = home / "r.duckdb"
    loader.ingest_landing(one_go, home, specs, KEY, trusts=["TWC", "THL"])
    monkeypatch.setattr(loader, "BATCH_FILES", 1)
    monkeypatch.setattr(loader, "BATCHES_PER_CONNECTION", 1)  # and each on a new connection
    file_by_file = home / "r1.duckdb"
    loader.ingest_landing(file_by_file, home, specs, KEY, trusts=["TWC", "THL"])
    assert _results_by_file(one_go) == _results_by_file(file_by_file)
    assert _landing_rows(one_go) == _landing_rows(file_by_file)


def test_ge_failing_on_a_batch_falls_back_to_one_file_at_a_time(home, specs, monkeypatch):
    from ingest.validation import FeedValidator

    _unparseable(home)
    reference = home / "r.duckdb"
    loader.ingest_landing(reference, home, specs, KEY, trusts=["TWC", "THL"])
    real = FeedValidator.judge_many
    batches = []

    def fails_on_batches(self, measured):
        batches.append(len(measured))
        if len(measured) > 1:
            raise RuntimeError("GE failed on the batch")
        return real(self, measured)

    monkeypatch.setattr(FeedValidator, "judge_many", fails_on_batches)
    db = home / "r2.duckdb"
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"])
    assert batches[0] > 1 and set(batches[1:]) == {1}  # the batch failed, then file by file
    assert _results_by_file(db) == _results_by_file(reference)


def _landing_rows(db) -> dict[str, list]:
    """Every landing table's rows, without the columns that record when the load ran."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'landing' order by 1"
        ).fetchall():
            cols = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'landing' "
                    "and table_name = ? order by ordinal_position",
                    [t],
                ).fetchall()
                if c not in ("started_at", "finished_at", "quarantined_at", "validated_at")
            ]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[t] = con.execute(f"select {sel} from landing.{t} order by all").fetchall()
        return out
    finally:
        con.close()


def test_reader_processes_load_exactly_what_one_process_loads(home, specs, monkeypatch):
    serial, parallel = home / "serial.duckdb", home / "parallel.duckdb"
    loader.ingest_landing(serial, home, specs, KEY, trusts=["TWC", "THL"], read_workers=1)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 1)  # the fixture's four files go to workers
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(loader, "READ_AHEAD_FILES", 2)
    s = loader.ingest_landing(parallel, home, specs, KEY, trusts=["TWC", "THL"], read_workers=2)
    assert s.totals.loaded == 3 and s.totals.quarantined == 1
    assert _landing_rows(parallel) == _landing_rows(serial)


def test_file_changed_after_hashing_is_not_loaded_with_the_old_hash(home, specs):
    path = home / "landing/TWC/TWC_EXAMS_20241028_0200.csv"
    job = loader._ReadJob(
        specs["TWC"], path, "landing/TWC/x.csv", "exams", "0" * 64, None, None, None
    )
    f = loader._read_job(job)
    assert f.rows is None and f.problem.reason == "unreadable" and "changed" in f.problem.message


def test_known_files_are_not_read_again_unless_they_change(home, specs, monkeypatch):
    db = home / "r.duckdb"
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"], validate=False)
    assert _q(db, "select count(*) from landing.file_fingerprints")[0][0] == 4
    hashed = []
    real_sha256 = loader.hashlib.sha256
    monkeypatch.setattr(
        loader.hashlib, "sha256", lambda data=b"": hashed.append(1) or real_sha256(data)
    )
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"], validate=False)
    assert s.totals.skipped == 4 and not hashed  # a night does not re-read old deliveries
    # the same name with new bytes (a corrected file sent again under its old name) is new
    path = home / "landing/TWC/TWC_EXAMS_20241028_0200.csv"
    path.write_text(path.read_text().replace("RAD1", "RAD2"))
    s = loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"], validate=False)
    assert s.totals.loaded == 1 and s.totals.skipped == 3


def test_the_manifest_records_the_feed_mode_and_an_older_one_gains_it(home, specs):
    """Every file's row says its feed's `mode`; a landing made before the manifest had the
    column gains it on the next run, its old rows filled from the trust's spec."""
    db = home / "r.duckdb"
    specs = {
        **specs,
        "TWC": specs["TWC"].model_copy(update={"mode": "snapshot", "snapshot_days": 7}),
    }
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"])
    modes = _q(db, "select distinct trust_code, feed_mode from landing.load_manifest order by 1")
    assert modes == [("THL", "delta"), ("TWC", "snapshot")]
    with duckdb.connect(str(db)) as con:
        con.execute("alter table landing.load_manifest drop column feed_mode")
    loader.ingest_landing(db, home, specs, KEY, trusts=["TWC", "THL"])
    rows = _q(db, "select trust_code, feed_mode from landing.load_manifest order by file_id")
    assert len(rows) == 4 and all(mode == specs[trust].mode for trust, mode in rows)
