"""`wmin sql`: planners' SQL on the published database, read-only, in UK local time.

Harlequin provides both front ends: its terminal SQL IDE (`harlequin`) for an interactive
session, and its headless twin (`hsql`) for one query, a script piped into standard input, or a
result written to CSV or Parquet. Both run the project's own DuckDB library, so they always read
the storage format the pipeline writes (DuckDB's separate CLI package lags the library by a
major version and cannot open a 2.0 file).

The database is opened read-only and no lock of ours is taken: publish swaps a new file in by
rename, and a session keeps reading the file it opened until it reconnects. The session time
zone is Europe/London, set twice on purpose: by a start-up script (DuckDB's `TimeZone`, used by
SQL such as `::date` and `date_trunc`) and by the `TZ` of the process (hsql renders a
timestamptz through a DuckDB connection of its own, which takes the process's zone).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.publish import LOCAL

# variables that would send hsql somewhere else than the file we name
_FOREIGN_ENV = ("HSQL_SESSION",)


class SqlError(Exception):
    """`wmin sql` cannot run; the message is one line and says what to do."""


@dataclass(frozen=True)
class SqlRun:
    exit_code: int
    error: str | None = None  # one line when exit_code is not 0


def _tool(name: str) -> str:
    """The path of a console script installed with the project (Harlequin's two front ends)."""
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SqlError(
            f"`{name}` is not installed: reinstall the project (`make run` or "
            f"`pip install -e .`), which brings Harlequin"
        )
    return found


@contextmanager
def session_script() -> Iterator[Path]:
    """The start-up script of a session: the time zone (written from the one constant)."""
    with tempfile.TemporaryDirectory(prefix="wmin-sql-") as folder:
        script = Path(folder) / "session.sql"
        script.write_text(f"SET TimeZone = '{LOCAL.key}';\n", encoding="utf-8")
        yield script


def session_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
    env["TZ"] = LOCAL.key
    return env


def ide_command(analytics_db: Path, script: Path) -> list[str]:
    """Harlequin, read-only, running the start-up `script`."""
    return [_tool("harlequin"), "--read-only", "--init-path", str(script), str(analytics_db)]


def hsql_command(
    analytics_db: Path,
    script: Path,
    query: str | None,
    csv: Path | None = None,
    parquet: Path | None = None,
    rows: int | None = None,
) -> list[str]:
    """hsql on `query` (None: SQL from standard input), printing a table or writing a file.

    `-P None` leaves out any personal Harlequin profile, so output is the same for everyone.
    `rows` is how many rows a printed table shows (-1: all; None: hsql's 40 of at most 500)."""
    cmd = [_tool("hsql"), "-P", "None", "--read-only", "--init-path", str(script)]
    cmd += ["-f", "-"] if query is None else ["-c", query]
    if rows is not None:
        cmd += ["--limit", str(rows), "--display-rows", str(rows)]
    if csv is not None:
        cmd += ["--format", "csv", "--limit", "-1", "-o", str(csv)]
    elif parquet is not None:
        cmd += ["--format", "parquet", "--limit", "-1", "-o", str(parquet)]
    return [*cmd, str(analytics_db)]


def one_line(stderr: str) -> str:
    """hsql's error as one line: its first line without the program's name."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("hsql: error:")]
    first = errors[0] if errors else (lines[0] if lines else "the query failed")
    return first.removeprefix("hsql: error:").strip()


def check_database(analytics_db: Path) -> None:
    if not analytics_db.exists():
        raise SqlError(
            f"{analytics_db} does not exist yet: run `wmin nightly` (or `wmin demo`) first"
        )


def _our_options(notes: str) -> str:
    """hsql's notes in the words of `wmin sql`'s options."""
    return re.sub(
        r"results truncated at --limit (\d+); pass --limit -1 for all rows",
        r"only the first \1 rows were fetched; --rows -1 prints all, --csv FILE writes all",
        notes,
    )


def run_sql(
    analytics_db: Path,
    query: str | None = None,
    csv: Path | None = None,
    parquet: Path | None = None,
    interactive: bool | None = None,
    rows: int | None = None,
) -> SqlRun:
    """Run `wmin sql`. With no query, an interactive terminal gets Harlequin; piped standard
    input is run as a script. Query errors come back as one line, never a traceback."""
    check_database(analytics_db)
    if csv is not None and parquet is not None:
        raise SqlError("give --csv or --parquet, not both")
    if query is not None and not query.strip():
        raise SqlError("the query is empty")
    if query is None and interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if rows is not None and rows < -1:
        raise SqlError("--rows must be -1 (all) or a number of rows")
    if query is None and (csv is not None or parquet is not None):
        raise SqlError('--csv and --parquet need a query: wmin sql "select ..." --csv FILE')
    with session_script() as script:
        if query is None and interactive:
            return SqlRun(subprocess.call(ide_command(analytics_db, script), env=session_env()))
        done = subprocess.run(
            hsql_command(analytics_db, script, query, csv, parquet, rows),
            env=session_env(),
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        return SqlRun(done.returncode, one_line(done.stderr))
    if done.stderr:
        sys.stderr.write(_our_options(done.stderr))  # e.g. that a result was cut at its limit
    return SqlRun(0)
