"""The nightly's machine-readable record: JSON lines in `<home>/logs/nightly.jsonl`, one line
per event (run started, step finished, run finished), written as the run goes, beside the run
table in the restricted database (pipeline/runs.py). A monitoring system reads it through
`wmin status --json` without opening a database a running night may hold."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.runs import StepRecord

JOURNAL_NAME = "nightly.jsonl"


def journal_path(logs_dir: Path) -> Path:
    return Path(logs_dir) / JOURNAL_NAME


class RunJournal:
    def __init__(self, logs_dir: Path, run_id: str) -> None:
        self.path = journal_path(logs_dir)
        self.run_id = run_id
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _write(self, event: str, **fields: object) -> None:
        record = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "run_id": self.run_id,
            "event": event,
            **fields,
        }
        with self.path.open("a", encoding="utf-8") as f:  # one short append per line
            f.write(json.dumps(record, default=str) + "\n")

    def started(self, as_of: date) -> None:
        self._write("run_started", as_of=as_of.isoformat())

    def step(self, record: StepRecord) -> None:
        self._write(
            "step",
            step=record.step,
            status=record.outcome,
            seconds=record.seconds,
            counts=record.counts,
        )

    def finished(
        self,
        outcome: str,
        seconds: float,
        failed_step: str | None,
        message: str | None,
        warnings: list[str],
    ) -> None:
        self._write(
            "run_finished",
            outcome=outcome,
            seconds=round(seconds, 2),
            failed_step=failed_step,
            message=message,
            warnings=warnings,
        )


def read_events(logs_dir: Path) -> list[dict]:
    """Every event in the journal; a line cut short by a killed process is skipped."""
    path = journal_path(logs_dir)
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def runs_from_events(events: list[dict]) -> list[dict]:
    """One dict per run, oldest first: as_of, started_at, finished_at, outcome, steps, ..."""
    runs: dict[str, dict] = {}
    for e in events:
        run = runs.setdefault(
            e["run_id"],
            {
                "run_id": e["run_id"],
                "as_of": None,
                "started_at": None,
                "finished_at": None,
                "outcome": "unfinished",
                "failed_step": None,
                "message": None,
                "seconds": None,
                "steps": [],
                "warnings": [],
            },
        )
        if e["event"] == "run_started":
            run.update(as_of=e.get("as_of"), started_at=e["at"])
        elif e["event"] == "step":
            run["steps"].append({k: e.get(k) for k in ("step", "status", "seconds", "counts")})
        elif e["event"] == "run_finished":
            run.update(
                finished_at=e["at"],
                outcome=e.get("outcome"),
                seconds=e.get("seconds"),
                failed_step=e.get("failed_step"),
                message=e.get("message"),
                warnings=e.get("warnings") or [],
            )
    ordered = sorted(runs.values(), key=lambda r: r["started_at"] or "")
    for run in ordered[:-1]:  # the run table's rule (pipeline/runs.py): a later run began
        if run["outcome"] == "unfinished":
            run["outcome"] = "interrupted"
    return ordered
