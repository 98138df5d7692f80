"""The run record: one row per nightly run in the restricted database, written as it goes.

A run killed part-way leaves its row as `running`; the next run marks it `interrupted`, so
`wmin status` always tells the truth about the night.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

RUNS_DDL = """
create schema if not exists pipeline;
create table if not exists pipeline.runs (
  run_id varchar primary key,
  started_at timestamptz not null,
  finished_at timestamptz,
  as_of_date date,
  outcome varchar not null,   -- running | succeeded | failed | interrupted
  failed_step varchar,
  message varchar,
  steps json                   -- [{step, seconds, outcome, counts}]
);
"""


@dataclass
class StepRecord:
    step: str
    seconds: float
    outcome: str  # succeeded | failed | warning (a warning-only step failed; the run goes on)
    counts: dict[str, int | float | str] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def start_run(db: Path, as_of: date) -> str:
    started = _now()
    run_id = started.strftime("%Y%m%dT%H%M%S.%fZ")
    with duckdb.connect(str(db)) as con:
        con.execute(RUNS_DDL)
        con.execute(
            "update pipeline.runs set outcome = 'interrupted', "
            "message = 'the process stopped before the run finished' "
            "where outcome = 'running'"
        )
        con.execute(
            "insert into pipeline.runs (run_id, started_at, as_of_date, outcome, steps) "
            "values (?, ?, ?, 'running', '[]')",
            [run_id, started, as_of],
        )
    return run_id


def record_steps(db: Path, run_id: str, steps: list[StepRecord]) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update pipeline.runs set steps = ? where run_id = ?",
            [json.dumps([asdict(s) for s in steps], default=str), run_id],
        )


def finish_run(
    db: Path,
    run_id: str,
    steps: list[StepRecord],
    outcome: str,
    failed_step: str | None = None,
    message: str | None = None,
) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update pipeline.runs set finished_at = ?, outcome = ?, failed_step = ?, "
            "message = ?, steps = ? where run_id = ?",
            [
                _now(),
                outcome,
                failed_step,
                message,
                json.dumps([asdict(s) for s in steps], default=str),
                run_id,
            ],
        )


def last_runs(db: Path, n: int = 5) -> list[dict]:
    if not db.exists():
        return []
    with duckdb.connect(str(db), read_only=True) as con:
        has = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema='pipeline' and table_name='runs'"
        ).fetchone()[0]
        if not has:
            return []
        cur = con.execute(
            "select run_id, started_at, finished_at, as_of_date, outcome, "
            "failed_step, message, steps from pipeline.runs "
            "order by started_at desc limit ?",
            [n],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
