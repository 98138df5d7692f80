import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.publish import PublishError, publish, published_relations


def _restricted(path: Path, rows: int, extra_sql: str = "") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table main.tat_monthly as "
            f"select range as n, 'RRK' as trust_code from range({rows})"
        )
        con.execute("create or replace table main.secret as select '9434765919' as nhs_number")
        if extra_sql:
            con.execute(extra_sql)
    return path


def _manifest(path: Path, publish_names: list[str], other: list[str]) -> Path:
    nodes = {}
    for name in publish_names + other:
        nodes[f"model.wmin.{name}"] = {
            "resource_type": "model",
            "name": name,
            "alias": name,
            "schema": "main",
            "config": {"meta": {"publish": True} if name in publish_names else {}},
            "meta": {},
        }
    path.write_text(json.dumps({"nodes": nodes}))
    return path


def test_only_marked_models_are_published(tmp_path: Path) -> None:
    m = _manifest(tmp_path / "manifest.json", ["tat_monthly"], ["secret"])
    assert published_relations(m) == [("main", "tat_monthly", "tat_monthly")]


def test_publish_swaps_atomically_and_reader_keeps_old_view(tmp_path: Path) -> None:
    restricted = _restricted(tmp_path / "restricted.duckdb", rows=3)
    analytics = tmp_path / "analytics.duckdb"
    rel = [("main", "tat_monthly", "tat_monthly")]
    publish(restricted, analytics, rel, as_of=date(2026, 1, 1))

    reader = duckdb.connect(str(analytics), read_only=True)
    assert reader.execute("select count(*) from tat_monthly").fetchone()[0] == 3

    _restricted(restricted, rows=5)
    result = publish(restricted, analytics, rel, as_of=date(2026, 1, 2))
    assert result.tables["tat_monthly"] == 5
    # the open reader still sees the file it opened, whole
    assert reader.execute("select count(*) from tat_monthly").fetchone()[0] == 3
    reader.close()
    with duckdb.connect(str(analytics), read_only=True) as fresh:
        assert fresh.execute("select count(*) from tat_monthly").fetchone()[0] == 5
        assert fresh.execute("select as_of_date from publish_info").fetchone()[0] == date(
            2026, 1, 2
        )
    assert not (tmp_path / "analytics.duckdb.new").exists()


def test_identifiers_block_publish_and_keep_old_file(tmp_path: Path) -> None:
    restricted = _restricted(tmp_path / "restricted.duckdb", rows=2)
    analytics = tmp_path / "analytics.duckdb"
    publish(restricted, analytics, [("main", "tat_monthly", "tat_monthly")], as_of=date(2026, 1, 1))
    before = analytics.read_bytes()

    with pytest.raises(PublishError, match="direct identifier"):
        publish(restricted, analytics, [("main", "secret", "secret")], as_of=date(2026, 1, 2))
    _restricted(
        restricted,
        rows=2,
        extra_sql="create or replace table main.leak as "
        "select '9434765919' as note, 'B15 2TH' as where_from",
    )
    with pytest.raises(PublishError) as info:
        publish(restricted, analytics, [("main", "leak", "leak")], as_of=date(2026, 1, 2))
    assert "NHS number" in str(info.value) and "postcode" in str(info.value)
    assert analytics.read_bytes() == before
    assert not (tmp_path / "analytics.duckdb.new").exists()


def test_stale_new_file_from_killed_publish_is_replaced(tmp_path: Path) -> None:
    restricted = _restricted(tmp_path / "restricted.duckdb", rows=2)
    analytics = tmp_path / "analytics.duckdb"
    (tmp_path / "analytics.duckdb.new").write_bytes(b"half a file")
    publish(restricted, analytics, [("main", "tat_monthly", "tat_monthly")], as_of=date(2026, 1, 1))
    with duckdb.connect(str(analytics), read_only=True) as con:
        assert con.execute("select count(*) from tat_monthly").fetchone()[0] == 2


def _documented_manifest(path: Path) -> Path:
    nodes = {
        "model.wmin.tat_monthly": {
            "resource_type": "model",
            "name": "tat_monthly",
            "alias": "tat_monthly",
            "schema": "main",
            "config": {"meta": {"publish": True}},
            "meta": {},
            "description": "Turnaround by month, trust, modality and priority; the planners' view.",
            "columns": {
                "n": {"name": "n", "description": "Exams tested (a count, it's exact)."},
                "trust_code": {"name": "trust_code", "description": ""},
                "gone": {"name": "gone", "description": "A column the table no longer has."},
            },
        }
    }
    path.write_text(json.dumps({"nodes": nodes}))
    return path


def test_published_tables_and_columns_carry_their_dbt_descriptions(tmp_path: Path) -> None:
    from pipeline.publish import published_docs

    manifest = _documented_manifest(tmp_path / "manifest.json")
    restricted = _restricted(tmp_path / "restricted.duckdb", rows=2)
    analytics = tmp_path / "analytics.duckdb"
    publish(
        restricted,
        analytics,
        published_relations(manifest),
        as_of=date(2026, 1, 1),
        docs=published_docs(manifest),
    )
    with duckdb.connect(str(analytics), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() "
                "where database_name = 'analytics' and schema_name = 'main'"
            ).fetchall()
        )
        columns = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() where table_name = 'tat_monthly'"
            ).fetchall()
        )
        info = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where table_name = 'publish_info'"
            ).fetchall()
        )
        assert con.execute("select count(*) from tat_monthly").fetchone()[0] == 2  # as typed
    assert tables["tat_monthly"].startswith("Turnaround by month")
    assert columns == {"n": "Exams tested (a count, it's exact).", "trust_code": None}
    assert tables["publish_info"] and all(info.values()) and "as-of" in info["as_of_date"]


@pytest.mark.slow
def test_every_published_model_and_column_of_the_project_is_described(tmp_path: Path) -> None:
    """What the published database's comments come from: the project's own dbt YAML."""
    from pipeline.build import parse_project
    from pipeline.publish import published_docs

    assert parse_project(tmp_path / "restricted.duckdb", tmp_path / "target")
    docs = published_docs(tmp_path / "target" / "manifest.json")
    assert {"tat_monthly", "fct_exams", "waiting_list_census"} <= set(docs)
    undocumented = [name for name, d in docs.items() if not d.description]
    undocumented += [
        f"{name}.{c}" for name, d in docs.items() for c, t in d.columns.items() if not t
    ]
    assert not undocumented, f"published without a dbt description: {undocumented}"
