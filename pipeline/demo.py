"""`wmin demo`: the synthetic network's backfill, and with `--serve` the app on its first slice.

A network's first backfill is a run of nights catching up, each as of a later date: the
nightly's ingest defers every delivery extracted after its as-of date (ingest/as_of.py) and the
incremental build gives what a one-shot build gives (tests/dbt, tests/pipeline/test_demo.py).
So `--serve` loads the window in slices of months, earliest first, in a process of its own (the
one writer), and opens the app as soon as the first slice is published; the app reads each
later publish as it lands and says how much of the window is in (reporting/backfill.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipeline import runs
from pipeline.settings import Settings
from reporting.backfill import DONE, FAILED, LOADING, Backfill, write_status

FIRST_SLICE_MONTHS = 1  # the first page's: a whole month's figures, soonest (docs/app.md)
SLICE_MONTHS = (
    4  # each later night's months: a few publishes, each night's fixed cost paid few times
)
WAIT_POLL_SECONDS = 0.5

Say = Callable[[str], None]
RunNight = Callable[[date], None]  # runs the nightly as of a date; raises when it fails


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def final_as_of(self) -> date:
        """The morning after the window: every delivery of it is in."""
        return self.end + timedelta(days=1)


def _add_months(d: date, n: int) -> date:
    months = d.year * 12 + d.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def slice_as_ofs(
    window: Window,
    done_as_of: date | None = None,
    first_months: int = FIRST_SLICE_MONTHS,
    slice_months: int = SLICE_MONTHS,
) -> list[date]:
    """The as-of dates of the nights that load the window, earliest first: the first day of the
    month after the first `first_months`, then every `slice_months`, then the morning after the
    window. Nights at or before `done_as_of` (already published) are left out: the as-of date
    never goes backwards."""
    as_ofs, cut = [], _add_months(window.start, first_months)
    while cut < window.final_as_of:
        as_ofs.append(cut)
        cut = _add_months(cut, slice_months)
    as_ofs.append(window.final_as_of)
    return [d for d in as_ofs if done_as_of is None or d > done_as_of]


def last_succeeded_as_of(s: Settings) -> date | None:
    """The as-of date of the latest night that succeeded in this home (None before any)."""
    done = [
        r["as_of_date"] for r in runs.last_runs(s.restricted_db, 50) if r["outcome"] == "succeeded"
    ]
    return max(done) if done else None


def run_slices(s: Settings, window: Window, as_ofs: list[date], run_night: RunNight) -> None:
    """The nights in turn, the backfill's state beside the published database after each."""
    s.ensure_dirs()
    log = str(backfill_log(s))
    write_status(s.analytics_db, Backfill(window.start, window.end, LOADING, log=log))
    for as_of in as_ofs:
        try:
            run_night(as_of)
        except BaseException as e:  # the notice says it stopped (Ctrl+C too), then it goes on up
            ended = "was stopped" if isinstance(e, KeyboardInterrupt) else "failed"
            why = f"the night as of {as_of} {ended}; see {log}."
            write_status(s.analytics_db, Backfill(window.start, window.end, FAILED, why, log))
            raise
    write_status(s.analytics_db, Backfill(window.start, window.end, DONE, log=log))


def one_night(window: Window, done_as_of: date | None) -> list[date]:
    """The whole window in one night (`wmin demo` without --serve), unless already in."""
    return [window.final_as_of] if done_as_of is None or done_as_of < window.final_as_of else []


def backfill_log(s: Settings) -> Path:
    return s.logs_dir / "demo_backfill.log"


def serve_while_loading(
    s: Settings, window: Window, as_ofs: list[date], serve_app: Callable[[], None], say: Say
) -> bool:
    """Start the nights `as_ofs` in a process of their own, echo its lines until the first is
    published, then serve the app until it stops; False if no night published anything."""
    log = backfill_log(s)
    log.parent.mkdir(parents=True, exist_ok=True)
    args = ["demo", "--home", str(s.home), "--start", f"{window.start}", "--end", f"{window.end}"]
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipeline", *args, "--slices"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    nights = ", ".join(map(str, as_ofs)) or "none: the window is in"
    say(f"backfill started in the background: night(s) as of {nights}; its log: {log}")
    try:
        if not _echo_until_published(s, child, say):
            return False
        say(f"a night is published: starting the app (the rest loads meanwhile: {log})")
        serve_app()
        return True
    finally:
        _stop(s, window, child, say)


def _echo_until_published(s: Settings, child: subprocess.Popen, say: Say) -> bool:
    """Echo the backfill's log until the database is published (True) or the backfill ends
    without it (False)."""
    log, seen = backfill_log(s), 0
    while True:
        published, ended = s.analytics_db.exists(), child.poll() is not None
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        for line in lines[seen:]:
            say(line.split(" ", 1)[-1] if line[:4].isdigit() else line)  # our say stamps it
        seen = len(lines)
        if ended and not published:
            say(f"the backfill ended (exit code {child.returncode}) before its first publish")
        if published or ended:
            return published
        time.sleep(WAIT_POLL_SECONDS)


def _stop(s: Settings, window: Window, child: subprocess.Popen, say: Say) -> None:
    """The app stopped: so does the backfill (a night stopped midway loses nothing; the next
    `wmin demo` carries on from the last night that finished)."""
    if child.poll() is None:
        child.terminate()
        child.wait()
        why = f"it stopped with the app; `make run` carries on from here (log: {backfill_log(s)})."
        write_status(
            s.analytics_db, Backfill(window.start, window.end, FAILED, why, str(backfill_log(s)))
        )
        say("backfill stopped with the app; the next `wmin demo --serve` carries on")
