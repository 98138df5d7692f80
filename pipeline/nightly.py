"""The nightly run: discover → validate → load → build → publish → due exports → docs.

Each step opens and closes its own database connection, so no step holds the restricted
database while another needs it, and a run killed at any point leaves the published database
as it was: ingest commits per file, dbt rebuilds, publish swaps by rename.

The last step, the planners' data docs (`pipeline/docs.py`), is regenerated only when the dbt
project or the warehouse schema changed, and runs after publish: a failure there is recorded as
a warning on the step and never fails the night's published data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pipeline import runs
from pipeline.failpoints import FailPoints
from pipeline.lock import RunLock
from pipeline.plain_log import count_text
from pipeline.run_journal import RunJournal
from pipeline.settings import Settings

Progress = Callable[[str], None]


class StepFailed(Exception):
    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


@dataclass
class NightlyResult:
    run_id: str
    as_of: date
    steps: list[runs.StepRecord] = field(default_factory=list)
    outcome: str = "running"
    failed_step: str | None = None
    message: str | None = None
    ingest_summary: object | None = None
    build_result: object | None = None
    exports: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "<step>: <message>" of warning-only steps


# Steps after publish whose failure is a warning on the run, never a failed run.
# (the extracts are files made from the published database: a failure there leaves last night's)
WARNING_ONLY_STEPS = {"extracts", "docs"}


def _ingest(
    settings: Settings,
    as_of: date,
    trusts: list[str] | None,
    on_file: Callable | None,
    fail: FailPoints,
) -> tuple[dict, object]:
    from ingest.feeds.spec import home_feeds_dir, load_all_specs
    from ingest.loader import ingest_landing

    def file_done(*args: object, **kwargs: object) -> None:
        if on_file is not None:
            on_file(*args, **kwargs)
        fail.hit("ingest")

    summary = ingest_landing(
        settings.restricted_db,
        settings.home,
        load_all_specs(home_feeds_dir(settings.home)),
        settings.pseudonym_key_bytes(),
        trusts=trusts,
        seeds_dir=settings.seeds_dir,
        on_file=file_done,
        as_of=as_of,
    )
    t = summary.totals
    return {
        "files": t.files,
        "skipped": t.skipped,
        "quarantined": t.quarantined,
        "deferred": t.deferred,
        "rows_read": t.rows_read,
        "rows_loaded": t.rows_loaded,
        "rows_rejected": t.rows_rejected,
    }, summary


def _build(
    settings: Settings, as_of: date, full_refresh: bool, fail: FailPoints, say: Progress
) -> tuple[dict, object]:
    from pipeline.build import run_build
    from pipeline.plain_log import Throttle

    throttle, finished = Throttle(), [0]

    def on_node(_node: str) -> None:
        fail.hit("build")
        finished[0] += 1
        if throttle.due():
            say(f"progress: build {finished[0]:,} dbt node(s) finished")

    # dbt's unit tests check the SQL on fixed inputs, not the night's data: CI and every full
    # refresh run them; an ordinary night of unchanged code skips their fixed cost
    result = run_build(
        settings.restricted_db,
        as_of=as_of,
        full_refresh=full_refresh,
        threads=settings.duckdb_threads,
        memory_limit=settings.duckdb_memory_limit,
        feed_late_hour=settings.feed_late_hour,
        unit_tests=full_refresh,
        seeds_dir=settings.seeds_dir,
        on_node=on_node,
        log_dir=settings.logs_dir / "dbt",
    )
    if not result.success:
        failed = "; ".join(f"{n}: {m}" for n, m in result.failed[:5])
        raise StepFailed("build", f"dbt build failed ({len(result.failed)} node(s)): {failed}")
    return {"nodes": result.counts.get("total", 0)}, result


def _quality_gate(settings: Settings, run_id: str) -> tuple[dict, object]:
    from pipeline.build import manifest_path
    from pipeline.publish import model_relations
    from pipeline.quality_gate import run_gate, store_results
    from pipeline.quality_report import write_gate_report

    result = run_gate(settings.restricted_db, model_relations(manifest_path()))
    store_results(settings.restricted_db, run_id, result)
    write_gate_report(settings.reports_dir, run_id, result)  # pass or fail, the page is written
    if not result.passed:
        raise StepFailed(
            "quality gate",
            "post-build expectations failed, nothing published: " + result.describe_failures(),
        )
    warnings = sum(1 for o in result.outcomes if not o.success)
    return {"expectations": len(result.outcomes), "warnings": warnings}, result


def _publish(settings: Settings, as_of: date, fail: FailPoints) -> tuple[dict, object]:
    from pipeline.build import manifest_path
    from pipeline.publish import (
        publish,
        published_docs,
        published_relations,
        published_row_keys,
    )

    relations = published_relations(manifest_path())
    result = publish(
        settings.restricted_db,
        settings.analytics_db,
        relations,
        as_of=as_of,
        before_rename=lambda: fail.hit("publish"),
        docs=published_docs(manifest_path()),
        row_keys=published_row_keys(manifest_path()),
    )
    written = list(result.written.values())
    return {
        "tables": len(result.tables),
        "rows": sum(result.tables.values()),
        "kept": written.count("kept"),
        "by changed rows": written.count("changed rows"),
    }, result


def due_board_pack_month(as_of: date) -> str:
    """The month whose board pack is due on `as_of`: the last complete month."""
    first = as_of.replace(day=1)
    last_month_end = date.fromordinal(first.toordinal() - 1)
    return f"{last_month_end:%Y-%m}"


def _extracts(settings: Settings) -> tuple[dict, object]:
    from exports.extracts import write_extracts

    result = write_extracts(settings.analytics_db, settings.extracts_dir)
    return {"tables": len(result.tables)}, result


def _due_exports(settings: Settings, as_of: date) -> tuple[dict, object]:
    month = due_board_pack_month(as_of)
    pack = settings.exports_dir / month / f"board_pack_{month}.xlsx"
    if pack.exists():  # produced by an earlier night: a month's pack is made once
        return {"board_pack": "already made"}, None
    # imported only when a pack is due: its PDF and workbook libraries take seconds to load
    from exports.board_pack import build_board_pack

    try:
        result = build_board_pack(settings.analytics_db, month, settings.exports_dir)
    except ValueError as e:  # no published data for that month (e.g. before the first delivery)
        return {"board_pack": f"not due ({e})"[:80]}, None
    return {"board_pack": month}, result


def _docs(settings: Settings, as_of: date) -> tuple[dict, object]:
    from pipeline.docs import update_docs

    # the build released the restricted database (and publish closed it): same process, under
    # the run lock, so dbt can open it (DuckDB: one writing process per file)
    result = update_docs(
        settings.restricted_db,
        settings.reports_dir,
        threads=settings.duckdb_threads,
        as_of=as_of,
        feed_late_hour=settings.feed_late_hour,
        memory_limit=settings.duckdb_memory_limit,
    )
    return {
        "docs": f"regenerated ({result.reason})" if result.regenerated else "up to date"
    }, result


@dataclass
class _NightRun:
    """One run's bookkeeping: its result, its row in the runs table, its journal, its lines."""

    settings: Settings
    result: NightlyResult
    journal: RunJournal
    say: Progress
    started: float

    def succeeded(self, name: str, seconds: float, counts: dict) -> None:
        self._record(runs.StepRecord(name, round(seconds, 2), "succeeded", counts))
        self.say(f"{name} succeeded in {seconds:.1f} s: {count_text(counts)}")

    def warned(self, name: str, seconds: float, message: str) -> None:
        """A warning-only step failed: the data is published, the run carries on."""
        self._record(
            runs.StepRecord(name, round(seconds, 2), "warning", {"warning": message[:300]})
        )
        self.result.warnings.append(f"{name}: {message}")
        self.say(f"{name} finished with a warning in {seconds:.1f} s: {message}")

    def failed(self, name: str, seconds: float, message: str) -> NightlyResult:
        self.result.steps.append(runs.StepRecord(name, round(seconds, 2), "failed"))
        self.result.failed_step, self.result.message = name, message
        self.journal.step(self.result.steps[-1])
        self.say(f"{name} failed in {seconds:.1f} s: {message}")
        return self.finish("failed")

    def _record(self, step: runs.StepRecord) -> None:
        self.result.steps.append(step)
        runs.record_steps(self.settings.restricted_db, self.result.run_id, self.result.steps)
        self.journal.step(step)

    def finish(self, outcome: str) -> NightlyResult:
        result = self.result
        result.outcome = outcome
        runs.finish_run(
            self.settings.restricted_db,
            result.run_id,
            result.steps,
            outcome,
            result.failed_step,
            result.message,
        )
        seconds = time.perf_counter() - self.started
        self.journal.finished(outcome, seconds, result.failed_step, result.message, result.warnings)
        self.say(
            f"nightly run {result.run_id} {outcome} in {seconds:.1f} s"
            + (f" at step {result.failed_step}" if result.failed_step else "")
            + (f" with {len(result.warnings)} warning(s)" if result.warnings else "")
        )
        return result


def run_nightly(
    settings: Settings,
    as_of: date | None = None,
    trusts: list[str] | None = None,
    full_refresh: bool = False,
    progress: Progress | None = None,
    on_file: Callable | None = None,
) -> NightlyResult:
    """Run every step under the lock. Raises lock.AlreadyRunning if another run holds it, and
    KeyMismatch, before anything is written, if the restricted database was built with another
    pseudonymisation key."""
    from ingest.key_fingerprint import check_database

    say = progress or (lambda _msg: None)
    as_of = as_of or settings.effective_as_of()
    settings.ensure_dirs()
    fail = FailPoints(settings.fail_point)
    with RunLock(settings.lock_file):
        check_database(settings.restricted_db, settings.pseudonym_key_bytes())
        run_id = runs.start_run(settings.restricted_db, as_of)
        journal = RunJournal(settings.logs_dir, run_id)
        journal.started(as_of)
        night = _NightRun(
            settings, NightlyResult(run_id=run_id, as_of=as_of), journal, say, time.perf_counter()
        )
        say(f"nightly run {run_id} started, as of {as_of}")
        steps: list[tuple[str, Callable[[], tuple[dict, object]]]] = [
            ("ingest", lambda: _ingest(settings, as_of, trusts, on_file, fail)),
            ("build", lambda: _build(settings, as_of, full_refresh, fail, say)),
            ("quality gate", lambda: _quality_gate(settings, run_id)),
            ("publish", lambda: _publish(settings, as_of, fail)),
            ("extracts", lambda: _extracts(settings)),
            ("exports", lambda: _due_exports(settings, as_of)),
            ("docs", lambda: _docs(settings, as_of)),
        ]
        for name, step in steps:
            say(f"{name} started")
            t0 = time.perf_counter()
            try:
                counts, payload = step()
            except Exception as e:  # noqa: BLE001 -recorded with the run, then reported in one line
                seconds = time.perf_counter() - t0
                message = e.message if isinstance(e, StepFailed) else f"{type(e).__name__}: {e}"
                if name not in WARNING_ONLY_STEPS:
                    return night.failed(name, seconds, message)
                night.warned(name, seconds, message)
                continue
            night.succeeded(name, time.perf_counter() - t0, counts)
            _keep_payload(night.result, name, payload)
        return night.finish("succeeded")


def _keep_payload(result: NightlyResult, step: str, payload: object) -> None:
    """What the caller reports from a step: the ingest summary, the build result, the pack."""
    if step == "ingest":
        result.ingest_summary = payload
    elif step == "build":
        result.build_result = payload
    elif step == "exports" and payload is not None:
        result.exports.append(str(payload.xlsx_path))
