"""Publish the analytics database: new file beside the old one, checkpoint, atomic rename.

Readers holding the old file keep a consistent view (the inode they opened lives on until they
close it); a reader that reopens sees the new file. The nightly run never waits for readers.
Before the rename the new file must pass the identifier gate: no column named like a direct
identifier and no text value that looks like a valid NHS number or a full postcode.

The published database documents itself: every table and column carries its dbt description
as a DuckDB comment (`duckdb_tables()`, `duckdb_columns()`), so a planner's SQL client shows
what the models' YAML says, with no second copy of the text to keep in step.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

# Columns that must never reach the published database, whatever a model calls them.
FORBIDDEN_COLUMNS = re.compile(
    r"^(nhs_number|nhs_no|birth_date|date_of_birth|dob|postcode|accession|accession_number|"
    r"patient_name|forename|surname|family_name|given_name|mrn)$",
    re.IGNORECASE,
)
FULL_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"
LOCAL = ZoneInfo("Europe/London")


class PublishError(Exception):
    """Publish refused; the previously published database is untouched."""


@dataclass
class PublishResult:
    analytics_db: Path
    tables: dict[str, int] = field(default_factory=dict)  # name -> rows
    published_at: datetime | None = None


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
    """COMMENT ON every documented table and column of `catalog` that exists there."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = ?", [catalog]
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for name, relation in docs.items():
        if name not in existing:
            continue
        if relation.description:
            con.execute(
                f'comment on table {catalog}.main."{name}" is {_sql_text(relation.description)}'
            )
        for column, text in relation.columns.items():
            if text and column in existing[name]:
                con.execute(
                    f'comment on column {catalog}.main."{name}"."{column}" is {_sql_text(text)}'
                )


def model_relations(manifest_path: Path) -> dict[str, str]:
    """Model name -> quoted `schema.relation` as dbt built it."""
    return {
        n["name"]: f'"{n["schema"]}"."{n.get("alias") or n["name"]}"'
        for n in _model_nodes(manifest_path)
    }


def _identifier_findings(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    findings: list[str] = []
    cols = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    text_columns: dict[str, list[str]] = {}
    for table, column, dtype in cols:
        if FORBIDDEN_COLUMNS.match(column):
            findings.append(f"{table}.{column}: a direct identifier column")
        elif dtype.upper() == "VARCHAR":
            text_columns.setdefault(table, []).append(column)
    for table, columns in text_columns.items():
        # one scan of the table counts both patterns in every text column
        counts = []
        for column in columns:
            c = f'"{column}"'
            # a length test first, as CASE so that DuckDB runs the regex (and the Python NHS
            # check) only on values of the right length: most values (codes, keys) leave at once
            counts += [
                (
                    f"count(*) filter (where case when length({c}) = 10 then case when "
                    f"regexp_full_match({c}, '[0-9]{{10}}') then wmin_nhs_valid({c}) end end)"
                ),
                (
                    f"count(*) filter (where case when length({c}) between 5 and 8 then "
                    f"regexp_full_match(upper({c}), '{FULL_POSTCODE}') end)"
                ),
            ]
        row = con.execute(f'select {", ".join(counts)} from "{catalog}".main."{table}"').fetchone()
        for i, column in enumerate(columns):
            nhs_like, postcodes = row[2 * i], row[2 * i + 1]
            if nhs_like:
                findings.append(f"{table}.{column}: {nhs_like} value(s) pass the NHS number check")
            if postcodes:
                findings.append(f"{table}.{column}: {postcodes} value(s) look like full postcodes")
    return findings


def _register_nhs_check(con: duckdb.DuckDBPyConnection) -> None:
    def valid(s: str | None) -> bool:
        if s is None or len(s) != 10 or not s.isdigit():
            return False
        total = sum(int(d) * w for d, w in zip(s[:9], range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        return check != 10 and check == int(s[9])

    con.create_function("wmin_nhs_valid", valid, ["VARCHAR"], "BOOLEAN", null_handling="special")


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
) -> PublishResult:
    """Copy `relations` (and `extra_tables`: name -> SQL over the restricted db) to a new file
    and swap it in atomically. Raises PublishError and leaves the old file in place on failure.
    `docs` (from `published_docs`) become the tables' and columns' comments.

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
    con = duckdb.connect(str(restricted_db))
    try:
        window = data_window_days if data_window_days is not None else data_window(con, as_of)
        con.execute(f"attach '{new_file.as_posix()}' as pub")
        _copy_tables(con, relations, extra_tables or {})
        con.execute(
            "create table pub.main.publish_info as select ?::timestamptz as published_at, "
            "?::date as as_of_date, ?::date as data_window_start, ?::date as data_window_end",
            [published_at, as_of, window[0], window[1]],
        )
        _write_comments(con, "pub", {**(docs or {}), "publish_info": PUBLISH_INFO_DOCS})
        _refuse_identifiers(con)
        result.tables.update(_row_counts(con))
        con.execute("checkpoint pub")
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
    os.replace(new_file, analytics_db)  # atomic on POSIX: readers see old or new, never half
    _fsync(analytics_db.parent)  # make the rename itself durable
    return result


def _copy_tables(
    con: duckdb.DuckDBPyConnection,
    relations: list[tuple[str, str, str]],
    extra_tables: dict[str, str],
) -> None:
    for schema, relation, name in relations:
        con.execute(f'create table pub.main."{name}" as select * from "{schema}"."{relation}"')
    for name, sql in extra_tables.items():
        con.execute(f'create table pub.main."{name}" as {sql}')


def _refuse_identifiers(con: duckdb.DuckDBPyConnection) -> None:
    """PublishError naming every identifier-like column found in the new file."""
    _register_nhs_check(con)
    findings = _identifier_findings(con, "pub")
    if findings:
        raise PublishError(
            "identifiers found in the analytics database, not published:\n  "
            + "\n  ".join(findings)
        )


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "select table_name from information_schema.tables where table_catalog='pub' order by 1"
    ).fetchall()
    return {
        name: con.execute(f'select count(*) from pub.main."{name}"').fetchone()[0]
        for (name,) in tables
    }


def _fsync(path: Path) -> None:
    """Flush a file or a directory entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
