"""Which months are complete and mature enough to judge, for a measure and a trust.

A month is left out of an SPC baseline (and of month-on-month comparisons) when:
- it is in the run-in of a feed: it began before the first day the trust's deliveries cover,
  so its exams arrived as a backlog (for the network, before the last trust's feed started);
- it is not complete: its last day is not before the as-of date (data run to the day before);
- it is not mature for the measure: a 28-day measure needs 28 days after the month's end
  before the as-of date, or exams tested late in the month cannot yet have breached.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

NETWORK = "NETWORK"
LONDON = ZoneInfo("Europe/London")


def month_end(month: date) -> date:
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def add_months(month: date, k: int) -> date:
    i = month.year * 12 + month.month - 1 + k
    return date(i // 12, i % 12 + 1, 1)


def first_full_month(start: date) -> date:
    """The first month that a feed starting on `start` covers whole."""
    return start.replace(day=1) if start.day == 1 else add_months(start.replace(day=1), 1)


def left_out_reason(
    month: date, as_of: date | None, feed_start: date | None, maturity_days: int = 0
) -> str | None:
    """None when `month` may be judged, else the reason it is left out (shown to people)."""
    if feed_start is not None and month < first_full_month(feed_start):
        return f"run-in: the feed starts {feed_start:%d %b %Y}"
    if as_of is not None:
        end = month_end(month)
        if end >= as_of:
            return f"incomplete: data to {as_of - timedelta(days=1):%d %b %Y}"
        if end + timedelta(days=maturity_days) >= as_of:
            return f"not mature: {maturity_days} days after the month's end not yet passed"
    return None


def is_mature(
    month: date, as_of: date | None, feed_start: date | None, maturity_days: int = 0
) -> bool:
    return left_out_reason(month, as_of, feed_start, maturity_days) is None


def latest_mature_month(
    as_of: date, feed_start: date | None = None, maturity_days: int = 0
) -> date | None:
    """The newest month that may be judged at `as_of` (None when none has matured yet)."""
    month = add_months(as_of.replace(day=1), -1)
    while not is_mature(month, as_of, feed_start, maturity_days):
        month = add_months(month, -1)
        if feed_start is not None and month < feed_start.replace(day=1):
            return None
    return month


def feed_starts(con: duckdb.DuckDBPyConnection) -> dict[str, date]:
    """The first day each trust's data cover, and the network's (the last trust's start, since
    before it the network total is incomplete).

    A delivery carries the days since the one before, so a feed's first delivery covers its
    cadence before it: a nightly file of 2 October covers 1 October, a weekly one of 8 October
    the week from 1 October (`feed_health_daily`: first delivery day less `cadence_days`)."""
    rows = con.execute(
        "select trust_code, min(date), coalesce(max(cadence_days), 1) "
        "from feed_health_daily where files_received > 0 group by trust_code"
    ).fetchall()
    starts = {
        trust: (day.date() if hasattr(day, "date") else day) - timedelta(days=int(cadence))
        for trust, day, cadence in rows
    }
    if starts:
        starts[NETWORK] = max(starts.values())
    return starts


def as_of_end(as_of: date | None) -> datetime | None:
    """The end of the as-of day, local midnight after it (docs/metrics.md's "at the as-of time")."""
    if as_of is None:
        return None
    return datetime.combine(as_of + timedelta(days=1), time(), tzinfo=LONDON)


def published_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date of the published database (publish_info): data run to the day before."""
    row = con.execute("select as_of_date from publish_info limit 1").fetchone()
    return row[0] if row else None
