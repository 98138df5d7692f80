"""The nightly's JSON-lines record (pipeline/run_journal.py) and `wmin status --json`'s summary
of it (pipeline/health.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipeline.health import status_record
from pipeline.run_journal import RunJournal, journal_path, read_events, runs_from_events
from pipeline.runs import StepRecord
from pipeline.settings import Settings


def _night(logs: Path, run_id: str, outcome: str | None) -> None:
    j = RunJournal(logs, run_id)
    j.started(date(2026, 4, 16))
    j.step(StepRecord("ingest", 1.5, "succeeded", {"files": 3}))
    if outcome == "failed":
        j.step(StepRecord("build", 2.0, "failed"))
        j.finished("failed", 3.5, "build", "dbt build failed", [])
    elif outcome == "succeeded":
        j.finished("succeeded", 3.5, None, None, ["docs: not written"])


def test_each_event_is_one_json_line(tmp_path: Path) -> None:
    _night(tmp_path, "r1", "succeeded")
    lines = journal_path(tmp_path).read_text().splitlines()
    assert [json.loads(x)["event"] for x in lines] == ["run_started", "step", "run_finished"]
    assert json.loads(lines[1]) | {"at": None} == {
        "at": None,
        "run_id": "r1",
        "event": "step",
        "step": "ingest",
        "status": "succeeded",
        "seconds": 1.5,
        "counts": {"files": 3},
    }


def test_runs_fold_their_events_and_an_unfinished_run_before_another_was_interrupted(
    tmp_path: Path,
) -> None:
    _night(tmp_path, "r1", None)  # killed after ingest
    _night(tmp_path, "r2", "failed")
    _night(tmp_path, "r3", None)  # still going, or killed: nothing later says which
    with journal_path(tmp_path).open("a") as f:
        f.write('{"at": "2026-')  # a line cut short by a killed process
    runs = runs_from_events(read_events(tmp_path))
    assert [(r["run_id"], r["outcome"]) for r in runs] == [
        ("r1", "interrupted"),
        ("r2", "failed"),
        ("r3", "unfinished"),
    ]
    assert runs[1]["failed_step"] == "build" and [s["step"] for s in runs[1]["steps"]] == [
        "ingest",
        "build",
    ]


def test_status_record_gives_the_last_run_and_the_age_of_the_last_success(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert status_record(settings)["last_run"] is None  # a home with no run yet
    _night(settings.logs_dir, "r1", "succeeded")
    _night(settings.logs_dir, "r2", "failed")
    now = datetime.now(UTC) + timedelta(hours=30)
    record = json.loads(json.dumps(status_record(settings, now=now), default=str))
    assert record["last_run"]["run_id"] == "r2" and record["last_run"]["outcome"] == "failed"
    assert record["last_success"]["run_id"] == "r1"
    assert 29.9 < record["last_success"]["age_hours"] < 30.1
    assert record["feeds"] is None  # nothing published in this home
