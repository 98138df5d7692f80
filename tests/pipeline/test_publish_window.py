"""publish_info's data window comes from the deliveries themselves, so a nightly or demo run
(which passes only the as-of date) never publishes an empty window."""

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipeline.publish import publish


def _restricted(path: Path, extracts: list[tuple[datetime, str]]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table main.tat_monthly as select 1 as n")
        con.execute("create schema landing")
        con.execute(
            "create table landing.load_manifest (trust_code varchar, "
            "extract_at timestamptz, outcome varchar)"
        )
        for at, outcome in extracts:
            con.execute("insert into landing.load_manifest values ('RRK', ?, ?)", [at, outcome])
    return path


def _window(analytics: Path) -> tuple:
    with duckdb.connect(str(analytics), read_only=True) as con:
        return con.execute(
            "select as_of_date, data_window_start, data_window_end from publish_info"
        ).fetchone()


def test_window_runs_from_the_day_before_the_first_extract_to_the_day_before_the_last(tmp_path):
    restricted = _restricted(
        tmp_path / "r.duckdb",
        [
            (
                datetime(2025, 10, 2, 1, 0, tzinfo=UTC),
                "loaded",
            ),  # 02:00 BST on 2 Oct: data of 1 Oct
            (datetime(2025, 9, 20, 1, 0, tzinfo=UTC), "quarantined"),  # never loaded: not data
            (datetime(2026, 11, 1, 2, 0, tzinfo=UTC), "loaded"),  # the as-of night: data to 31 Oct
            (
                datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
                "loaded",
            ),  # after the as-of date: not known yet
        ],
    )
    analytics = tmp_path / "a.duckdb"
    publish(
        restricted, analytics, [("main", "tat_monthly", "tat_monthly")], as_of=date(2026, 11, 1)
    )
    assert _window(analytics) == (date(2026, 11, 1), date(2025, 10, 1), date(2026, 10, 31))


def test_local_midnight_decides_the_extract_day(tmp_path):
    # 23:30 UTC on 1 Nov is 23:30 GMT (same day); 23:30 UTC on 1 Jul is 00:30 BST on 2 Jul
    restricted = _restricted(
        tmp_path / "r.duckdb",
        [
            (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), "loaded"),
            (datetime(2026, 11, 1, 23, 30, tzinfo=UTC), "loaded"),
        ],
    )
    analytics = tmp_path / "a.duckdb"
    publish(
        restricted, analytics, [("main", "tat_monthly", "tat_monthly")], as_of=date(2026, 11, 1)
    )
    assert _window(analytics)[1:] == (date(2026, 7, 1), date(2026, 10, 31))


def test_no_delivery_gives_an_empty_window_and_an_explicit_one_wins(tmp_path):
    restricted = _restricted(tmp_path / "r.duckdb", [])
    analytics = tmp_path / "a.duckdb"
    rel = [("main", "tat_monthly", "tat_monthly")]
    publish(restricted, analytics, rel, as_of=date(2026, 11, 1))
    assert _window(analytics)[1:] == (None, None)
    publish(
        restricted,
        analytics,
        rel,
        as_of=date(2026, 11, 1),
        data_window_days=(date(2026, 1, 1), date(2026, 1, 31)),
    )
    assert _window(analytics)[1:] == (date(2026, 1, 1), date(2026, 1, 31))
