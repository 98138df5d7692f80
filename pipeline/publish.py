"""Publish the analytics database: new file beside the old one, checkpoint, atomic rename.

Readers holding the old file keep a consistent view (the inode they opened lives on until they
close it); a reader that reopens sees the new file. The nightly run never waits for readers.
Before the rename the new file must pass the identifier gate (`pipeline/identifier_gate.py`):
no column named like a direct identifier and no text value that looks like a valid NHS number
or a full postcode.

The new file starts as a copy of the previous one when the last publish's record says what it
holds (`pipeline/publish_ledger.py`); then only what changed is written
(`pipeline/publish_tables.py`): a table whose content is unchanged is kept, an incremental
model's table gets its changed rows, any other changed table is copied whole, and the gate
checks the rows written. Without a usable record every table is copied whole.

The published database documents itself: every table and column carries its dbt description
as a DuckDB comment (`duckdb_tables()`, `duckdb_columns()`), so a planner's SQL client shows
what the models' YAML says, with no second copy of the text to keep in step.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipeline.identifier_gate import FORBIDDEN_COLUMNS, column_findings, gate_version
from pipeline.publish_ledger import Ledger, forget_ledger, mostly_free, usable_ledger, write_ledger
from pipeline.publish_tables import TableWriter

__all__ = ["FORBIDDEN_COLUMNS", "PublishError", "PublishResult", "publish"]
LOCAL = ZoneInfo("Europe/London")


class PublishError(Exception):
    """Publish refused; the previously published database is untouched."""


@dataclass
class PublishResult:
    analytics_db: Path
    tables: dict[str, int] = field(default_factory=dict)  # name -> rows
    published_at: datetime | None = None
    # name -> how it was written: "kept", "changed rows" or "whole"
    written: dict[str, str] = field(default_factory=dict)


def _model_nodes(manifest_path: Path) -> list[dict]:
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    return [n for n in manifest["nodes"].values() if n.get("resource_type") in ("model", "seed")]


def published_relations(manifest_path: Path) -> list[tuple[str, str, str]]:
    """(schema, relation, published name) of every dbt model marked for publishing.

    A model is published when its config has `meta: {publish: true}`; the manifest is the
    one dbt wrote for the build, so the list follows the project, not this code.
    """
    out = []
    for node in _model_nodes(manifest_path):
        meta = {**node.get("meta", {}), **node.get("config", {}).get("meta", {})}
        if meta.get("publish") is True:
            name = node.get("alias") or node["name"]
            out.append((node["schema"], name, name))
    return sorted(out, key=lambda r: r[2])


def published_row_keys(manifest_path: Path) -> dict[str, str]:
    """Published name -> the one-column unique key of each published incremental model: such a
    table is published by its changed rows (dbt's delete+insert appends them)."""
    published = {name for _, _, name in published_relations(manifest_path)}
    out = {}
    for node in _model_nodes(manifest_path):
        name, config = node.get("alias") or node["name"], node.get("config", {})
        key = config.get("unique_key")
        incremental = config.get("materialized") == "incremental"
        if name in published and incremental and isinstance(key, str) and key.isidentifier():
            out[name] = key
    return out


@dataclass(frozen=True)
class RelationDocs:
    """A published relation's dbt description and its columns' descriptions."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


PUBLISH_INFO_DOCS = RelationDocs(
    "One row: when this database was published and what its data covers.",
    {
        "published_at": "When the nightly run published this database (shown in local time).",
        "as_of_date": "The as-of date the run built the marts for.",
        "data_window_start": "First day the delivered data covers.",
        "data_window_end": "Last day the delivered data covers (the day before the last extract).",
    },
)


def published_docs(manifest_path: Path) -> dict[str, RelationDocs]:
    """Published name -> its dbt descriptions, as the manifest of the build has them."""
    published = {name for _, _, name in published_relations(manifest_path)}
    out = {}
    for node in _model_nodes(manifest_path):
        name = node.get("alias") or node["name"]
        if name in published:
            columns = {
                c: (v.get("description") or "").strip()
                for c, v in (node.get("columns") or {}).items()
            }
            out[name] = RelationDocs((node.get("description") or "").strip(), columns)
    return out


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_comments(
    con: duckdb.DuckDBPyConnection, catalog: str, docs: Mapping[str, RelationDocs]
) -> None:
    """COMMENT ON every documented table and column of `catalog` that exists there, where the
    comment it has (a table kept from the previous file has last night's) is not the text."""
    tables = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where database_name = ?", [catalog]
        ).fetchall()
    )
    columns: dict[str, dict[str, str | None]] = {}
    for table, column, comment in con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = ?",
        [catalog],
    ).fetchall():
        columns.setdefault(table, {})[column] = comment
    for name, relation in docs.items():
        if name not in columns:
            continue
        if relation.description and tables.get(name) != relation.description:
            con.execute(
                f'comment on table {catalog}.main."{name}" is {_sql_text(relation.description)}'
            )
        for column, text in relation.columns.items():
            if text and column in columns[name] and columns[name][column] != text:
                con.execute(
                    f'comment on column {catalog}.main."{name}"."{column}" is {_sql_text(text)}'
                )


def model_relations(manifest_path: Path) -> dict[str, str]:
    """Model name -> quoted `schema.relation` as dbt built it."""
    return {
        n["name"]: f'"{n["schema"]}"."{n.get("alias") or n["name"]}"'
        for n in _model_nodes(manifest_path)
    }


def data_window(con: duckdb.DuckDBPyConnection, as_of: date) -> tuple[date | None, date | None]:
    """The days the delivered data covers: (first day, last day), or (None, None) before any
    delivery. An extract taken on local day D carries the trust's data to the end of D-1 (the
    nightly run reads what the night before sent), so the window runs from the day before the
    first loaded extract to the day before the last one known at the as-of date."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'landing' and table_name = 'load_manifest'"
    ).fetchone()[0]
    if not exists:
        return None, None
    as_of_end = datetime.combine(as_of + timedelta(days=1), time(0), LOCAL)
    first, last = con.execute(
        "select min(extract_at), max(extract_at) from landing.load_manifest "
        "where outcome = 'loaded' and extract_at < ?",
        [as_of_end],
    ).fetchone()
    if first is None:
        return None, None
    day_before = [at.astimezone(LOCAL).date() - timedelta(days=1) for at in (first, last)]
    return day_before[0], day_before[1]


def publish(
    restricted_db: Path,
    analytics_db: Path,
    relations: list[tuple[str, str, str]],
    as_of: date,
    data_window_days: tuple[date | None, date | None] | None = None,
    extra_tables: dict[str, str] | None = None,
    before_rename: Callable[[], None] | None = None,
    docs: Mapping[str, RelationDocs] | None = None,
    row_keys: Mapping[str, str] | None = None,
) -> PublishResult:
    """Write `relations` (and `extra_tables`: name -> SQL over the restricted db) to a new file
    and swap it in atomically. Raises PublishError and leaves the old file in place on failure.
    `docs` (from `published_docs`) become the tables' and columns' comments; `row_keys` (from
    `published_row_keys`) name the tables that may be published by their changed rows.

    publish_info records the as-of date and the data window (`data_window_days`, by default
    read from the deliveries by `data_window`), so every reader can say what the data covers."""
    if not relations:
        raise PublishError("nothing to publish: no model is marked `meta: {publish: true}`")
    analytics_db.parent.mkdir(parents=True, exist_ok=True)
    new_file = analytics_db.with_name(analytics_db.name + ".new")
    for stale in (new_file, new_file.with_name(new_file.name + ".wal")):
        stale.unlink(missing_ok=True)  # left by a run killed mid-publish
    published_at = datetime.now(UTC)
    result = PublishResult(analytics_db=analytics_db, published_at=published_at)
    gate = gate_version()
    previous = usable_ledger(analytics_db, gate)
    if previous is not None:
        shutil.copyfile(analytics_db, new_file)  # readers keep the old file; only this changes
    sources = {name: f'select * from "{schema}"."{rel}"' for schema, rel, name in relations}
    sources.update(extra_tables or {})
    tables = {name: (schema, rel) for schema, rel, name in relations}
    con = duckdb.connect(str(restricted_db))
    try:
        window = data_window_days if data_window_days is not None else data_window(con, as_of)
        con.execute(f"attach '{new_file.as_posix()}' as pub")
        writer = TableWriter(con, "pub", previous.tables if previous else {}, row_keys or {})
        for name, sql in sources.items():
            writer.write(name, sql, tables.get(name))
        writer.drop_others(set(sources))
        con.execute(
            "create table pub.main.publish_info as select ?::timestamptz as published_at, "
            "?::date as as_of_date, ?::date as data_window_start, ?::date as data_window_end",
            [published_at, as_of, window[0], window[1]],
        )
        _write_comments(con, "pub", {**(docs or {}), "publish_info": PUBLISH_INFO_DOCS})
        findings = column_findings(con, "pub") + writer.findings
        if findings:
            raise PublishError(
                "identifiers found in the analytics database, not published:\n  "
                + "\n  ".join(findings)
            )
        result.tables.update({name: state.rows for name, state in writer.states.items()})
        result.tables["publish_info"] = 1
        result.written.update(writer.written)
        con.execute("checkpoint pub")
        compact_next = mostly_free(con, "pub")
        con.execute("detach pub")
    except PublishError:
        con.close()
        new_file.unlink(missing_ok=True)
        raise
    except duckdb.Error as e:
        con.close()
        new_file.unlink(missing_ok=True)
        raise PublishError(f"publish failed while copying: {e}") from None
    con.close()
    _fsync(new_file)
    if before_rename is not None:
        before_rename()
    forget_ledger(analytics_db)  # from here the record would describe the wrong file
    os.replace(new_file, analytics_db)  # atomic on POSIX: readers see old or new, never half
    _fsync(analytics_db.parent)  # make the rename itself durable
    try:
        write_ledger(
            analytics_db,
            Ledger(gate, duckdb.__version__, writer.states, compact_next=compact_next),
        )
    except OSError:
        pass  # published all the same; without a record the next publish writes a whole file
    return result


def _fsync(path: Path) -> None:
    """Flush a file or a directory entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
