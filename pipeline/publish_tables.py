"""Each published table written into the new file by what changed since the last publish.

The new file is a copy of the previous one (or empty, without a usable record). For each table:
- kept: its content in the restricted database has the fingerprint the record holds
  (`publish_ledger.TableState`), so the copy already holds these rows, checked by the gate;
- changed rows: an incremental model (`row_keys`: its unique key) whose build appended rows
  since the last publish: the new file's rows with those rows' keys are replaced by them. dbt's
  delete+insert appends every row it writes, so they are among the rows past the start of the
  table's last row group at the last publish (`row_end`; the rest of that row group is
  replaced by itself). Before anything is written, the result's fingerprint is worked out
  (the old fingerprint, less the replaced rows', plus the appended rows') and must equal the
  restricted table's: else (a full refresh, an edited row, a row deleted alone) it is copied
  whole;
- whole: any other table (new, changed, or first publish).
The identifier gate checks every row written (the appended rows, or the whole table).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from pipeline.identifier_gate import register_nhs_check, text_columns, value_findings
from pipeline.publish_ledger import TableState, columns_of, content_of

# past this share of a table's rows appended, copying it whole costs about as much
MOST_CHANGED_SHARE = 0.3
CHANGED = "wmin_publish_changed_rows"  # temporary table of a table's appended rows


def _last_row_group_start(con: duckdb.DuckDBPyConnection, relation: tuple[str, str]) -> int:
    """The first rowid of the table's last row group. Rows appended later get rowids past it:
    DuckDB numbers a table's rows by position, and a checkpoint that rewrites the last row
    group (rows appended to it) closes the gaps its deleted rows left there, so rows appended
    after it can move down into it, never below its start."""
    schema, table = relation
    end, last_rows = con.execute(
        f"select coalesce(max(rowid), -1) + 1, (select max(start + count) from "
        f"pragma_storage_info('{schema}.{table}') where column_path = '[0]' and row_group_id = "
        f"(select max(row_group_id) from pragma_storage_info('{schema}.{table}'))) "
        f'from "{schema}"."{table}"'
    ).fetchone()
    return max(0, int(end) - int(last_rows or 0))


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
        row_end = _last_row_group_start(self.con, relation) if key is not None else None
        now = TableState(columns_of(self.con, sql), *content_of(self.con, sql), row_end=row_end)
        before = self.previous.get(name) if name in self.existing else None
        self.states[name] = now
        if now.same_content(before):
            self.written[name] = "kept"
        elif key and before and before.row_end is not None and now.columns == before.columns:
            if self._changed_rows(name, relation, key, before, now):
                self.written[name] = "changed rows"
            else:
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
        now: TableState,
    ) -> bool:
        """Replace the rows of the keys appended since `before`; False (nothing written) when
        that would not give the restricted table's content `now`."""
        con, target = self.con, self._target(name)
        con.execute(
            f"create or replace temp table {CHANGED} as select * from "
            f'"{relation[0]}"."{relation[1]}" where rowid >= {int(before.row_end)}'
        )
        try:
            appended = content_of(con, f"select * from {CHANGED}")
            if appended[0] > MOST_CHANGED_SHARE * max(now.rows, 1):
                return False
            replaced = content_of(
                con, f'select * from {target} where "{key}" in (select "{key}" from {CHANGED})'
            )
            rows = before.rows - replaced[0] + appended[0]
            hash_sum = int(before.hash_sum) - int(replaced[1]) + int(appended[1])
            if (rows, hash_sum) != (now.rows, int(now.hash_sum)):
                return False
            self.findings += value_findings(
                con, name, f"select * from {CHANGED}", text_columns(con, self.catalog, name)
            )
            con.execute(f'delete from {target} where "{key}" in (select "{key}" from {CHANGED})')
            con.execute(f"insert into {target} select * from {CHANGED}")
            return True
        finally:
            con.execute(f"drop table if exists {CHANGED}")

    def drop_others(self, keep: set[str]) -> None:
        """Drop the tables of the previous file that are not published now (publish_info too:
        it is written anew)."""
        for name in sorted(self.existing - keep):
            self.con.execute(f"drop table if exists {self._target(name)}")
