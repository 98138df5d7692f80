"""The slowest queries on the published marts: what a planner or a page runs, timed warm.

    .venv/bin/python bench/mart_query_bench.py path/to/analytics.duckdb [--runs 5] [--json PATH]

For every published table: the whole table into pandas, one trust's rows, and a monthly or
daily aggregate where the table has such a column. Read-only, as planners connect.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb

PERIOD_COLUMNS = ("month", "week_start", "census_date", "activity_date", "date")
# Nobody pulls a per-exam table whole into memory: above this size only filtered queries run.
WHOLE_TABLE_MAX_ROWS = 500_000


def queries_for(con: duckdb.DuckDBPyConnection, table: str, rows: int) -> dict[str, str]:
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_name = ?", [table]
        ).fetchall()
    ]
    out = {"whole table": f'select * from "{table}"'} if rows <= WHOLE_TABLE_MAX_ROWS else {}
    if "trust_code" in columns:
        trust = con.execute(f'select min(trust_code) from "{table}"').fetchone()[0]
        if trust is not None:
            out["one trust"] = f"""select * from "{table}" where trust_code = '{trust}'"""
    period = next((c for c in PERIOD_COLUMNS if c in columns), None)
    if period:
        out[f"count by {period}"] = (
            f'select "{period}", count(*) as n from "{table}" group by 1 order by 1'
        )
    return out


def time_query(con: duckdb.DuckDBPyConnection, sql: str, runs: int) -> list[float]:
    con.execute(sql).df()  # warm: the page cache and DuckDB's buffers
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        con.execute(sql).df()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    if not a.db.exists():
        print(f"error: {a.db} does not exist; run the nightly pipeline first", file=sys.stderr)
        return 2
    rows = []
    with duckdb.connect(str(a.db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables order by 1"
            ).fetchall()
        ]
        for table in tables:
            n = con.execute(f'select count(*) from "{table}"').fetchone()[0]
            for label, sql in queries_for(con, table, n).items():
                times = time_query(con, sql, a.runs)
                rows.append(
                    {
                        "name": f"{table}: {label}",
                        "table_rows": n,
                        "median_ms": round(statistics.median(times), 2),
                        "max_ms": round(max(times), 2),
                    }
                )
    rows.sort(key=lambda r: r["median_ms"], reverse=True)
    for r in rows[: a.top]:
        print(f"{r['median_ms']:9.1f} ms  {r['table_rows']:>10,} rows  {r['name']}")
    result = {
        "tables": len(tables),
        "slowest_median_ms": rows[0]["median_ms"] if rows else 0,
        "slowest": rows[: a.top],
    }
    if a.json:
        a.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
