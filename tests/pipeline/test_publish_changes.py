"""Publish writes only what changed since the last publish, and stays exact and gated."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.identifier_gate import gate_version
from pipeline.publish import PublishError, publish
from pipeline.publish_ledger import content_of, ledger_path, usable_ledger
from pipeline.publish_tables import storage_layout

RELATIONS = [("main", "exams", "exams"), ("main", "monthly", "monthly")]
KEYS = {"exams": "exam_key"}


def _restricted(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table exams as select 'k' || range as exam_key, range % 5 as days, "
            "'RRK' as trust_code from range(130000)"
        )
        con.execute("create table monthly as select 'RRK' as trust_code, 1000 as exams")
    return path


def _night(restricted: Path, sql: str) -> None:
    with duckdb.connect(str(restricted)) as con:
        con.execute(sql)


def _delete_insert(keys: str, days: int) -> str:
    """What dbt's delete+insert does: the keys' rows deleted, their new rows appended."""
    return (
        f"begin; delete from exams where exam_key in ({keys}); "
        f"insert into exams select 'k' || range, {days}, 'RRK' from range(130000) "
        f"where 'k' || range in ({keys}); commit"
    )


def _publish(restricted: Path, analytics: Path) -> dict[str, str]:
    return publish(restricted, analytics, RELATIONS, as_of=date(2026, 1, 1), row_keys=KEYS).written


def _rows(db: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall())


@pytest.fixture()
def published(tmp_path: Path) -> tuple[Path, Path]:
    restricted = _restricted(tmp_path / "restricted.duckdb")
    analytics = tmp_path / "analytics.duckdb"
    assert _publish(restricted, analytics) == {"exams": "whole", "monthly": "whole"}
    return restricted, analytics


def test_appended_rows_replace_their_keys_and_unchanged_tables_are_kept(published) -> None:
    restricted, analytics = published
    _night(
        restricted,
        _delete_insert("'k3', 'k999', 'k129999'", days=9)
        + "; insert into exams values ('k130000', 1, 'RRK')",
    )
    assert _publish(restricted, analytics) == {"exams": "changed rows", "monthly": "kept"}
    assert _rows(analytics, "exams") == _rows(restricted, "exams")
    assert len(_rows(analytics, "exams")) == 130001
    _night(restricted, _delete_insert("'k5'", days=7))  # and the night after
    assert _publish(restricted, analytics)["exams"] == "changed rows"
    assert _rows(analytics, "exams") == _rows(restricted, "exams")
    with duckdb.connect(str(analytics), read_only=True) as con:
        assert con.execute("select count(*) from publish_info").fetchone()[0] == 1


def test_a_night_of_appended_rows_reads_no_older_row(published, monkeypatch) -> None:
    restricted, analytics = published
    read: list[str] = []

    def reading(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, str]:
        read.append(sql)
        return content_of(con, sql)

    monkeypatch.setattr("pipeline.publish_tables.content_of", reading)
    whole_table = 'select * from "main"."exams"'
    _night(restricted, _delete_insert("'k4', 'k129998'", days=9))
    assert _publish(restricted, analytics)["exams"] == "changed rows"
    assert _publish(restricted, analytics)["exams"] == "kept"  # a night that changed nothing
    assert whole_table not in read
    assert _rows(analytics, "exams") == _rows(restricted, "exams")
    recorded = usable_ledger(analytics, gate_version()).tables["exams"]
    with duckdb.connect(str(restricted), read_only=True) as con:
        layout = storage_layout(con, ("main", "exams"))
    assert (recorded.rows, recorded.hash_sum) == (130000, None)  # counted, not read
    assert recorded.layout == layout.recorded() and recorded.row_end == layout.row_end > 0
    # a row deleted alone: the layout does not explain it; the fingerprint, taken from the
    # published copy, does not either
    _night(restricted, "delete from exams where exam_key = 'k6'")
    assert _publish(restricted, analytics)["exams"] == "whole"
    assert _rows(analytics, "exams") == _rows(restricted, "exams")


def test_without_its_layout_a_table_is_checked_by_the_copys_fingerprint(published) -> None:
    restricted, analytics = published
    _night(restricted, _delete_insert("'k4'", days=9))
    assert _publish(restricted, analytics)["exams"] == "changed rows"  # by its layout
    # the first row group written again with the same values: its layout no longer vouches
    # for it, and the record has no hash sum (its older rows were not read)
    _night(restricted, "update exams set days = 3 where exam_key = 'k7'")
    _night(restricted, "update exams set days = 2 where exam_key = 'k7'")
    _night(restricted, _delete_insert("'k5'", days=9))
    assert _publish(restricted, analytics)["exams"] == "changed rows"
    assert _rows(analytics, "exams") == _rows(restricted, "exams")


@pytest.mark.parametrize(
    "night",
    [
        "update exams set days = 8 where exam_key = 'k7'",  # changed in place: no row appended
        "delete from exams where exam_key = 'k8'",  # a row gone alone
        (
            "create or replace table exams as select 'k' || range as exam_key, 2 as days, "
            "'RRK' as trust_code from range(130000)"
        ),  # a full refresh
    ],
)
def test_a_change_the_appended_rows_do_not_explain_copies_the_table_whole(
    published, night: str
) -> None:
    restricted, analytics = published
    _night(restricted, _delete_insert("'k1'", days=9) + "; " + night)
    assert _publish(restricted, analytics)["exams"] == "whole"
    assert _rows(analytics, "exams") == _rows(restricted, "exams")


def test_the_gate_checks_the_appended_rows(published) -> None:
    restricted, analytics = published
    before = analytics.read_bytes()
    leak = (
        "delete from exams where exam_key = 'k2'; insert into exams values ('k2', 1, '9434765919')"
    )
    _night(restricted, leak)
    with pytest.raises(PublishError, match=r"exams\.trust_code: 1 value"):
        _publish(restricted, analytics)
    assert analytics.read_bytes() == before


def test_a_file_changed_since_its_publish_is_not_trusted(published) -> None:
    restricted, analytics = published
    with duckdb.connect(str(analytics)) as con:  # someone writes into the published file
        con.execute("insert into monthly values ('RXK', 5)")
    assert _publish(restricted, analytics) == {"exams": "whole", "monthly": "whole"}
    assert _rows(analytics, "monthly") == _rows(restricted, "monthly")


def test_another_gate_or_no_record_checks_everything_again(published, monkeypatch) -> None:
    restricted, analytics = published
    monkeypatch.setattr("pipeline.publish.gate_version", lambda: "another gate")
    assert set(_publish(restricted, analytics).values()) == {"whole"}
    monkeypatch.undo()
    ledger_path(analytics).unlink()
    assert set(_publish(restricted, analytics).values()) == {"whole"}
    assert set(_publish(restricted, analytics).values()) == {"kept"}


def test_a_table_no_longer_published_leaves_the_file(published) -> None:
    restricted, analytics = published
    publish(restricted, analytics, RELATIONS[:1], as_of=date(2026, 1, 2), row_keys=KEYS)
    with duckdb.connect(str(analytics), read_only=True) as con:
        names = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert names == {"exams", "publish_info"}
