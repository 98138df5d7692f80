"""The nightly landing load: discover deliveries, skip known bytes, validate, load a batch of
files per transaction with their manifest rows, quarantine whole-file problems with a report.

Landing is append-only (every delivery kept with file_id and extract_at); superseding by the
latest extract happens downstream in dbt staging.
"""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
import os
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ingest.as_of import deferred_message, extracted_by
from ingest.contract import (
    CAPACITY_SLOTS,
    EXAM_EVENTS,
    EXAM_RECORDS,
    LOAD_MANIFEST,
    REJECTED_ROWS,
    ddl,
)
from ingest.feeds.spec import FeedSpec
from ingest.key_fingerprint import check_key, record_key
from ingest.memory import keep_freed_memory, release_freed_memory_over
from ingest.pseudonym import patient_keys
from ingest.readers import read_file
from ingest.readers.base import QuarantineError, ReadResult, extract_time

QUARANTINED_FILES = {
    "file_id": "BIGINT",
    "file_path": "VARCHAR",
    "sha256": "VARCHAR",
    "trust_code": "VARCHAR",
    "reason_code": "VARCHAR",
    "message": "VARCHAR",
    "report_path": "VARCHAR",
    "quarantined_at": "TIMESTAMPTZ",
}


def _validation_ddl():
    from ingest.validation import VALIDATION_RESULTS

    return VALIDATION_RESULTS


TABLES = {
    "exam_records": EXAM_RECORDS,
    "exam_events": EXAM_EVENTS,
    "capacity_slots": CAPACITY_SLOTS,
    "load_manifest": LOAD_MANIFEST,
    "rejected_rows": REJECTED_ROWS,
    "quarantined_files": QUARANTINED_FILES,
}


@dataclass
class FileOutcome:
    trust_code: str
    file_path: str
    content: str
    outcome: str  # loaded | skipped | quarantined | deferred (extracted after the as-of date)
    file_id: int | None = None
    extract_at: datetime | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    message: str | None = None
    warnings: int = 0
    reject_reasons: Counter = field(default_factory=Counter)


@dataclass
class TrustSummary:
    files: int = 0
    loaded: int = 0
    skipped: int = 0
    quarantined: int = 0
    deferred: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reject_reasons: Counter = field(default_factory=Counter)

    def top_rejections(self, n: int = 3) -> list[tuple[str, int]]:
        return self.reject_reasons.most_common(n)


@dataclass
class IngestSummary:
    trusts: dict[str, TrustSummary] = field(default_factory=dict)
    files: list[FileOutcome] = field(default_factory=list)

    def add(self, o: FileOutcome) -> None:
        t = self.trusts.setdefault(o.trust_code, TrustSummary())
        t.files += 1
        setattr(t, o.outcome, getattr(t, o.outcome) + 1)
        t.rows_read += o.rows_read
        t.rows_loaded += o.rows_loaded
        t.rows_rejected += o.rows_rejected
        t.reject_reasons.update(o.reject_reasons)
        self.files.append(o)

    @property
    def totals(self) -> TrustSummary:
        tot = TrustSummary()
        for t in self.trusts.values():
            for k in (
                "files",
                "loaded",
                "skipped",
                "quarantined",
                "deferred",
                "rows_read",
                "rows_loaded",
                "rows_rejected",
            ):
                setattr(tot, k, getattr(tot, k) + getattr(t, k))
            tot.reject_reasons.update(t.reject_reasons)
        return tot


def _x(con, sql: str, params=None):
    """Execute and drain a statement (DuckDB wants results consumed before the next one)."""
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    try:
        return cur.fetchall()
    except duckdb.Error:
        return []


# The loader's own cache, not part of the landing contract: the sha256 of each file as last seen
# (path, size, modification time), so that a night does not re-read a year of old deliveries to
# find the few new ones. Whether a file loads is still decided by its sha256 in load_manifest.
FILE_FINGERPRINTS = {
    "file_path": "VARCHAR",
    "size": "BIGINT",
    "mtime_ns": "BIGINT",
    "sha256": "VARCHAR",
}


def create_landing(
    con: duckdb.DuckDBPyConnection, specs: dict[str, FeedSpec] | None = None
) -> None:
    _x(con, "create schema if not exists landing")
    for name, cols in {
        **TABLES,
        "validation_results": _validation_ddl(),
        "file_fingerprints": FILE_FINGERPRINTS,
    }.items():
        _x(con, ddl(f"landing.{name}", cols))
    _migrate_feed_mode(con, specs or {})


def _migrate_feed_mode(con, specs: dict[str, FeedSpec]) -> None:
    """A landing schema made before the manifest recorded `feed_mode` gains the column; files
    read before then get the mode their trust's spec declares now (the best knowledge there is)."""
    _x(con, "alter table landing.load_manifest add column if not exists feed_mode varchar")
    for code, spec in specs.items():
        _x(
            con,
            "update landing.load_manifest set feed_mode = ? where trust_code = ? and feed_mode is null",
            [spec.mode, code],
        )


class _Fingerprints:
    """sha256 by file, re-read only when a file's size or modification time changed."""

    def __init__(self, con) -> None:
        self.seen = {
            path: (size, mtime, sha)
            for path, size, mtime, sha in con.execute(
                "select file_path, size, mtime_ns, sha256 from landing.file_fingerprints"
            ).fetchall()
        }
        self.fresh: list[tuple[str, int, int, str]] = []

    def sha256(self, path: Path, rel: str) -> str:
        st = path.stat()
        cached = self.seen.get(rel)
        if cached is not None and cached[:2] == (st.st_size, st.st_mtime_ns):
            return cached[2]
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        self.fresh.append((rel, st.st_size, st.st_mtime_ns, sha))
        return sha

    def save(self, con) -> None:
        if not self.fresh:
            return
        path, size, mtime, sha = zip(*self.fresh, strict=True)
        fresh = pa.table(  # one statement each for all the files, not one per file
            {
                "file_path": pa.array(path, pa.string()),
                "size": pa.array(size, pa.int64()),
                "mtime_ns": pa.array(mtime, pa.int64()),
                "sha256": pa.array(sha, pa.string()),
            }
        )
        _x(con, "begin transaction")
        con.register("_fresh_fingerprints", fresh)
        try:
            _x(
                con,
                "delete from landing.file_fingerprints "
                "where file_path in (select file_path from _fresh_fingerprints)",
            )
            _x(
                con,
                "insert into landing.file_fingerprints (file_path, size, mtime_ns, sha256) "
                "select file_path, size, mtime_ns, sha256 from _fresh_fingerprints",
            )
        finally:
            con.unregister("_fresh_fingerprints")
        _x(con, "commit")


def discover(
    home: Path, spec: FeedSpec
) -> list[tuple[datetime | None, str, Path, QuarantineError | None]]:
    """Files of a trust in extract-time order: (extract_at, content, path, name error)."""
    folder = Path(home) / "landing" / spec.trust_code
    found = []
    for content, pattern in (("exams", spec.files.exams), ("slots", spec.files.slots)):
        if not pattern or not folder.is_dir():
            continue
        for p in sorted(folder.glob(pattern)):
            if not p.is_file():
                continue
            try:
                found.append((extract_time(spec, p.name), content, p, None))
            except QuarantineError as e:
                found.append((None, content, p, e))
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda f: (f[0] or epoch, f[1], f[2].name))
    return found


def load_local_codes(seeds_dir: Path | None) -> dict[str, set[str]] | None:
    if seeds_dir is None:
        return None
    path = Path(seeds_dir) / "local_procedure_codes.csv"
    out: dict[str, set[str]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["trust_code"], set()).add(row["local_code"])
    return out


# The loader's DuckDB connection is opened anew after this many batches: over a year's run the
# loader's memory grew to gigabytes while the connection was open, and closing it gave most of
# it back (DuckDB's caches and its allocators' freed memory).
BATCHES_PER_CONNECTION = 4


def _connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db_path))
    _x(con, "set enable_progress_bar = false")  # a batch's insert must not draw on the log
    return con


# Files are read ahead, validated and loaded in batches: a Great Expectations call has a fixed
# cost per expectation however few rows it sees, and a commit a fixed cost too (with DuckDB's
# automatic checkpoint once the write-ahead log passes `checkpoint_threshold`). A batch is one
# transaction: its files' rows and manifest rows are written together or not at all, so a crash
# loses only the batch being written, and the next run loads it again (the manifest decides).
BATCH_FILES = 256  # at most this many new files read ahead, judged and committed together
# A full-scale trust's nightly snapshot is tens of thousands of rows: a batch of a few such files
# paid GE's judge and a commit (and checkpoint) every few files (issue #27)
BATCH_ROWS = 800_000  # ...and at most this many rows read held in memory while they wait


@dataclass
class _ReadJob:
    """A new delivery to read: where it is, what it is and what decided that it is new."""

    spec: FeedSpec
    path: Path
    rel: str
    content: str
    sha: str
    extract_at: datetime | None
    name_err: QuarantineError | None
    codes: set[str] | None
    size: int = 0  # bytes of the delivery
    key: bytes = field(default=b"", repr=False)  # the pseudonym key: patient keys at the read
    measure: bool = False  # tally the file's expectations at the read (validation is on)


@dataclass
class _Rows:
    """A read file's rows on their way to the load, as Arrow tables by landing table: a reader
    process hands them over as Arrow IPC streams, not as pickled pandas frames, and the insert
    scans them as they are."""

    rows_read: int
    rows_rejected: int
    reject_reasons: Counter
    extract_at: datetime | None
    tables: dict[str, pa.Table | pd.DataFrame]

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected

    def __getstate__(self) -> dict:  # out of a reader process: each table as one IPC stream
        state = dict(vars(self))
        state["tables"] = {t: _ipc(rows) for t, rows in self.tables.items()}
        return state

    def __setstate__(self, state: dict) -> None:  # read in place, without copying the buffers
        state["tables"] = {
            t: pa.ipc.open_stream(rows).read_all() if isinstance(rows, bytes) else rows
            for t, rows in state["tables"].items()
        }
        vars(self).update(state)


def _ipc(rows: pa.Table | pd.DataFrame) -> bytes | pd.DataFrame:
    if not isinstance(rows, pa.Table):
        return rows  # a frame Arrow could not take travels pickled
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as stream:
        stream.write_table(rows)
    return sink.getvalue().to_pybytes()


@dataclass
class _ReadFile(_ReadJob):
    """A new delivery read and waiting for its batch's validation verdict before it is loaded."""

    started: datetime | None = None
    rows: _Rows | None = None
    checks: object = None  # the file's measured suite (validation.FileChecks), or the error
    problem: QuarantineError | None = None  # quarantine reason found by reading or validating
    outcomes: list = field(default_factory=list)

    @property
    def family(self) -> str:
        return self.spec.family if self.content == "exams" else f"{self.spec.family}.slots"


def ingest_landing(
    db_path: Path,
    home: Path,
    specs: dict[str, FeedSpec],
    pseudonym_key: bytes,
    trusts: Sequence[str] | None = None,
    seeds_dir: Path | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    validate: bool = True,
    read_workers: int | None = None,
    as_of: date | None = None,
) -> IngestSummary:
    """Load every new delivery of the chosen trusts into the landing schema of `db_path`.

    With `as_of`, a delivery extracted after the end of that date is deferred (ingest/as_of.py):
    left in landing untouched, nothing written, loaded by a later night.

    Files are taken in trust and extract-time order; new ones are read ahead in batches
    (`BATCH_FILES`, `BATCH_ROWS`), validated together, then loaded or quarantined one per
    transaction in the same order. Many new files are read by `read_workers` processes
    (default: up to 2) while this one loads; the outcome does not depend on it."""
    if not pseudonym_key:
        raise ValueError("pseudonym_key is empty: pass the key bytes from the settings")
    home = Path(home)
    local_codes = load_local_codes(seeds_dir)
    summary = IngestSummary()
    validator = None
    waiting: list[FileOutcome | _ReadFile] = []  # in load order; skipped files keep their place
    con = _connect(db_path)
    batches_on_con = 0

    def finish_batch() -> None:
        nonlocal con, batches_on_con
        batch = [w for w in waiting if isinstance(w, _ReadFile)]
        if validator is not None:
            _validate_batch(validator.get(), batch)
        for o in _load_batch(con, home, waiting, pseudonym_key, as_of):
            summary.add(o)
            if on_file is not None:  # after the commit: a file reported is a file kept
                on_file(o)
        waiting.clear()
        batches_on_con += 1
        if batches_on_con >= BATCHES_PER_CONNECTION:  # committed: a new connection loses nothing
            con.close()
            con = _connect(db_path)
            batches_on_con = 0
        release_freed_memory_over(RESIDENT_BOUND_LOADER)

    try:
        check_key(con, pseudonym_key, db_path)  # raises KeyMismatch before anything is written
        create_landing(con, specs)
        record_key(con, pseudonym_key)
        known = {r[0] for r in con.execute("select sha256 from landing.load_manifest").fetchall()}
        fingerprints = _Fingerprints(con)
        plan: list[FileOutcome | _ReadJob] = []  # in load order
        for code in sorted(specs):
            if trusts is not None and code not in trusts:
                continue
            spec = specs[code]
            codes = None if local_codes is None else local_codes.get(code, set())
            for extract_at, content, path, name_err in discover(home, spec):
                rel = _rel(path, home)
                # a time in the name alone decides now; with an extract-time column, after the read
                if spec.extract_time.column is None and not extracted_by(extract_at, as_of):
                    plan.append(
                        FileOutcome(
                            code,
                            rel,
                            content,
                            "deferred",
                            extract_at=extract_at,
                            message=deferred_message(extract_at, as_of),
                        )
                    )
                    continue
                sha = fingerprints.sha256(path, rel)
                if sha in known:
                    plan.append(
                        FileOutcome(
                            code,
                            rel,
                            content,
                            "skipped",
                            extract_at=extract_at,
                            message="bytes already loaded or quarantined (same sha256)",
                        )
                    )
                    continue
                known.add(sha)  # the same bytes again later in this run are skipped, as across runs
                plan.append(
                    _ReadJob(
                        spec,
                        path,
                        rel,
                        content,
                        sha,
                        extract_at,
                        name_err,
                        codes,
                        path.stat().st_size,
                        pseudonym_key,
                        validate,
                    )
                )
        fingerprints.save(con)  # a cache: should the run stop, the manifest still decides
        jobs = [p for p in plan if isinstance(p, _ReadJob)]
        if validate and jobs:
            validator = _ValidatorInBackground()
        reads = _reads_in_order(
            jobs, read_workers if read_workers is not None else _default_workers()
        )
        rows_waiting = files_waiting = 0
        for item in plan:
            if isinstance(item, FileOutcome):
                waiting.append(item)
                continue
            f = next(reads)
            waiting.append(f)
            files_waiting += 1
            rows_waiting += f.rows.rows_read if f.rows is not None else 0
            if files_waiting >= BATCH_FILES or rows_waiting >= BATCH_ROWS:
                finish_batch()
                rows_waiting = files_waiting = 0
        finish_batch()
    finally:
        con.close()
    return summary


# New files are read by worker processes ahead of the load when there is enough to read:
# parsing, the expectations' tallies and the pseudonyms are single-threaded Python, so the next
# files are read while this process judges and inserts a batch. A demo night's few small files
# are read here: starting the workers would cost more (docs/benchmarks.md).
PARALLEL_MIN_FILES = 4
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
# Files read by workers and not yet taken, at most: enough to keep the workers busy while this
# process validates and inserts a batch, few enough to bound memory.
READ_AHEAD_FILES = 16
READ_AHEAD_BYTES = 256 * 1024 * 1024  # of delivery bytes (frames in memory are a few times more)


# A process's resident memory, at most, before it gives the memory freed so far back to the
# kernel: the loader checks after a batch's commit, a reader before its next file. Below it, the
# freed memory is kept for the next file (ingest/memory.py: fewer page faults). Without a bound a
# reader kept what its biggest file (a trust's first backfill) needed to the end of the run.
RESIDENT_BOUND_LOADER = 1024 << 20
RESIDENT_BOUND_READER = 768 << 20


def _default_workers() -> int:
    return min(2, os.cpu_count() or 1)


def _read_job(job: _ReadJob) -> _ReadFile:
    """Read one new delivery; in a worker the bytes are read again, so they must still be the
    bytes whose sha256 decided that the file is new."""
    f = _ReadFile(**vars(job), started=datetime.now(UTC))
    data = job.path.read_bytes()
    try:
        if hashlib.sha256(data).hexdigest() != job.sha:
            raise QuarantineError(
                "unreadable",
                f"{job.rel}: the file changed while it was being "
                "loaded (a delivery still being written?); its new bytes load on "
                "the next run",
            )
        if job.name_err is not None:
            raise job.name_err
        res = read_file(
            job.path,
            job.spec,
            job.content,
            extract_at=job.extract_at,
            local_codes=job.codes,
            file_path=job.rel,
            data=data,
        )
        if job.measure:
            f.checks = _measured(res)
        f.rows = _rows(res, job.key)
    except QuarantineError as q:
        f.problem = q
    except Exception as e:  # noqa: BLE001 -a reader bug must not stop the night: quarantine the file as unreadable
        f.problem = QuarantineError(
            "unreadable",
            f"{job.rel}: the reader failed ({type(e).__name__}: "
            f"{e}); keep the file, report the problem to the warehouse team",
        )
    return f


def _read_job_in_reader(job: _ReadJob) -> _ReadFile:
    """A reader process's job: the memory the last files freed kept only up to a bound."""
    release_freed_memory_over(RESIDENT_BOUND_READER)
    return _read_job(job)


def _measured(res: ReadResult):
    """The file's expectations tallied here, where its rows are; an error is kept for the batch's
    judge, which quarantines the file with it."""
    from ingest.validation import measure

    try:
        return measure(res)
    except Exception as e:  # noqa: BLE001 - the file's validation error is recorded with it
        return e


def _rows(res: ReadResult, key: bytes) -> _Rows:
    """The read file's rows as Arrow tables by landing table, patient keys added to its records."""
    recs = res.exam_records
    if len(recs):
        recs = recs.copy()
        keys = patient_keys(recs["nhs_number"].astype(object), key).to_numpy()
        if _arrow_backed(recs):  # keep the frame all Arrow, so that it goes to Arrow as it is
            keys = pd.array(keys, dtype=pd.ArrowDtype(pa.string()))
        recs["patient_key"] = keys
    frames = {
        "exam_records": recs,
        "exam_events": res.exam_events,
        "capacity_slots": res.capacity_slots,
        "rejected_rows": res.rejected,
    }
    return _Rows(
        res.rows_read,
        res.rows_rejected,
        Counter(res.rejected["reason_code"].tolist()),
        res.extract_at,
        {table: _as_arrow(df) for table, df in frames.items() if len(df)},
    )


def _reader_init(loader_pid: int) -> None:
    """A reader process dies with the loader: a killed night must not leave readers behind
    holding its files and its output pipes (PR_SET_PDEATHSIG, Linux)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the reader ends when its work queue closes
        pass
    if os.getppid() != loader_pid:  # the loader died before the line above took effect
        os._exit(1)
    # a reader reads file after file as the benchmark's process does; Arrow's part of the
    # setting came in the environment, if the loader's process made it
    keep_freed_memory()


def _reads_in_order(jobs: list[_ReadJob], workers: int) -> Iterator[_ReadFile]:
    """The jobs' read files in job order, read ahead by `workers` processes when there are many.
    Should the worker pool break (e.g. a worker killed for memory), the rest is read here."""
    if (
        workers <= 1
        or len(jobs) < PARALLEL_MIN_FILES
        or sum(job.size for job in jobs) < PARALLEL_MIN_BYTES
    ):
        for job in jobs:
            yield _read_job(job)
        return
    todo = deque(jobs)
    pending: deque = deque()
    in_flight = 0  # bytes of the pending jobs' deliveries
    # spawn, not fork: this process holds DuckDB and Arrow thread pools that a fork would copy
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_reader_init,
        initargs=(os.getpid(),),
    )
    try:
        while todo or pending:
            while todo and (
                not pending
                or (
                    len(pending) < READ_AHEAD_FILES and in_flight + todo[0].size <= READ_AHEAD_BYTES
                )
            ):
                job = todo.popleft()
                pending.append((job, pool.submit(_read_job_in_reader, job)))
                in_flight += job.size
            job, fut = pending.popleft()
            in_flight -= job.size
            try:
                f = fut.result()
            except Exception:  # noqa: BLE001 -the pool is broken: read this file and the rest in-process
                yield _read_job(job)
                for job, _ in pending:
                    yield _read_job(job)
                for job in todo:
                    yield _read_job(job)
                return
            yield f
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _rel(path: Path, home: Path) -> str:
    try:
        return str(path.relative_to(home))
    except ValueError:
        return str(path)


def _next_file_id(con) -> int:
    return int(
        con.execute("select coalesce(max(file_id), 0) + 1 from landing.load_manifest").fetchall()[
            0
        ][0]
    )


class _ValidatorInBackground:
    """The Great Expectations validator, made in a thread while the first files are read:
    importing GE and making its context takes 1.5-3 s, a fifth of a night's ingest when done
    first. The first batch waits for it; a failure to make it is raised there."""

    def __init__(self) -> None:
        self._made: list = []
        self._thread = threading.Thread(target=self._make, name="ge-validator", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        try:
            from ingest.validation import FeedValidator

            self._made.append(FeedValidator())
        except BaseException as e:  # noqa: BLE001 -re-raised in the loader's thread by get()
            self._made.append(e)

    def get(self):
        self._thread.join()
        made = self._made[0]
        if isinstance(made, BaseException):
            raise made
        return made


def _validate_batch(validator, batch: list[_ReadFile]) -> None:
    """Judge the read files of a batch, measured by their readers, in one GE validation; a file
    that blocks is marked for quarantine. Should GE fail on the batch, each file is judged alone
    so that only the file it fails on is quarantined."""
    from ingest.validation import blocking_failures

    todo = [f for f in batch if f.rows is not None]
    results: list = [f.checks if isinstance(f.checks, Exception) else None for f in todo]
    measured = [i for i, f in enumerate(todo) if results[i] is None]
    try:
        judged = validator.judge_many([todo[i].checks for i in measured]) if measured else []
    except Exception:  # noqa: BLE001 - any validator failure: judge file by file instead
        judged = [_judged_alone(validator, todo[i].checks) for i in measured]
    for i, outcomes in zip(measured, judged):
        results[i] = outcomes
    for f, outcomes in zip(todo, results):
        if isinstance(outcomes, Exception):
            f.problem = QuarantineError(
                "unreadable",
                f"{f.rel}: pre-load validation failed "
                f"({type(outcomes).__name__}: {outcomes}); keep the file, report "
                "the problem to the warehouse team",
            )
            continue
        f.outcomes = outcomes
        failed = blocking_failures(outcomes)
        if failed:
            desc = "; ".join(f"{o.expectation}({o.column}) observed {o.observed}" for o in failed)
            f.problem = QuarantineError(
                "failed_expectation",
                f"{f.rel}: blocking expectation(s) failed: "
                f"{desc}; inspect the file with `wmin feeds check` and ask the "
                "trust to resend a corrected delivery",
            )


def _judged_alone(validator, checks):
    try:
        return validator.judge_many([checks])[0]
    except Exception as e:  # noqa: BLE001 - the file's validation error is recorded with it
        return e


def _deferred_after_read(f: _ReadFile, as_of: date | None) -> FileOutcome | None:
    """A delivery whose extract time only its rows carry (an extract-time column), read and found
    to be extracted after the as-of date: deferred like one whose name says so, nothing written."""
    extract_at = f.rows.extract_at if f.rows is not None else None
    if extracted_by(extract_at, as_of):
        return None
    return FileOutcome(
        f.spec.trust_code,
        f.rel,
        f.content,
        "deferred",
        extract_at=extract_at,
        message=deferred_message(extract_at, as_of),
    )


def _load_batch(
    con, home, waiting: list[FileOutcome | _ReadFile], key: bytes, as_of: date | None
) -> list[FileOutcome]:
    """The batch's files loaded or quarantined in load order, in one transaction; each landing
    table gets one insert of the batch's rows."""
    out: list[FileOutcome] = []
    rows = _BatchRows()
    _x(con, "begin transaction")
    try:
        file_id = _next_file_id(con)
        for w in waiting:
            if isinstance(w, _ReadFile):
                w = _deferred_after_read(w, as_of) or _finish(con, home, w, rows, file_id)
            if w.file_id is not None:
                file_id += 1
            out.append(w)
        rows.insert(con)
        _x(con, "commit")
    except BaseException:
        _x(con, "rollback")
        raise
    return out


def _finish(con, home, f: _ReadFile, rows: _BatchRows, file_id: int) -> FileOutcome:
    if f.problem is not None:
        return _quarantine(con, home, f, f.problem, file_id)
    # the reader's extract time: the file name's, or the spec's extract-time column when it has one
    extract_at = f.rows.extract_at or f.extract_at
    return _insert(con, f, extract_at, rows, file_id)


class _BatchRows:
    """The rows of a batch's loaded files by landing table, each stamped with its file's id (and
    extract time), inserted with one statement per table."""

    TABLES = ("exam_records", "exam_events", "capacity_slots", "rejected_rows")

    def __init__(self) -> None:
        self.parts: dict[str, list] = {t: [] for t in self.TABLES}
        self.outcomes: list[tuple[int, list]] = []  # (file_id, its expectation outcomes)
        self.manifest: list[dict] = []  # the loaded files' manifest rows

    def add(self, table: str, rows, file_id: int, extract_at: datetime | None) -> None:
        if rows is not None and len(rows):
            self.parts[table].append(_stamped(rows, file_id, extract_at))

    def insert(self, con) -> None:
        for table, parts in self.parts.items():
            for rows in _combined(parts):
                _insert_frame(con, table, rows, None, None)
        if self.outcomes:
            from ingest.validation import outcomes_frame

            _insert_frame(con, "validation_results", outcomes_frame(self.outcomes), None, None)
        _insert_rows(con, "load_manifest", self.manifest)


def _stamped(rows, file_id: int, extract_at: datetime | None):
    """The rows with their file's id, and its extract time when known, on every row."""
    if isinstance(rows, pd.DataFrame):  # a frame Arrow could not take: DuckDB casts it
        rows = rows.assign(file_id=file_id)
        if extract_at is not None:
            rows["extract_at"] = pd.Timestamp(extract_at)
        return rows
    n = rows.num_rows
    values = {"file_id": pa.scalar(file_id, pa.int64())}
    if extract_at is not None:
        values["extract_at"] = pa.scalar(extract_at, pa.timestamp("us", tz="UTC"))
    for name, value in values.items():
        column = pa.repeat(value, n)
        i = rows.schema.get_field_index(name)
        rows = rows.set_column(i, name, column) if i >= 0 else rows.append_column(name, column)
    return rows


def _combined(parts: list) -> list:
    """The batch's Arrow tables of one landing table as one (types widened where files differ,
    missing columns null); frames, or tables whose types do not combine, stay apart."""
    tables = [p for p in parts if isinstance(p, pa.Table)]
    frames = [p for p in parts if not isinstance(p, pa.Table)]
    if len(tables) > 1:
        try:
            tables = [pa.concat_tables(tables, promote_options="permissive")]
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
    return tables + frames


def _insert(
    con, f: _ReadFile, extract_at: datetime | None, rows: _BatchRows, file_id: int
) -> FileOutcome:
    """The file's rows and expectation results added to the batch's; its manifest row."""
    spec, res, outcomes = f.spec, f.rows, f.outcomes
    for table in _BatchRows.TABLES:
        stamp_at = extract_at if table != "rejected_rows" else None
        rows.add(table, res.tables.get(table), file_id, stamp_at)
    if outcomes:
        rows.outcomes.append((file_id, outcomes))
    warnings = sum(1 for o in outcomes if not o.success and not o.blocking)
    rows.manifest.append(
        _manifest_row(
            file_id,
            f,
            extract_at,
            outcome="loaded",
            rows=res,
            message=f"{warnings} expectation warning(s)" if warnings else None,
        )
    )
    return FileOutcome(
        spec.trust_code,
        f.rel,
        f.content,
        "loaded",
        file_id,
        extract_at,
        res.rows_read,
        res.rows_loaded,
        res.rows_rejected,
        warnings=warnings,
        reject_reasons=res.reject_reasons,
    )


def _insert_frame(
    con, table: str, rows: pa.Table | pd.DataFrame | None, file_id, extract_at
) -> None:
    """Insert the rows by column name; the file's id and extract time (when given) are set on
    every row by the insert itself."""
    if rows is None or not len(rows):
        return
    if isinstance(rows, pd.DataFrame):
        rows = _as_arrow(rows)
    given = {"file_id": file_id, "extract_at": extract_at}
    given = {c: v for c, v in given.items() if v is not None}
    have = rows.column_names if isinstance(rows, pa.Table) else list(rows.columns)
    cols = [c for c in have if c not in given]
    names = ", ".join(f'"{c}"' for c in [*cols, *given])
    values = ", ".join([f'"{c}"' for c in cols] + ["?"] * len(given))
    con.register("_ingest_frame", rows)
    try:
        _x(
            con,
            f"insert into landing.{table} ({names}) select {values} from _ingest_frame",
            list(given.values()),
        )
    finally:
        con.unregister("_ingest_frame")


def _as_arrow(df: pd.DataFrame):
    """DuckDB scans an Arrow table in parallel and without touching Python objects; object
    columns of pandas are scanned value by value (2-3x slower on big files)."""
    if _arrow_backed(df):  # its columns are Arrow arrays already: no conversion to pay
        return pa.table({c: pa.array(df[c].array) for c in df.columns})
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python types in a column: let DuckDB cast
        return df


def _arrow_backed(df: pd.DataFrame) -> bool:
    return all(isinstance(t, pd.ArrowDtype) for t in df.dtypes)


def _insert_row(con, table: str, row: dict[str, object]) -> None:
    """Insert one row by column name, so a landing table's column order never matters."""
    unknown = sorted(set(row) - set(TABLES[table]))
    if unknown:
        raise KeyError(f"landing.{table} has no column(s) {unknown}")
    cols = ", ".join(f'"{c}"' for c in row)
    _x(
        con,
        f"insert into landing.{table} ({cols}) values ({', '.join('?' * len(row))})",
        list(row.values()),
    )


def _insert_rows(con, table: str, rows: list[dict[str, object]]) -> None:
    """Insert rows given as dicts of the same columns with one statement (one by one, should
    Arrow not take their values)."""
    if not rows:
        return
    try:
        frame = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        for row in rows:
            _insert_row(con, table, row)
        return
    _insert_frame(con, table, frame, None, None)


def _manifest(
    con,
    file_id: int,
    f: _ReadFile,
    extract_at: datetime | None,
    outcome: str,
    rows: ReadResult | None = None,
    message: str | None = None,
) -> None:
    _insert_row(con, "load_manifest", _manifest_row(file_id, f, extract_at, outcome, rows, message))


def _manifest_row(
    file_id: int,
    f: _ReadFile,
    extract_at: datetime | None,
    outcome: str,
    rows: ReadResult | None = None,
    message: str | None = None,
) -> dict[str, object]:
    return {
        "file_id": file_id,
        "file_path": f.rel,
        "sha256": f.sha,
        "trust_code": f.spec.trust_code,
        "family": f.family,
        "content": f.content,
        "extract_at": extract_at,
        "rows_read": rows.rows_read if rows else 0,
        "rows_loaded": rows.rows_loaded if rows else 0,
        "rows_rejected": rows.rows_rejected if rows else 0,
        "started_at": f.started,
        "finished_at": datetime.now(UTC),
        "outcome": outcome,
        "message": message,
        "feed_mode": f.spec.mode,
    }


def _quarantine(con, home, f: _ReadFile, q: QuarantineError, file_id: int) -> FileOutcome:
    spec, rel, content, sha = f.spec, f.rel, f.content, f.sha
    reports = Path(home) / "reports" / "quarantine"
    reports.mkdir(parents=True, exist_ok=True)
    report = reports / f"{re.sub(r'[^A-Za-z0-9._-]', '_', Path(rel).name)}.{sha[:8]}.txt"
    report.write_text(
        f"Quarantined file: {rel}\nTrust: {spec.trust_code} (family {spec.family}, {content})\n"
        f"sha256: {sha}\nReason: {q.reason}\nDetail: {q.message}\n\nWhat to do: fix the problem named "
        "above (usually: ask the trust to resend a corrected delivery under a new file name, or "
        "correct the feed spec); corrected bytes are picked up by the next run. The quarantined bytes "
        "are never loaded again.\n",
        encoding="utf-8",
    )
    _manifest(
        con, file_id, f, f.extract_at, outcome="quarantined", message=f"{q.reason}: {q.message}"
    )
    _insert_row(
        con,
        "quarantined_files",
        {
            "file_id": file_id,
            "file_path": rel,
            "sha256": sha,
            "trust_code": spec.trust_code,
            "reason_code": q.reason,
            "message": q.message,
            "report_path": _rel(report, home),
            "quarantined_at": datetime.now(UTC),
        },
    )
    return FileOutcome(
        spec.trust_code,
        rel,
        content,
        "quarantined",
        file_id,
        f.extract_at,
        reason=q.reason,
        message=q.message,
    )
