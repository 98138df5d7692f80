"""`wmin sql`: one query, CSV and Parquet results, read-only, UK local time, no lock, the
interactive IDE in a terminal, and a publish while a session is open."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.publish import LOCAL, publish
from tests.fixtures.published import build_published_fixture

HOLD_LOCK = (
    "import sys, time; from pathlib import Path; from pipeline.lock import RunLock\n"
    "with RunLock(Path(sys.argv[1])):\n"
    "    print('held', flush=True); time.sleep(120)\n"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sql_home")
    build_published_fixture(root / "warehouse" / "analytics.duckdb")
    return root


# Harlequin keeps its history, cache and editor's text in the user's folders: the test's own
USER_FOLDERS = ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")


def _wmin(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "WMIN_HOME": str(home), "COLUMNS": "200"}
    env.pop("TZ", None)  # the command must set the zone itself
    env.update({folder: str(home / "user" / folder) for folder in USER_FOLDERS})
    return subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import app; app()", "sql", *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    text = " ".join(result.stderr.split())  # the console wraps at its width
    assert text.startswith("error: ")
    return text


def test_one_query_prints_a_table(home: Path) -> None:
    result = _wmin(
        home,
        "select trust_code, count(*) as months from tat_monthly "
        "where trust_code = 'RRK' group by trust_code",
    )
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(home / "warehouse" / "analytics.duckdb"), read_only=True) as con:
        months = con.execute(
            "select count(*) from tat_monthly where trust_code = 'RRK'"
        ).fetchone()[0]
    header, rule, row = result.stdout.splitlines()[:3]
    assert header.split("|")[0].strip() == "trust_code" and set(rule) <= {"-", "+"}
    assert [c.strip() for c in row.split("|")] == ["RRK", str(months)]


def test_a_long_result_says_how_to_see_it_all(home: Path) -> None:
    query = "select month, trust_code from tat_monthly order by month, trust_code"
    cut = _wmin(home, query)
    assert cut.returncode == 0 and "(40 of >500 rows)" in cut.stdout
    assert "--rows -1 prints all, --csv FILE writes all" in cut.stderr
    assert "--limit" not in cut.stderr  # hsql's own option, which wmin sql does not take
    three = _wmin(home, query, "--rows", "3")
    assert len([line for line in three.stdout.splitlines() if line.startswith(" 20")]) == 3
    every = _wmin(home, query, "--rows", "-1")
    with duckdb.connect(str(home / "warehouse" / "analytics.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*) from tat_monthly").fetchone()[0]
    assert rows > 500 and f"({rows} rows)" in every.stdout and every.stderr == ""


def test_csv_and_parquet_hold_the_whole_result(home: Path, tmp_path: Path) -> None:
    query = "select * from tat_monthly order by month, trust_code, modality, priority"
    with duckdb.connect(str(home / "warehouse" / "analytics.duckdb"), read_only=True) as con:
        expected = con.execute(query).df()
        rows = con.execute(query).fetchall()
    assert len(expected) > 500  # more than a printed table shows
    csv, parquet = tmp_path / "tat.csv", tmp_path / "tat.parquet"
    assert _wmin(home, query, "--csv", str(csv)).returncode == 0
    assert _wmin(home, query, "--parquet", str(parquet)).returncode == 0
    assert duckdb.sql(f"select * from read_parquet('{parquet.as_posix()}')").fetchall() == rows
    from_csv = pd.read_csv(csv, parse_dates=["month"])
    assert list(from_csv.columns) == list(expected.columns) and len(from_csv) == len(expected)
    assert (from_csv["exams_tested"] == expected["exams_tested"]).all()


def test_a_write_is_refused_in_one_line(home: Path) -> None:
    before = (home / "warehouse" / "analytics.duckdb").read_bytes()
    text = _one_line_error(_wmin(home, "delete from tat_monthly"))
    assert "read-only" in text
    assert (home / "warehouse" / "analytics.duckdb").read_bytes() == before


def test_bad_sql_and_a_missing_database_are_one_line(home: Path, tmp_path: Path) -> None:
    assert "syntax error" in _one_line_error(_wmin(home, "selec 1"))
    assert "Table with name nope does not exist" in _one_line_error(
        _wmin(home, "select * from nope")
    )
    text = _one_line_error(_wmin(tmp_path, "select 1"))
    assert "does not exist yet" in text and "wmin nightly" in text


def test_times_come_back_in_uk_local_time(home: Path, tmp_path: Path) -> None:
    query = (
        "select exam_key, exam_started_at from fct_exams "
        "where month(exam_started_at) = 7 order by exam_started_at limit 5"
    )
    out = tmp_path / "times.csv"
    result = _wmin(home, query, "--csv", str(out))
    assert result.returncode == 0, result.stderr
    shown = pd.read_csv(out)
    with duckdb.connect(str(home / "warehouse" / "analytics.duckdb"), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        stored = dict(con.execute(query).fetchall())
    assert len(shown) == len(stored) > 0
    for key, text in zip(shown["exam_key"], shown["exam_started_at"]):
        assert text.endswith("+01")  # July: British Summer Time
        assert datetime.fromisoformat(text) == stored[key]
        assert datetime.fromisoformat(text).utcoffset() == stored[key].astimezone(LOCAL).utcoffset()
    dates = _wmin(home, "select timestamptz '2026-07-01 23:30:00+00'::date as local_day")
    assert "2026-07-02" in dates.stdout  # SQL on times computes in local time too


def test_runs_while_the_nightly_lock_is_held(home: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home / "nightly.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = _wmin(home, "select count(*) as trusts from dim_trust")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stderr


def test_sql_piped_into_the_shell_runs(home: Path) -> None:
    result = _wmin(home, stdin="select 42 as answer;\nselect count(*) as trusts from dim_trust;\n")
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[:3] == ["answer", "--------", "42"]
    assert "trusts" in lines


# ------------------------------------------------------------------ the IDE, in a terminal
class Terminal:
    """`wmin sql` on a pseudo-terminal, as a planner starts it; screen text without escapes."""

    def __init__(self, home: Path) -> None:
        env = {**os.environ, "WMIN_HOME": str(home), "TERM": "xterm-256color"}
        env.pop("TZ", None)
        env.update({folder: str(home / "user" / folder) for folder in USER_FOLDERS})
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: exec the command on the terminal
            os.execve(
                sys.executable,
                [sys.executable, "-c", "from pipeline.cli import app; app()", "sql"],
                env,
            )
        import fcntl
        import struct
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
        self.raw = b""

    def text(self) -> str:
        return re.sub(r"\x1b\[[0-9;?<>=]*[a-zA-Z~]", "", self.raw.decode(errors="replace"))

    def wait_for(self, pattern: str, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.text()):
                return
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.raw += os.read(self.fd, 65536)
                except OSError:
                    break
        raise AssertionError(f"{pattern!r} never showed; screen ends: {self.text()[-1500:]}")

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def type_until_shown(self, text: str, tries: int = 20) -> None:
        """Type `text` into the editor: keys sent before the editor has focus are lost."""
        for _ in range(tries):
            self.type(text.encode())
            try:
                self.wait_for(re.escape(text), timeout=3)
                return
            except AssertionError:
                continue
        raise AssertionError(f"the editor never showed {text!r}")

    def close(self) -> int:
        self.type(b"\x11")  # ctrl+q quits Harlequin
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                select.select([self.fd], [], [], 0.2)
                os.read(self.fd, 65536)
            except OSError:
                pass
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        raise AssertionError("Harlequin did not quit on ctrl+q")


def _restricted(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table main.tat_monthly as "
            f"select range as n, 'RRK' as trust_code from range({rows})"
        )
    return path


@pytest.mark.slow
def test_the_ide_opens_and_keeps_its_view_while_a_publish_swaps_the_file(tmp_path: Path) -> None:
    analytics = tmp_path / "warehouse" / "analytics.duckdb"
    restricted = _restricted(tmp_path / "restricted.duckdb", rows=3)
    relations = [("main", "tat_monthly", "tat_monthly")]
    publish(restricted, analytics, relations, as_of=date(2026, 7, 1))
    term = Terminal(tmp_path)
    try:
        term.wait_for(r"Run Query")
        _restricted(restricted, rows=5)
        publish(restricted, analytics, relations, as_of=date(2026, 7, 2))  # never waits for it
        term.type_until_shown(
            "select count(*) as n_rows, timestamptz '2026-07-01 12:00:00+00' as t from tat_monthly"
        )
        term.type(b"\n")  # ctrl+j runs the query
        term.wait_for(r"Query Results \(1 Records?\)")
        term.wait_for(r"2026-07-01T13:00:00\.000\+01:00")  # local time
        row = re.search(r"│\s*(\d+)\s+2026-07-01T13", term.text())
        assert row is not None and row.group(1) == "3"  # the file it opened, whole
    finally:
        code = term.close()
    assert code == 0
    with duckdb.connect(str(analytics), read_only=True) as con:
        assert con.execute("select count(*) from tat_monthly").fetchone()[0] == 5
    assert datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(LOCAL).hour == 13
