"""What the last publish wrote, so that the next one rewrites only what changed.

Beside the analytics file, publish records each published table's content as a fingerprint:
its columns and types, its row count and the sum of DuckDB's hash of every row (a change to any
value, or a row added or gone, changes the sum). The next publish starts from a copy of that file
and keeps every table whose fingerprint in the restricted database is still the same: its rows
are the ones the identifier gate passed then.

The record is trusted only while all of these hold, else publish writes a whole new file:
- the analytics file is the one publish renamed into place (inode, size, modification time)
  and has no write-ahead log beside it;
- the identifier gate's code (`identifier_gate.gate_version`) and DuckDB's version (its row
  hash) are those of the record;
- the file has few free blocks: rewritten rows leave space behind, and a new file every so
  often keeps it small.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from exports.atomic import write_atomically

# 2: a table may have a layout and no hash sum; code that knows only 1 ignores such a record
LEDGER_VERSION = 2
READABLE_VERSIONS = (1, 2)
# past this share of free blocks, the next publish writes a new file
MOST_FREE_SHARE = 0.25
ROW = "wmin_published_row"  # the alias a row is hashed under (no published column is named so)


@dataclass(frozen=True)
class TableState:
    """A published table's content: columns, rows and the sum of its rows' hashes (as text:
    a HUGEINT); `row_end`, for a table published by its changed rows, is the first rowid of
    the restricted table's last row group when it was published (rows appended since are
    past it); `layout`, the digests of its row groups in the restricted database (their
    segments' blocks): a row group with the same digest later holds the rows it held, deletions
    aside. A table published by its layout has no hash sum: its older rows were not read."""

    columns: tuple[tuple[str, str], ...]
    rows: int
    hash_sum: str | None  # None: not known (published by its layout, `publish_tables`)
    row_end: int | None = None
    layout: tuple[str, ...] | None = None

    def same_content(self, other: TableState | None) -> bool:
        """Same columns, rows and hash sum; a hash sum not known is never the same."""
        if other is None or self.hash_sum is None:
            return False
        mine, theirs = (self.columns, self.rows, self.hash_sum), (other.columns, other.rows)
        return mine == (*theirs, other.hash_sum)


@dataclass
class Ledger:
    gate_version: str
    duckdb_version: str
    tables: dict[str, TableState] = field(default_factory=dict)
    file: tuple[int, int, int] | None = None  # inode, size, mtime_ns of the published file
    compact_next: bool = False


def ledger_path(analytics_db: Path) -> Path:
    return analytics_db.with_name(analytics_db.name + ".published.json")


def file_signature(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def usable_ledger(analytics_db: Path, gate_version: str) -> Ledger | None:
    """The last publish's record, when the analytics file is still what it describes."""
    try:
        raw = json.loads(ledger_path(analytics_db).read_text(encoding="utf-8"))
        if raw.get("version") not in READABLE_VERSIONS:
            return None
        ledger = Ledger(
            raw["gate_version"],
            raw["duckdb_version"],
            {
                name: TableState(
                    tuple(tuple(c) for c in t["columns"]),
                    t["rows"],
                    t["hash_sum"],
                    t["row_end"],
                    tuple(t["layout"]) if t.get("layout") is not None else None,
                )
                for name, t in raw["tables"].items()
            },
            tuple(raw["file"]),
            bool(raw["compact_next"]),
        )
        wal = analytics_db.with_name(analytics_db.name + ".wal")
        if wal.exists() or file_signature(analytics_db) != ledger.file:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if ledger.compact_next:
        return None
    if (ledger.gate_version, ledger.duckdb_version) != (gate_version, duckdb.__version__):
        return None
    return ledger


def write_ledger(analytics_db: Path, ledger: Ledger) -> None:
    """Record the published file (call after its rename: the signature is of the final file)."""
    ledger.file = file_signature(analytics_db)
    raw = {"version": LEDGER_VERSION, **asdict(ledger)}
    text = json.dumps(raw, indent=1)
    write_atomically(ledger_path(analytics_db), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def forget_ledger(analytics_db: Path) -> None:
    """No record: the next publish writes a whole new file."""
    ledger_path(analytics_db).unlink(missing_ok=True)


def content_of(con: duckdb.DuckDBPyConnection, rows_sql: str) -> tuple[int, str]:
    """(row count, sum of the rows' hashes as text) of a query's rows."""
    rows, total = con.execute(
        f"select count(*), coalesce(sum(hash({ROW})), 0) from ({rows_sql}) as {ROW}"
    ).fetchone()
    return int(rows), str(total)


def columns_of(con: duckdb.DuckDBPyConnection, rows_sql: str) -> tuple[tuple[str, str], ...]:
    """The (name, type) of a query's columns."""
    return tuple((row[0], row[1]) for row in con.execute(f"describe ({rows_sql})").fetchall())


def mostly_free(con: duckdb.DuckDBPyConnection, catalog: str) -> bool:
    """Whether `catalog`'s file holds more free blocks than MOST_FREE_SHARE of its blocks."""
    row = con.execute(
        "select total_blocks, free_blocks from pragma_database_size() where database_name = ?",
        [catalog],
    ).fetchone()
    return row is not None and row[0] > 0 and row[1] > MOST_FREE_SHARE * row[0]
