"""Which deliveries a night as of a date may load: those extracted by the end of the as-of date,
the local midnight after it (Europe/London; docs/metrics.md "at the as-of time"). A later delivery
waits in landing, untouched, for the night whose date it belongs to: so a history replayed
night by night loads what each night would have seen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")


def end_of_as_of(as_of: date) -> datetime:
    """The end of the as-of date in UTC: local midnight after it (23:00 UTC in summer)."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=LOCAL).astimezone(UTC)


def extracted_by(extract_at: datetime | None, as_of: date | None) -> bool:
    """Whether a delivery extracted at `extract_at` belongs to a night as of `as_of` or before.
    No as-of date, or an extract time not known yet, holds nothing back."""
    if as_of is None or extract_at is None:
        return True
    return extract_at < end_of_as_of(as_of)


def deferred_message(extract_at: datetime, as_of: date) -> str:
    local = extract_at.astimezone(LOCAL)
    return (
        f"extracted {local:%Y-%m-%d %H:%M} (local), after the as-of date {as_of}: "
        "left in landing for a later night"
    )
