"""The nightly run end to end (issue 5): safe publishing, no identifiers, crash recovery."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.integration.harness import (
    AS_OF,
    FIRST_NIGHT,
    SYNTH_ARGS,
    copy_landing,
    published_tables,
    split_landing,
    wmin,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def synth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("synth")
    wmin(home, "synth", *SYNTH_ARGS)
    return home


@pytest.fixture(scope="session")
def first_night_home(tmp_path_factory: pytest.TempPathFactory, synth_home: Path) -> Path:
    """A home that has run one nightly on the deliveries up to FIRST_NIGHT."""
    home = tmp_path_factory.mktemp("first")
    split_landing(synth_home, home, FIRST_NIGHT)
    wmin(home, "nightly", "--as-of", FIRST_NIGHT)
    return home


@pytest.fixture(scope="session")
def baseline_home(
    tmp_path_factory: pytest.TempPathFactory, synth_home: Path, first_night_home: Path
) -> Path:
    """The uninterrupted reference: the first night, then every delivery, as of AS_OF."""
    home = tmp_path_factory.mktemp("baseline") / "home"
    shutil.copytree(first_night_home, home)
    copy_landing(synth_home, home)
    wmin(home, "nightly", "--as-of", AS_OF)
    return home


def _copy_for_second_night(src: Path, synth_home: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    copy_landing(synth_home, dst)
    return dst


def _as_of(analytics: Path) -> date:
    with duckdb.connect(str(analytics), read_only=True) as con:
        return con.execute("select as_of_date from publish_info").fetchone()[0]


def _assert_same_published(a: Path, b: Path, ignore: tuple[str, ...] = ()) -> None:
    """Equal published tables, but for the `ignore`d "table.column"s."""
    left, right = published_tables(a), published_tables(b)
    assert sorted(left) == sorted(right)
    for name in left:
        drop = [c.split(".", 1)[1] for c in ignore if c.split(".", 1)[0] == name]
        pd.testing.assert_frame_equal(
            left[name].drop(columns=drop),
            right[name].drop(columns=drop),
            check_dtype=False,
            obj=name,
        )


# when a file was quarantined: the clock of the run that did it, not a fact of the data
RUN_CLOCK = ("quarantined_files.quarantined_at",)


def test_analytics_holds_no_identifiers(baseline_home: Path, synth_home: Path) -> None:
    truth = pd.read_parquet(synth_home / "truth" / "exams.parquet")
    nhs = set(truth["nhs_number"].dropna())
    postcodes = set(truth["postcode"].dropna().str.upper())
    accessions = set(truth["accession"])
    births = set(pd.to_datetime(truth["birth_date"]).dt.date.dropna())
    found: list[str] = []
    with duckdb.connect(
        str(baseline_home / "warehouse" / "analytics.duckdb"), read_only=True
    ) as con:
        cols = con.execute(
            "select table_name, column_name, data_type from information_schema.columns"
        ).fetchall()
        for table, column, dtype in cols:
            values = con.execute(
                f'select distinct "{column}" from "{table}" where "{column}" is not null'
            ).fetchall()
            values = {v[0] for v in values}
            if dtype == "VARCHAR":
                text = {str(v).strip() for v in values}
                for label, bad in (
                    ("NHS number", nhs),
                    ("postcode", postcodes),
                    ("accession", accessions),
                ):
                    hits = text & bad
                    if hits:
                        found.append(f"{table}.{column}: {len(hits)} {label}(s)")
            elif dtype == "DATE":
                # calendar dims reach back to 2015; a column of patients' birth dates does not stop there
                old = [v for v in values if v < date(2014, 12, 1) and v in births]
                if old:
                    found.append(f"{table}.{column}: {len(old)} patients' birth dates")
    assert not found, found


def test_a_night_documents_the_database_and_writes_the_planners_files(
    baseline_home: Path, synth_home: Path
) -> None:
    """Every published column carries its description; every table but the row-level ones is
    a CSV and a Parquet file in home/extracts, and no file holds an identifier."""
    with duckdb.connect(
        str(baseline_home / "warehouse" / "analytics.duckdb"), read_only=True
    ) as con:
        undocumented = con.execute(
            "select table_name || '.' || column_name from duckdb_columns() "
            "where database_name = 'analytics' and comment is null"
        ).fetchall()
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert not undocumented, undocumented
    extracts = baseline_home / "extracts"
    expected = tables - {"fct_exams", "dq_exam_flags", "scheduling_offers"}  # row-level
    assert {p.stem for p in extracts.glob("*.csv")} == expected
    assert {p.stem for p in extracts.glob("*.parquet")} == expected
    truth = pd.read_parquet(synth_home / "truth" / "exams.parquet")
    identifiers = (
        set(truth["nhs_number"].dropna())
        | set(truth["accession"])
        | set(truth["postcode"].dropna().str.upper())
    )
    for csv in sorted(extracts.glob("*.csv")):
        cells = pd.read_csv(csv, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        found = set(cells.stack().str.strip()) & identifiers
        assert not found, f"{csv.name}: {len(found)} identifier(s)"


def test_a_history_replayed_on_one_landing_equals_the_nights_as_they_came(
    tmp_path: Path, synth_home: Path, first_night_home: Path, baseline_home: Path
) -> None:
    """Every delivery in landing from the start: the night as of FIRST_NIGHT loads only those
    extracted by the end of its day (the rest wait untouched), so it and the next night publish
    what the nights did when the deliveries came one by one."""
    home = tmp_path / "home"
    copy_landing(synth_home, home)
    wmin(home, "nightly", "--as-of", FIRST_NIGHT)

    def manifest(h: Path) -> set[str]:
        with duckdb.connect(str(h / "warehouse" / "restricted.duckdb"), read_only=True) as con:
            return {
                r[0] for r in con.execute("select file_path from landing.load_manifest").fetchall()
            }

    first = manifest(first_night_home)
    assert manifest(home) == first and len(first) < sum(1 for _ in (home / "landing").rglob("*.*"))
    _assert_same_published(
        first_night_home / "warehouse" / "analytics.duckdb",
        home / "warehouse" / "analytics.duckdb",
        ignore=RUN_CLOCK,
    )
    wmin(home, "nightly", "--as-of", AS_OF)
    assert manifest(home) == manifest(baseline_home)
    _assert_same_published(
        baseline_home / "warehouse" / "analytics.duckdb",
        home / "warehouse" / "analytics.duckdb",
        ignore=RUN_CLOCK,
    )


def test_rerun_with_nothing_new_changes_nothing(tmp_path: Path, baseline_home: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(baseline_home, home)
    proc = wmin(home, "nightly", "--as-of", AS_OF)
    assert "skipped" in proc.stdout.lower() or proc.returncode == 0
    _assert_same_published(
        baseline_home / "warehouse" / "analytics.duckdb", home / "warehouse" / "analytics.duckdb"
    )


def test_two_runs_together_one_refuses(
    tmp_path: Path, first_night_home: Path, synth_home: Path
) -> None:
    home = _copy_for_second_night(first_night_home, synth_home, tmp_path / "home")
    env = {**os.environ, "WMIN_HOME": str(home), "WMIN_DEMO": "true", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "pipeline", "nightly", "--as-of", AS_OF]
    first = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    # the lock is taken before the first step is announced
    for line in first.stdout:
        if "ingest" in line:
            break
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    first_rest = first.stdout.read()
    first.wait(timeout=900)
    assert second.returncode == 3, second.stdout + second.stderr
    assert "already in progress" in second.stderr
    assert first.returncode == 0, first_rest


def test_reader_keeps_old_view_through_a_run(
    tmp_path: Path, first_night_home: Path, synth_home: Path
) -> None:
    home = _copy_for_second_night(first_night_home, synth_home, tmp_path / "home")
    analytics = home / "warehouse" / "analytics.duckdb"
    reader = duckdb.connect(str(analytics), read_only=True)
    before = reader.execute(
        "select count(*), max(as_of_date) from tat_monthly, publish_info"
    ).fetchone()
    wmin(home, "nightly", "--as-of", AS_OF)
    # the held connection still sees the old, whole database
    assert (
        reader.execute("select count(*), max(as_of_date) from tat_monthly, publish_info").fetchone()
        == before
    )
    reader.close()
    assert _as_of(analytics) == date.fromisoformat(AS_OF)


class _Watcher(threading.Thread):
    """Opens the published file again and again while runs happen: it must always be whole."""

    def __init__(self, analytics: Path) -> None:
        super().__init__(daemon=True)
        self.analytics, self.problems, self.reads = analytics, [], 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.reads < 100_000:
            try:
                with duckdb.connect(str(self.analytics), read_only=True) as con:
                    con.execute("select count(*) from tat_monthly, publish_info").fetchone()
                self.reads += 1
            except Exception as e:  # noqa: BLE001 -a missing or partial file is exactly what we look for
                self.problems.append(f"{type(e).__name__}: {e}")
            self.stop.wait(0.05)


@pytest.mark.parametrize("fail_point", ["ingest:file:5", "build:node:10", "publish:before_rename"])
def test_killed_run_recovers_to_identical_marts(
    tmp_path: Path, fail_point: str, first_night_home: Path, synth_home: Path, baseline_home: Path
) -> None:
    home = _copy_for_second_night(first_night_home, synth_home, tmp_path / "home")
    analytics = home / "warehouse" / "analytics.duckdb"
    watcher = _Watcher(analytics)
    watcher.start()
    try:
        killed = wmin(home, "nightly", "--as-of", AS_OF, fail_point=fail_point, check=False)
        assert killed.returncode == -9, killed.stdout + killed.stderr
        assert _as_of(analytics) == date.fromisoformat(FIRST_NIGHT)  # old publish untouched
        wmin(home, "nightly", "--as-of", AS_OF)
    finally:
        watcher.stop.set()
        watcher.join()
    assert watcher.reads > 0 and not watcher.problems, watcher.problems[:3]
    _assert_same_published(baseline_home / "warehouse" / "analytics.duckdb", analytics)
    with duckdb.connect(str(home / "warehouse" / "restricted.duckdb"), read_only=True) as con:
        dup = con.execute(
            "select count(*) from (select sha256 from landing.load_manifest "
            "group by sha256 having count(*) > 1)"
        ).fetchone()[0]
        assert dup == 0
        bad = con.execute(
            "select count(*) from landing.load_manifest where outcome = 'loaded' "
            "and rows_read <> rows_loaded + rows_rejected"
        ).fetchone()[0]
        assert bad == 0
        runs = dict(
            con.execute("select outcome, count(*) from pipeline.runs group by 1").fetchall()
        )
        assert runs.get("interrupted") == 1 and runs.get("failed") is None


def _as_list(steps: object) -> list[dict]:
    return json.loads(steps) if isinstance(steps, str) else list(steps)


ESCAPE = re.compile(r"\x1b\[|\x1b\]")
STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S")
NIGHTLY_STEPS = ["ingest", "build", "quality gate", "publish", "extracts", "exports", "docs"]


def test_a_night_logged_to_a_file_is_plain_and_its_record_agrees(
    tmp_path: Path, first_night_home: Path, synth_home: Path
) -> None:
    """As cron runs it: stdout to a file, no terminal, no NO_COLOR or COLUMNS to help."""
    home = _copy_for_second_night(first_night_home, synth_home, tmp_path / "home")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "FORCE_COLOR")}
    env.update(WMIN_HOME=str(home), WMIN_DEMO="true")
    log = tmp_path / "nightly.log"
    with log.open("w") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from pipeline.cli import app; app()",
                "nightly",
                "--as-of",
                AS_OF,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=900,
            check=False,
        )
    text = log.read_text()
    assert proc.returncode == 0, text[-3000:]
    lines = text.splitlines()
    assert not ESCAPE.search(text)
    assert max(len(line) for line in lines) <= 200
    assert "…" not in text and "Summary(" not in text and "Result(" not in text
    assert all(STAMPED.match(line) for line in lines), [x for x in lines if not STAMPED.match(x)]
    events = [line.split(" ", 1)[1] for line in lines]
    expected = [f"{step} {edge}" for step in NIGHTLY_STEPS for edge in ("started", "succeeded")]
    step_events = [x for e in events for x in expected if e == x or e.startswith(x + " ")]
    assert step_events == expected
    assert any(e.startswith("build succeeded in ") and "nodes " in e for e in events)
    assert any(e.startswith("ingest R") and "rows read" in e for e in events)

    # the JSON record: the same run, steps and figures as the run table
    from pipeline import runs
    from pipeline.run_journal import read_events, runs_from_events

    journal = runs_from_events(read_events(home / "logs"))[-1]
    table = runs.last_runs(home / "warehouse" / "restricted.duckdb", n=1)[0]
    assert journal["run_id"] == table["run_id"] and journal["outcome"] == table["outcome"]
    assert journal["as_of"] == str(table["as_of_date"]) == AS_OF
    assert [(s["step"], s["status"], s["seconds"], s["counts"]) for s in journal["steps"]] == [
        (s["step"], s["outcome"], s["seconds"], s["counts"]) for s in _as_list(table["steps"])
    ]
    assert [s["step"] for s in journal["steps"]] == NIGHTLY_STEPS

    status = json.loads(wmin(home, "status", "--json").stdout)
    assert status["last_run"]["run_id"] == table["run_id"]
    assert status["last_run"]["outcome"] == "succeeded"
    assert status["last_run"]["steps"] == journal["steps"]
    assert status["last_success"]["run_id"] == table["run_id"]
    assert status["feeds"]["trusts"] == 15


def test_the_whole_window_in_one_night_equals_it_night_by_night(
    tmp_path: Path, synth_home: Path, baseline_home: Path
) -> None:
    """`wmin demo --serve` loads its window night by night while the app shows the first nights
    (pipeline/demo.py, as baseline_home came); when it is done the app shows what one night of
    the whole window (`wmin demo`) gives, but for the numbers of the files (LOAD_ORDER)."""
    from pipeline import demo
    from pipeline.nightly import run_nightly
    from pipeline.settings import Settings
    from reporting.backfill import DONE, read_status

    home = tmp_path / "home"
    copy_landing(synth_home, home)
    s = Settings(home=home, demo=True)
    window = demo.Window(date.fromisoformat(SYNTH_ARGS[1]), date.fromisoformat(SYNTH_ARGS[3]))
    outcomes = []
    demo.run_slices(
        s,
        window,
        demo.one_night(window, None),
        lambda as_of: outcomes.append(run_nightly(s, as_of=as_of).outcome),
    )
    assert outcomes == ["succeeded"] and read_status(s.analytics_db).state == DONE
    nights = published_tables(baseline_home / "warehouse" / "analytics.duckdb")
    one = published_tables(s.analytics_db)
    assert sorted(nights) == sorted(one)
    for name, table in nights.items():
        drop = [c for c in table.columns if c in LOAD_ORDER or f"{name}.{c}" in RUN_CLOCK]
        pd.testing.assert_frame_equal(
            _sorted(table.drop(columns=drop)),
            _sorted(one[name].drop(columns=drop)),
            check_dtype=False,
            obj=name,
        )


# the numbers files are given as they are loaded: one night loads them in another order
LOAD_ORDER = ("file_id", "source_file_id")


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns)).reset_index(drop=True) if len(df) else df
