"""Files of the published marts for Excel and Power BI: `<out_dir>/<table>.parquet` and `.csv`.

Reads only the published database (opened read-only). Every published table is extracted except
the row-level ones, which carry a row per exam or patient (`exam_key`, `patient_key`):
pseudonymised rows are still personal data and stay inside the analytics database, where the
boundary's controls are. A file leaves that boundary as easily as an e-mail, so trust-level
figures are protected by each mart's small-number rule (`reporting.disclosure.suppress_mart`,
the rule the app and the board pack show); NETWORK rows are exact, as everywhere.

- Parquet (Power BI) keeps the columns typed: a protected count is a whole number rounded to 5,
  and a protected cell is empty (null).
- CSV (Excel) is UTF-8 with a byte-order mark, so Excel reads names such as `Ysbyty` or `£` right;
  a protected cell is `*`, as in the board pack.
- Times are UK local wall-clock time without an offset (Europe/London, the convention of
  `wmin sql`): neither Excel nor Power BI keeps a time zone with a value.

Each file is written beside its final name and renamed over it, so a reader opening it sees
the previous night's file or this night's, never half of one. Files of tables no longer
published are removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from exports.atomic import write_atomically
from reporting.disclosure import MART_RULES, suppress_mart
from reporting.maturity import LONDON

ROW_LEVEL_KEYS = ("exam_key", "patient_key")
FORMATS = (".parquet", ".csv")


@dataclass
class ExtractsResult:
    out_dir: Path
    tables: dict[str, int] = field(default_factory=dict)  # extracted table -> rows
    kept_inside: list[str] = field(default_factory=list)  # row-level tables, not extracted

    def __str__(self) -> str:
        return (
            f"{len(self.tables)} tables extracted to {self.out_dir} (Parquet and CSV); "
            f"kept inside the database: {', '.join(self.kept_inside) or 'none'}"
        )


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Each published table's column names, in order."""
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' "
        "order by table_name, column_index"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def _local_times(table: pa.Table) -> tuple[pd.DataFrame, pa.Schema]:
    """The table as a frame with dates kept as dates and time-zoned times as naive local
    times, and the Arrow schema it goes back to."""
    fields = []
    for f in table.schema:
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            f = f.with_type(pa.timestamp(f.type.unit))
        fields.append(f)
    frame = table.to_pandas(date_as_object=True)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert(LONDON.key).dt.tz_localize(None)
    return frame, pa.schema(fields)


def _protected_schema(name: str, schema: pa.Schema) -> pa.Schema:
    """Protected counts stay whole numbers (nullable); other protected cells become floats."""
    rule = MART_RULES.get(name)
    if rule is None:
        return schema
    counts = set(rule.counts)
    protected = counts | set(rule.statistics) | set(rule.percentages)
    return pa.schema(
        [
            f.with_type(pa.int64() if f.name in counts else pa.float64())
            if f.name in protected
            else f
            for f in schema
        ]
    )


def write_extracts(analytics_db: Path, out_dir: Path) -> ExtractsResult:
    """Write the Parquet and CSV extracts of every published table that is not row-level."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ExtractsResult(out_dir=out_dir)
    with duckdb.connect(str(analytics_db), read_only=True) as con:
        for name, columns in _tables(con).items():
            if set(ROW_LEVEL_KEYS) & set(columns):
                result.kept_inside.append(name)
                continue
            frame, schema = _local_times(con.sql(f'select * from "{name}"').to_arrow_table())
            for_power_bi = suppress_mart(name, frame, numeric=True)
            parquet = pa.Table.from_pandas(
                for_power_bi, schema=_protected_schema(name, schema), preserve_index=False
            )
            write_atomically(
                out_dir / f"{name}.parquet", lambda tmp, t=parquet: pq.write_table(t, tmp)
            )
            for_excel = suppress_mart(name, frame, numeric=False)
            write_atomically(
                out_dir / f"{name}.csv",
                lambda tmp, f=for_excel: f.to_csv(tmp, index=False, encoding="utf-8-sig"),
            )
            result.tables[name] = len(frame)
    for old in out_dir.iterdir():
        if old.suffix in FORMATS and old.stem not in result.tables:
            old.unlink()  # a table no longer published, or now kept inside
    return result
