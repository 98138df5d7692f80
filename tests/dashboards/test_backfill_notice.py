"""The demo backfill's notice (dashboards/backfill_notice.py) on a page of the app."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from reporting.backfill import DONE, FAILED, LOADING, Backfill, write_status
from tests.dashboards.test_pages import run_page

WINDOW = (date(2025, 9, 1), date(2027, 1, 31))  # the fixture is as of 2026-10-28


@pytest.fixture()
def db(app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the published fixture: its backfill file is this test's alone."""
    copy = tmp_path / "warehouse" / "analytics.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(app_env, copy)
    monkeypatch.setenv("WMIN_ANALYTICS_DB", str(copy))
    return copy


def _notices(state: str, db: Path) -> list[str]:
    write_status(db, Backfill(*WINDOW, state, "the night as of 2026-10-29 failed; see x.log."))
    at = run_page("overview")
    return [e.value for e in [*at.info, *at.warning] if "Backfill" in e.value]


def test_a_page_says_how_much_of_the_backfill_is_in_until_it_is_done(db: Path) -> None:
    loading = (
        "Backfill: 13 of 17 months loaded (from Sep 2025); figures from Oct 2026 to Jan 2027 "
        "are still loading. This page refreshes itself as each slice is published."
    )
    assert _notices(LOADING, db) == [loading]
    stopped = _notices(FAILED, db)
    assert len(stopped) == 1 and stopped[0].startswith("Backfill stopped with 13 of 17 months")
    assert _notices(DONE, db) == []
