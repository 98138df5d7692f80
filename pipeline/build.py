"""`dbt build` (seeds included) on the restricted database, through dbt's programmatic runner.

`run_build` is the only way the pipeline runs dbt. It points the project's profile at the
restricted database through environment variables set here (and restored afterwards), passes
the as-of date the same way (the macros read it while dbt executes, so a nightly parse stays
partial), and returns what happened: success, the failed nodes with their
messages, counts by status and the elapsed time. It prints nothing beyond what dbt prints.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.seed_state import SEEDS_DIR, loaded_seeds_digest, seeds_digest

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
DEFAULT_TARGET_DIR = DBT_PROJECT_DIR / "target"

# dbt statuses that make a build fail (warnings and skips do not, by themselves)
_FAILED = {"error", "fail", "runtime error"}


@dataclass
class BuildResult:
    success: bool
    failed: list[tuple[str, str]] = field(default_factory=list)  # (node name, message)
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes, plus "total"
    elapsed_seconds: float = 0.0
    target_dir: Path = DEFAULT_TARGET_DIR
    seeds_skipped: bool = False  # the seed files were unchanged since a build loaded them all

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"


def manifest_path(target_dir: Path | None = None) -> Path:
    """The manifest dbt wrote for the last build (publish reads which models to copy)."""
    return Path(target_dir or DEFAULT_TARGET_DIR) / "manifest.json"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for dbt's profile, restoring the previous values after."""
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _node_name(result: object) -> str:
    node = getattr(result, "node", None)
    if node is None:
        return "dbt"
    return getattr(node, "unique_id", None) or getattr(node, "name", "dbt")


def _collect(res: object, out: BuildResult, step: str) -> bool:
    """Fold one dbtRunnerResult into `out`; True when the step succeeded."""
    if getattr(res, "exception", None) is not None:
        out.failed.append((f"dbt {step}", str(res.exception)))
        return False
    for r in getattr(getattr(res, "result", None), "results", None) or []:
        status = str(getattr(r.status, "value", r.status)).lower()
        out.counts[status] = out.counts.get(status, 0) + 1
        out.counts["total"] = out.counts.get("total", 0) + 1
        if status in _FAILED:
            message = getattr(r, "message", None) or status
            out.failed.append((_node_name(r), str(message).strip()))
    return bool(getattr(res, "success", False))


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a run.

    dbt-duckdb caches one environment (and its open database) per process; left open, it
    holds the restricted database so the next step (quality gate, publish) cannot open it.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            try:
                env.close()
            finally:
                DuckDBConnectionManager._ENV = None


def _check_writable(restricted_db: Path) -> None:
    """Raise duckdb.IOException, naming the holder, when another process has the database
    open: found here, before dbt, which would report it as a failed build with a traceback."""
    import duckdb

    if Path(restricted_db).exists():
        duckdb.connect(str(restricted_db)).close()


def _project_for_seeds(seeds_dir: Path, target: Path) -> Path:
    """The dbt project to build with `seeds_dir`: the repository's for its own seeds/, else a
    copy in the target folder with the other seeds beside it as ../seeds. (dbt writes each
    seed's SQL under target/run/ at the seed's path: an absolute seed path would be
    overwritten with SQL, so the project's seed-paths stays relative.)"""
    if Path(seeds_dir).resolve() == SEEDS_DIR.resolve():
        return DBT_PROJECT_DIR
    scratch = Path(target) / "project_with_seeds"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(
        DBT_PROJECT_DIR,
        scratch / DBT_PROJECT_DIR.name,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    shutil.copytree(seeds_dir, scratch / "seeds", ignore=shutil.ignore_patterns("scripts"))
    return scratch / DBT_PROJECT_DIR.name


def project_var(name: str) -> object:
    """A var's value as dbt_project.yml sets it."""
    import yaml

    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][name]


def _dbt_invocation(
    restricted_db: Path,
    as_of: date,
    threads: int,
    target: Path,
    *,
    memory_limit: str | None,
    feed_late_hour: int | None,
    test_new_rows_only: bool,
    project_dir: Path = DBT_PROJECT_DIR,
) -> tuple[dict[str, str], list[str]]:
    """The environment and the common dbt arguments of a build."""
    env = {
        "WMIN_RESTRICTED_DB": str(Path(restricted_db)),
        "WMIN_DBT_THREADS": str(threads),
        "WMIN_DUCKDB_THREADS": str(threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",  # no phone-home from a hospital server
    }
    if memory_limit:
        env["WMIN_DUCKDB_MEMORY_LIMIT"] = memory_limit
    # The as-of date and the nightly's test scoping go in the environment, read by the macros
    # only while dbt executes (dbt_project/macros/build_settings/as_of.sql): as cli vars they
    # would change dbt's partial-parse check every night and make it parse the whole project
    # again.
    env["WMIN_BUILD_AS_OF"] = as_of.isoformat()
    # the nightly: data tests of the big tables see only the rows this run built
    # (dbt_project/macros/testing/test_scope.sql); CI and full refreshes test every row
    env["WMIN_BUILD_TEST_NEW_ROWS_ONLY"] = "true" if test_new_rows_only else "false"
    # Only a var that differs from the project's own goes on the command line: dbt parses the
    # whole project again when the command line's vars change, so `wmin build` (no hour given)
    # and the nightly (the home's hour, the same) leave each other's partial-parse state usable.
    dbt_vars: dict[str, object] = {}
    if feed_late_hour is not None and int(feed_late_hour) != project_var("feed_late_hour"):
        dbt_vars["feed_late_hour"] = int(feed_late_hour)
    common = [
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target),
        "--vars",
        json.dumps(dbt_vars),
        "--threads",
        str(threads),
    ]
    return env, common


def parse_project(restricted_db: Path, target_dir: Path, threads: int = 2) -> bool:
    """`dbt parse` into `target_dir` as a build there would: leaves the partial-parse state an
    earlier night leaves (benchmarks start from it)."""
    from dbt.cli.main import dbtRunner

    env, common = _dbt_invocation(
        restricted_db,
        date.today(),
        threads,
        Path(target_dir),
        memory_limit=None,
        feed_late_hour=None,
        test_new_rows_only=True,
    )
    with _environment(env):
        try:
            res = dbtRunner().invoke(
                ["parse", *common, "--log-path", str(Path(target_dir) / "logs")]
            )
        finally:
            _release_duckdb()
    return bool(getattr(res, "success", False))


def dbt_console_flags() -> list[str]:
    """Not on a terminal (cron, a pipe), dbt writes its lines to its own log file only (with
    --log-path: beside its target), its errors without colour codes: the caller reports the step."""
    if sys.stdout.isatty():
        return []
    return ["--quiet", "--no-use-colors"]


def _log_flags(log_dir: Path | None, target: Path, target_dir: Path | None) -> list[str]:
    """Where dbt writes its log file (given, else beside a given target), and how it talks."""
    log_path = Path(log_dir) if log_dir else (target / "logs" if target_dir else None)
    return (["--log-path", str(log_path)] if log_path else []) + dbt_console_flags()


def _node_finished(on_node: Callable[[str], None]) -> Callable[[object], None]:
    """A dbt event callback calling `on_node(unique_id)` as each node finishes."""

    def callback(event: object) -> None:
        info = getattr(event, "info", None)
        if getattr(info, "name", "") == "NodeFinished":
            node_info = getattr(getattr(event, "data", None), "node_info", None)
            on_node(getattr(node_info, "unique_id", "") or "")

    return callback


def _selection_flags(full_refresh: bool, select: str | None, exclude: str | None) -> list[str]:
    return (
        (["--full-refresh"] if full_refresh else [])
        + (["--select", select] if select else [])
        + (["--exclude", exclude] if exclude else [])
    )


def run_build(
    restricted_db: Path,
    as_of: date,
    full_refresh: bool = False,
    select: str | None = None,
    threads: int = 2,
    *,
    exclude: str | None = None,
    unit_tests: bool = True,
    memory_limit: str | None = None,
    feed_late_hour: int | None = None,
    target_dir: Path | None = None,
    seeds_dir: Path | None = None,
    on_node: Callable[[str], None] | None = None,
    log_dir: Path | None = None,
) -> BuildResult:
    """Seed the reference data and build (models, snapshots, data and unit tests) as of `as_of`.

    `full_refresh` rebuilds incremental models (and reloads seeds) from scratch; `select` is a
    dbt selection and `exclude` one to leave out; `threads` the dbt and DuckDB threads.
    `unit_tests=False` leaves out dbt's unit tests: they check the models' SQL on fixed inputs,
    so their result depends on the code, never on the night's data (a fixed cost of every
    build that a nightly incremental run of unchanged code can skip); on an incremental build
    it also scopes the data tests of the big tables to the rows this run built. `on_node(unique_id)` is
    called as each node finishes (crash tests hang a fail point on it). `target_dir` keeps dbt's artifacts
    (manifest, run results) apart, e.g. per test session; logs go beside them. `seeds_dir` is the
    folder of seed files to load (default: the project's seeds/). `log_dir` is where dbt writes
    its log file (default: beside `target_dir`, or dbt's own default).
    """
    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    _check_writable(restricted_db)
    target = Path(target_dir) if target_dir else DEFAULT_TARGET_DIR
    result = BuildResult(success=False, target_dir=target)
    seeds = Path(seeds_dir) if seeds_dir is not None else SEEDS_DIR
    env, common = _dbt_invocation(
        restricted_db,
        as_of,
        threads,
        target,
        memory_limit=memory_limit,
        feed_late_hour=feed_late_hour,
        test_new_rows_only=not unit_tests and not full_refresh,
        project_dir=_project_for_seeds(seeds, target),
    )
    # the seeds are reloaded only when their files changed since a build loaded them all
    env["WMIN_SEEDS_DIGEST"] = seeds_digest(seeds)
    seeds_unchanged = (
        not full_refresh
        and not select
        and loaded_seeds_digest(restricted_db) == env["WMIN_SEEDS_DIGEST"]
    )
    result.seeds_skipped = seeds_unchanged
    common = [*common, *_log_flags(log_dir, target, target_dir)]
    with _environment(env):
        try:
            runner = dbtRunner(callbacks=[_node_finished(on_node)] if on_node else [])
            ok = True
            if select:  # a selection may leave out the seeds its models read: load them all first
                seed_args = ["seed", *common] + (["--full-refresh"] if full_refresh else [])
                ok = _collect(runner.invoke(seed_args), result, "seed")
            if ok:
                # seeds load inside the build (one dbt invocation: one start-up, one parse check)
                build_args = ["build", *common]
                if select or seeds_unchanged:
                    build_args += ["--exclude-resource-type", "seed"]
                if not unit_tests:
                    build_args += ["--exclude-resource-type", "unit_test"]
                build_args += _selection_flags(full_refresh, select, exclude)
                ok = _collect(runner.invoke(build_args), result, "build")
        finally:
            _release_duckdb()
    result.success = ok and not result.failed
    result.elapsed_seconds = round(time.perf_counter() - started, 2)
    return result
