"""Commands that write the warehouse refuse clearly, never with a traceback, when the
database or the nightly's lock is held by another process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.lock import database_in_use

HOLD_DATABASE = (
    "import sys, time, duckdb\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)
HOLD_LOCK = (
    "import sys, time; from pathlib import Path; from pipeline.lock import RunLock\n"
    "with RunLock(Path(sys.argv[1])):\n"
    "    print('held', flush=True); time.sleep(120)\n"
)


def _wmin(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WMIN_HOME": str(home), "WMIN_DEMO": "true", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import app; app()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _holding(script: str, path: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.parametrize("command", [["ingest"], ["build", "--as-of", "2026-01-31"]])
def test_a_database_open_elsewhere_is_named_not_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    database = tmp_path / "warehouse" / "restricted.duckdb"
    database.parent.mkdir(parents=True)
    holder = _holding(HOLD_DATABASE, database)
    try:
        result = _wmin(tmp_path, *command)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"is open in process {holder.pid}" in " ".join(result.stderr.split())


def test_a_second_writer_waits_for_the_nightly_lock(tmp_path: Path) -> None:
    holder = _holding(HOLD_LOCK, tmp_path / "nightly.lock")
    try:
        result = _wmin(tmp_path, "ingest")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "already in progress" in result.stderr


def test_other_database_errors_are_not_mistaken_for_a_lock() -> None:
    assert database_in_use(OSError("Catalog Error: table x does not exist"), Path("db")) is None
    message = database_in_use(
        OSError(
            'Could not set lock on file "/w/analytics.duckdb": Conflicting '
            "lock is held in python (PID 42). See also"
        ),
        Path("db"),
    )
    assert message is not None and "process 42" in message
    assert message.startswith("/w/analytics.duckdb is open")  # the file DuckDB named
