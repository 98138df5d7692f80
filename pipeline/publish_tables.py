"""Each published table written into the new file by what changed since the last publish.

The new file is a copy of the previous one (or empty, without a usable record). For each table:
- kept: its content in the restricted database has the fingerprint the record holds
  (`publish_ledger.TableState`), so the copy already holds these rows, checked by the gate;
- changed rows: an incremental model (`row_keys`: its unique key) whose build appended rows
  since the last publish: the new file's rows with those rows' keys are replaced by them. dbt's
  delete+insert appends every row it writes, so they are among the rows past the start of the
  table's last row group at the last publish (`row_end`; the rest of that row group is
  replaced by itself). The result's fingerprint is worked out (the old fingerprint, less the
  replaced rows', plus the appended rows'). The leading row groups laid out on disk as at the
  last publish (`StorageLayout`) hold their rows as then, but for deletions, so only the rows
  past them are read: no row before them may have the key of a row past them, and the row
  count must add up. Without such a record the restricted table's fingerprint is read in full
  and must equal the worked-out one. Else (a full refresh, an edited row, a row deleted alone)
  it is copied whole;
- whole: any other table (new, changed, or first publish).
The identifier gate checks every row written (the appended rows, or the whole table).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import takewhile

import duckdb

from pipeline.identifier_gate import register_nhs_check, text_columns, value_findings
from pipeline.publish_ledger import TableState, columns_of, content_of

# past this share of a table's rows appended, copying it whole costs about as much
MOST_CHANGED_SHARE = 0.3
CHANGED = "wmin_publish_changed_rows"  # temporary table of a table's appended rows


@dataclass(frozen=True)
class StorageLayout:
    """Where a restricted table's rows lie: its row groups in order, each with its first rowid
    and a digest of its columns' segments (blocks, offsets, row counts, statistics), or None
    when one of them is not as a checkpoint wrote it. DuckDB writes a changed segment to new
    blocks (copy on write) and keeps an update or an appended row in memory until then; a
    deletion is marked beside the segments, which stay. So a row group with the digest it had
    holds the rows it held, less any deleted. The pipeline only appends, deletes and replaces
    tables; an UPDATE by hand is seen unless the row group is rewritten twice between publishes
    and lands on the blocks it had (DuckDB reuses freed blocks) with the same statistics."""

    starts: tuple[int, ...]
    digests: tuple[str | None, ...]
    end: int  # past the last row, deleted rows included

    @property
    def row_end(self) -> int:
        """The first rowid of the last row group. Rows appended later get rowids past it: a
        checkpoint that rewrites the last row group closes the gaps its deleted rows left, so
        rows appended after it can move down into it, never below its start."""
        return self.starts[-1] if self.starts else 0

    def recorded(self) -> tuple[str, ...]:
        """The digests of the row groups, up to the first without one."""
        return tuple(takewhile(lambda digest: digest is not None, self.digests))

    def unchanged_end(self, recorded: tuple[str, ...]) -> int:
        """Where the leading row groups that still have the `recorded` digests end: rows
        before it are as they were then, less any deleted; every other row lies past it."""
        same = 0
        while same < min(len(recorded), len(self.digests)) and (
            self.digests[same] == recorded[same]
        ):
            same += 1
        return self.starts[same] if same < len(self.starts) else self.end


def storage_layout(con: duckdb.DuckDBPyConnection, relation: tuple[str, str]) -> StorageLayout:
    """The table's row groups as `pragma_storage_info` lists them."""
    schema, table = relation
    rows = con.execute(
        "select row_group_id, column_id, column_path, segment_id, count, block_id, block_offset, "
        "additional_block_ids, stats::varchar, has_updates, persistent "
        f"from pragma_storage_info('{schema}.{table}') order by all"
    ).fetchall()
    groups: dict[int, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    starts, digests, start = [], [], 0
    for group in groups.values():
        starts.append(start)
        start += sum(r[4] for r in group if r[1] == 0 and r[2] == "[0]")
        checkpointed = all(r[10] and not r[9] for r in group)
        segments = repr([r[1:9] for r in group]).encode()
        digests.append(hashlib.sha256(segments).hexdigest()[:32] if checkpointed else None)
    return StorageLayout(tuple(starts), tuple(digests), start)


def _count(con: duckdb.DuckDBPyConnection, rows: str) -> int:
    """The row count of `rows` (a relation, optionally with its where clause)."""
    return int(con.execute(f"select count(*) from {rows}").fetchone()[0])


class TableWriter:
    """Writes tables into `catalog` (attached to `con`, the restricted database's connection)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: str,
        previous: Mapping[str, TableState],
        row_keys: Mapping[str, str],
    ) -> None:
        self.con, self.catalog = con, catalog
        self.previous, self.row_keys = previous, row_keys
        self.states: dict[str, TableState] = {}
        self.written: dict[str, str] = {}
        self.findings: list[str] = []
        self.existing = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = ?", [catalog]
            ).fetchall()
        }
        register_nhs_check(con)

    def _target(self, name: str) -> str:
        return f'{self.catalog}.main."{name}"'

    def write(self, name: str, sql: str, relation: tuple[str, str] | None) -> None:
        """Write table `name` from `sql` (its rows); `relation` (schema, name) when it is a
        table of the restricted database."""
        key = self.row_keys.get(name) if relation else None
        before = self.previous.get(name) if name in self.existing else None
        layout = storage_layout(self.con, relation) if key and relation else None
        if layout and before and before.layout is not None:
            # rows before unchanged_end are as at the last publish: only the rest are read
            start = layout.unchanged_end(before.layout)
            if self._changed_rows(name, relation, key, before, start, None, layout):
                return
        if before is not None and before.hash_sum is None:
            # published by its layout last time: the copy's rows give the fingerprint it lacks
            copied = content_of(self.con, f"select * from {self._target(name)}")
            before = replace(before, rows=copied[0], hash_sum=copied[1])
        now = TableState(columns_of(self.con, sql), *content_of(self.con, sql))
        if layout is not None:
            now = replace(now, row_end=layout.row_end, layout=layout.recorded())
        self.states[name] = now
        if now.same_content(before):
            self.written[name] = "kept"
        elif layout and before and before.row_end is not None:
            if not self._changed_rows(name, relation, key, before, before.row_end, now, layout):
                self._whole(name, sql)
        else:
            self._whole(name, sql)

    def _whole(self, name: str, sql: str) -> None:
        self.con.execute(f"drop table if exists {self._target(name)}")
        self.con.execute(f"create table {self._target(name)} as {sql}")
        self.findings += value_findings(
            self.con,
            name,
            f"select * from {self._target(name)}",
            text_columns(self.con, self.catalog, name),
        )
        self.written[name] = "whole"

    def _changed_rows(
        self,
        name: str,
        relation: tuple[str, str],
        key: str,
        before: TableState,
        start: int,
        now: TableState | None,
        layout: StorageLayout,
    ) -> bool:
        """Replace the rows of the keys of the rows from rowid `start` on (the rows appended
        since `before`, and some older ones); False (nothing written) when that would not give
        the restricted table's content: its fingerprint `now`, or, without it (the rows before
        `start` as at the last publish, less any deleted), when a row there has the key of a
        row past it (it was not replaced) or the row count does not add up (a row deleted
        alone)."""
        con, target = self.con, self._target(name)
        source = f'"{relation[0]}"."{relation[1]}"'
        columns = now.columns if now else columns_of(con, f"select * from {source}")
        if columns != before.columns:
            return False
        con.execute(
            f"create or replace temp table {CHANGED} as select * from {source} "
            f"where rowid >= {int(start)}"
        )
        try:
            rows_now = now.rows if now else _count(con, source)
            appended_rows = _count(con, CHANGED)
            if appended_rows > MOST_CHANGED_SHARE * max(rows_now, 1):
                return False
            # found by their keys first, then by rowid: a filter on the key alone would read
            # every column of every row before joining
            in_changed = (
                f'rowid in (select rowid from {target} where "{key}" in (select "{key}" from '
                f"{CHANGED}))"
            )
            if now is None:  # the older rows are as they were: counted, never read
                if self._older_rows_with_keys(source, key, start):
                    return False
                replaced_rows, hash_sum = _count(con, f"{target} where {in_changed}"), None
            else:
                replaced = content_of(con, f"select * from {target} where {in_changed}")
                appended = content_of(con, f"select * from {CHANGED}")
                replaced_rows = replaced[0]
                hash_sum = str(int(before.hash_sum) - int(replaced[1]) + int(appended[1]))
                if int(hash_sum) != int(now.hash_sum):
                    return False
            rows = before.rows - replaced_rows + appended_rows
            if rows != rows_now:
                return False
            self.states[name] = TableState(
                columns, rows, hash_sum, layout.row_end, layout.recorded()
            )
            if appended_rows == 0:  # nothing rebuilt since: the copy holds the rows
                self.written[name] = "kept"
                return True
            self.findings += value_findings(
                con, name, f"select * from {CHANGED}", text_columns(con, self.catalog, name)
            )
            con.execute(f"delete from {target} where {in_changed}")
            con.execute(f"insert into {target} select * from {CHANGED}")
            self.written[name] = "changed rows"
            return True
        finally:
            con.execute(f"drop table if exists {CHANGED}")

    def _older_rows_with_keys(self, source: str, key: str, row_end: int) -> bool:
        """Whether a row before `row_end` has the key of an appended row."""
        return (
            _count(
                self.con,
                f'{source} where rowid < {int(row_end)} and "{key}" in (select "{key}" from {CHANGED})',
            )
            > 0
        )

    def drop_others(self, keep: set[str]) -> None:
        """Drop the tables of the previous file that are not published now (publish_info too:
        it is written anew)."""
        for name in sorted(self.existing - keep):
            self.con.execute(f"drop table if exists {self._target(name)}")
