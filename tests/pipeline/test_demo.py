"""`wmin demo --serve` loads its window in slices of months (pipeline/demo.py) and the app says
how much of it is in (reporting/backfill.py). That the slices end where one night of the whole
window does: tests/integration/test_nightly.py (its networks are built once for the session)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from pipeline import demo
from reporting import backfill


def test_the_notice_counts_the_months_the_published_as_of_date_covers() -> None:
    loading = backfill.Backfill(date(2025, 10, 1), date(2026, 10, 31), backfill.LOADING)
    assert backfill.months_loaded(loading, date(2025, 12, 1)) == (2, 13)
    assert backfill.notice(loading, date(2025, 12, 1)) == (
        "Backfill: 2 of 13 months loaded (from Oct 2025); figures from Dec 2025 to Oct 2026 "
        "are still loading. This page refreshes itself as each slice is published."
    )
    assert backfill.notice(loading, date(2026, 11, 1)) is None  # the last night published
    # a window ending mid-month: its last month is in once the day after the window is
    short = backfill.Backfill(date(2026, 1, 5), date(2026, 3, 10), backfill.LOADING)
    assert "figures for Mar 2026 are still loading" in backfill.notice(short, date(2026, 3, 1))
    assert backfill.months_loaded(short, date(2026, 3, 10)) == (2, 3)
    assert backfill.months_loaded(short, date(2026, 3, 11)) == (3, 3)
    assert backfill.notice(short, date(2026, 3, 11)) is None
    done = backfill.Backfill(loading.start, loading.end, backfill.DONE)
    assert backfill.notice(done, date(2025, 12, 1)) is None


def test_slices_of_the_default_window_never_go_backwards() -> None:
    window = demo.Window(date(2025, 10, 1), date(2026, 10, 31))
    every = [date(2025, 11, 1), date(2026, 3, 1), date(2026, 7, 1), date(2026, 11, 1)]
    assert demo.slice_as_ofs(window) == every
    assert demo.slice_as_ofs(window, done_as_of=date(2026, 3, 1)) == every[2:]
    assert demo.slice_as_ofs(window, first_months=2)[0] == date(2025, 12, 1)
    assert demo.slice_as_ofs(window, done_as_of=date(2026, 11, 1)) == []
    assert demo.one_night(window, date(2026, 11, 1)) == []


def test_a_stopped_backfill_says_so_and_an_unreadable_file_says_nothing(tmp_path: Path) -> None:
    db = tmp_path / "analytics.duckdb"
    stopped = backfill.Backfill(date(2025, 10, 1), date(2026, 10, 31), backfill.FAILED, "why.")
    backfill.write_status(db, stopped)
    assert backfill.read_status(db) == stopped
    assert backfill.notice(stopped, date(2026, 4, 1)).startswith(
        "Backfill stopped with 6 of 13 months loaded: why."
    )
    backfill.status_path(db).write_text("{not json", encoding="utf-8")
    assert backfill.read_status(db) is None
    shutil.rmtree(tmp_path)
    assert backfill.read_status(db) is None
