"""Landing as Parquet: every table of schema `landing` of the restricted database, written as
Parquet files under the home so that Spark, or any engine, can read the landing contract
(docs/spark.md, "Landing as Parquet").

Layout (version 1), under `warehouse/landing_parquet/` (identifiable, like the restricted
database beside it):

    _layout.json                      layout version, when and from what, each table's columns,
                                      types (DuckDB names), rows and partition columns
    exam_records/trust_code=RRK/data_0.parquet
    exam_events/trust_code=RRK/...    the row tables, one folder a trust (Hive-style)
    capacity_slots/trust_code=RRK/...
    load_manifest/data_0.parquet      the small tables, one file each
    rejected_rows/data_0.parquet
    quarantined_files/data_0.parquet

The row tables are partitioned by trust because a trust is the unit of delivery and of data
sharing: one trust's rows are one folder to read, re-send or delete, and a network's year (a
few million rows a trust and table) stays a handful of files per folder. Not by month: every
Spark build is a full refresh of all months, so a month folder would only multiply small files.

The export is a full snapshot: written beside the old one, then swapped in by renames, so a
reader sees the old layout or the new one, and running it twice on the same landing writes the
same rows in the same order.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LAYOUT_VERSION = 1
LAYOUT_FILE = "_layout.json"
LANDING_SCHEMA = "landing"
# the row tables of the landing contract, partitioned by trust (ingest/contract.py)
PARTITIONED_BY_TRUST = ("exam_records", "exam_events", "capacity_slots")
PARTITION_COLUMN = "trust_code"
# each file's rows in the order they were loaded, so that the same landing writes the same files
_ROW_ORDER = {
    "exam_records": "file_id, source_line",
    "exam_events": "file_id, source_line, event",
    "capacity_slots": "file_id, source_line",
    "load_manifest": "file_id",
    "rejected_rows": "file_id, line",
    "quarantined_files": "file_id",
}


@dataclass(frozen=True)
class ExportedTable:
    name: str
    rows: int
    columns: dict[str, str]  # name -> DuckDB type, in table order
    partitioned_by: tuple[str, ...]


def landing_parquet_dir(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / "landing_parquet"


def _landing_tables(con) -> dict[str, dict[str, str]]:
    """The landing contract's tables (ingest.loader.TABLES) with their columns as the database
    has them; the loader's own bookkeeping (file fingerprints, the key's fingerprint,
    validation results) stays behind."""
    from ingest.loader import TABLES

    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = ? order by table_name, ordinal_position",
        [LANDING_SCHEMA],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        if table in TABLES:
            tables.setdefault(table, {})[column] = dtype
    return tables


def _copy_table(con, table: str, columns: dict[str, str], folder: Path) -> ExportedTable:
    order = _ROW_ORDER.get(table) or ", ".join(f'"{c}"' for c in columns)
    query = f'select * from {LANDING_SCHEMA}."{table}" order by {order}'
    partitioned = table in PARTITIONED_BY_TRUST and PARTITION_COLUMN in columns
    out = folder / table
    if partitioned:
        con.execute(
            f"copy ({query}) to '{out}' (format parquet, partition_by ({PARTITION_COLUMN}),"
            " compression zstd, write_partition_columns false)"
        )
    else:
        out.mkdir()
        con.execute(
            f"copy ({query}) to '{out / 'data_0.parquet'}' (format parquet, compression zstd)"
        )
    rows = con.execute(f'select count(*) from {LANDING_SCHEMA}."{table}"').fetchone()[0]
    return ExportedTable(table, int(rows), columns, (PARTITION_COLUMN,) if partitioned else ())


def _layout(tables: list[ExportedTable], source: Path) -> dict:
    return {
        "layout_version": LAYOUT_VERSION,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": f"{source.name}, schema {LANDING_SCHEMA}",
        "tables": {
            t.name: {
                "rows": t.rows,
                "partitioned_by": list(t.partitioned_by),
                "columns": t.columns,
            }
            for t in tables
        },
    }


def _swap_in(new: Path, final: Path) -> None:
    """Replace `final` by `new` with renames: the old folder is moved aside first and removed
    only once the new one is in place."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def recover_interrupted(final: Path) -> None:
    """An export killed between its two renames left the old snapshot aside: put it back."""
    old = final.with_name(final.name + ".old")
    if not final.exists() and old.exists():
        old.rename(final)


def export_landing(restricted_db: Path, warehouse_dir: Path) -> tuple[Path, list[ExportedTable]]:
    """Write every landing table of `restricted_db` as Parquet (layout above); the folder and
    the tables written."""
    import duckdb

    from exports.private_files import private_dir

    final = landing_parquet_dir(warehouse_dir)
    recover_interrupted(final)
    new = final.with_name(final.name + ".new")
    shutil.rmtree(new, ignore_errors=True)
    private_dir(new)  # the rows carry identifiers: the folder is the owner's only
    con = duckdb.connect(str(restricted_db), read_only=True)
    try:
        tables = [
            _copy_table(con, name, columns, new)
            for name, columns in sorted(_landing_tables(con).items())
        ]
    finally:
        con.close()
    (new / LAYOUT_FILE).write_text(json.dumps(_layout(tables, Path(restricted_db)), indent=2))
    _swap_in(new, final)
    return final, tables


def read_layout(folder: Path) -> dict:
    """The layout file of an export; ValueError when missing or of another version."""
    path = Path(folder) / LAYOUT_FILE
    if not path.exists():
        raise ValueError(f"no landing Parquet at {folder}: run `wmin landing export` first")
    layout = json.loads(path.read_text())
    if layout.get("layout_version") != LAYOUT_VERSION:
        raise ValueError(
            f"{path}: layout version {layout.get('layout_version')}, this wmin reads"
            f" {LAYOUT_VERSION}: run `wmin landing export` again"
        )
    return layout
