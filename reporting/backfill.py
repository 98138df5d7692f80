"""The demo backfill's state, as the pipeline writes it and the app reads it.

`wmin demo --serve` loads its window in slices of months (pipeline/demo.py) and opens the app on
the first one. Beside the published database it keeps `backfill.json`: the whole window, and
whether the slices are still loading, done, or stopped with an error. How far the data reaches
is not in it: that is the published database's own as-of date, so the notice can never say
more is loaded than the app can read.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

FILE_NAME = "backfill.json"
LOADING, DONE, FAILED = "loading", "done", "failed"


@dataclass(frozen=True)
class Backfill:
    start: date  # first day of the demo window
    end: date  # last day of the demo window
    state: str  # loading | done | failed
    message: str = ""  # why it stopped, and where its log is
    log: str = ""  # the backfill's log file


def status_path(analytics_db: Path) -> Path:
    return analytics_db.parent / FILE_NAME


def write_status(analytics_db: Path, backfill: Backfill) -> None:
    """Replace the file by a rename, so a reader sees the old state or the new, never half."""
    path = status_path(analytics_db)
    tmp = path.with_name(path.name + ".tmp")
    values = {
        **asdict(backfill),
        "start": backfill.start.isoformat(),
        "end": backfill.end.isoformat(),
    }
    tmp.write_text(json.dumps(values, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_status(analytics_db: Path) -> Backfill | None:
    """The backfill beside this published database; None when there is none (or unreadable:
    the notice is a courtesy, never a reason for a page to fail)."""
    try:
        values = json.loads(status_path(analytics_db).read_text(encoding="utf-8"))
        return Backfill(
            start=date.fromisoformat(values["start"]),
            end=date.fromisoformat(values["end"]),
            state=str(values["state"]),
            message=str(values.get("message", "")),
            log=str(values.get("log", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _months(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s."""
    months, m = [], first.replace(day=1)
    while m <= last:
        months.append(m)
        m = _next_month(m)
    return months


def months_loaded(backfill: Backfill, as_of: date) -> tuple[int, int]:
    """(months of the window whose days in it are all before the published as-of date, months
    in the window)."""
    months = _months(backfill.start, backfill.end)
    after_window = backfill.end + timedelta(days=1)
    loaded = sum(1 for m in months if min(_next_month(m), after_window) <= as_of)
    return loaded, len(months)


def _next_month(m: date) -> date:
    return date(m.year + m.month // 12, m.month % 12 + 1, 1)


def notice(backfill: Backfill | None, as_of: date | None) -> str | None:
    """What a page says about a backfill still loading or stopped; None once it is done."""
    if backfill is None or backfill.state == DONE or as_of is None:
        return None
    loaded, total = months_loaded(backfill, as_of)
    if backfill.state == FAILED:
        return (
            f"Backfill stopped with {loaded} of {total} months loaded: {backfill.message} "
            f"Figures after {as_of - timedelta(days=1):%d %b %Y} are missing."
        )
    if loaded >= total:
        return None
    missing = f"for {as_of:%b %Y}"
    if (as_of.year, as_of.month) != (backfill.end.year, backfill.end.month):
        missing = f"from {as_of:%b %Y} to {backfill.end:%b %Y}"
    return (
        f"Backfill: {loaded} of {total} months loaded (from {backfill.start:%b %Y}); "
        f"figures {missing} are still loading. "
        "This page refreshes itself as each slice is published."
    )
