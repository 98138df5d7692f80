"""`wmin status --json`: the night's health for a monitoring system, from the run journal
(pipeline/run_journal.py) and, when published, the latest day of feed health. Read-only: it
opens no database a running night holds (the analytics database is swapped by rename)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from pipeline.run_journal import journal_path, read_events, runs_from_events
from pipeline.settings import Settings


def _age_hours(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    return round((now - datetime.fromisoformat(iso)).total_seconds() / 3600, 2)


def _feeds(settings: Settings) -> dict[str, Any] | None:
    """Trusts whose latest published day is not ok, by status (failed, missing, late)."""
    if not settings.analytics_db.exists():
        return None
    with duckdb.connect(str(settings.analytics_db), read_only=True) as con:
        has = con.execute(
            "select count(*) from information_schema.tables where table_name = 'feed_health_daily'"
        ).fetchone()[0]
        if not has:
            return None
        rows = con.execute(
            "select trust_code, status, date from feed_health_daily "
            "qualify row_number() over (partition by trust_code order by date desc) = 1 "
            "order by trust_code"
        ).fetchall()
    by_status: dict[str, list[str]] = {"failed": [], "missing": [], "late": []}
    for trust, status, _day in rows:
        if status in by_status:
            by_status[status].append(trust)
    return {"day": str(max(r[2] for r in rows)) if rows else None, "trusts": len(rows), **by_status}


def status_record(settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """The last run (outcome, steps, warnings), the age of the last successful run and the
    feeds that were late, missing or failed on the latest published day."""
    now = now or datetime.now(UTC)
    runs = runs_from_events(read_events(settings.logs_dir))
    last = runs[-1] if runs else None
    succeeded = [r for r in runs if r["outcome"] == "succeeded"]
    last_ok = succeeded[-1] if succeeded else None
    return {
        "home": str(settings.home),
        "journal": str(journal_path(settings.logs_dir)),
        "checked_at": now.isoformat(timespec="seconds"),
        "last_run": last,
        "last_run_age_hours": _age_hours(last["started_at"], now) if last else None,
        "last_success": (
            {
                "run_id": last_ok["run_id"],
                "as_of": last_ok["as_of"],
                "finished_at": last_ok["finished_at"],
                "age_hours": _age_hours(last_ok["finished_at"], now),
            }
            if last_ok
            else None
        ),
        "feeds": _feeds(settings),
    }
