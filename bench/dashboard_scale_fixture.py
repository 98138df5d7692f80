"""A full-scale published database for the dashboard benchmark, made from a small one.

    .venv/bin/python bench/dashboard_scale_fixture.py SMALL.duckdb BIG.duckdb [--months 13]
        [--exams-per-year 5000000]

Mart rows grow with months and with the cells a trust fills (modality x priority, ...), not with
exams; fct_exams grows with exams. So, in a copy of SMALL (which is never written):
1. every grid mart gets every combination of its categories for each period and trust (a
   missing cell borrows the measures of one of that trust's cells: a demo-scale network leaves
   many cells empty, a full-scale one fills nearly all);
2. every dated table is repeated further back in time, one block per span of the original,
   until it covers --months (dates shifted, month ends kept as month ends);
3. fct_exams is repeated within each block until it holds --exams-per-year a year.
The figures are not meaningful; the shapes and row counts are those of a network year.
Bench only: the published database the pipeline builds is never touched.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

import duckdb

# table: (time column, unit of the time column, category columns filled to a full grid)
DATED = {
    "tat_monthly": ("month", "month", ("modality", "priority")),
    "did_activity_monthly": ("month", "month", ("modality", "patient_source_setting")),
    "dm01_activity_monthly": ("month", "month", ("dm01_test",)),
    "dq_scorecard_monthly": ("month", "month", ()),
    "waiting_list_census": ("census_date", "month_end", ("dm01_test",)),
    "waiting_list_bands": ("census_date", "month_end", ("dm01_test", "weeks_band")),
    "reporting_backlog": ("as_of_date", "day", ("modality",)),
    "reporting_throughput_weekly": ("week", "week", ("modality",)),
    "scanner_utilisation_daily": ("date", "day", ()),
    "feed_health_daily": ("date", "day", ()),
    "fct_exams": ("test_date", "day", ()),
}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = ? order by ordinal_position",
        [table],
    ).fetchall()


def fill_grid(
    con: duckdb.DuckDBPyConnection, table: str, time_col: str, cats: tuple[str, ...]
) -> None:
    """Add the missing category combinations of each (time, trust), measures borrowed."""
    if not cats:
        return
    keys = [time_col, "trust_code"]
    grid_cols = ", ".join(keys + list(cats))
    cat_list = ", ".join(cats)
    measures = [c for c, _ in columns(con, table) if c not in keys and c not in cats]
    borrowed = ", ".join(f"src.{c}" for c in measures)
    con.execute(f"""
        insert into {table} ({grid_cols}{", " if measures else ""}{", ".join(measures)})
        with cells as (select distinct {cat_list} from {table}),
             periods as (select distinct {", ".join(keys)} from {table}),
             missing as (select * from periods, cells
                         except select {grid_cols} from {table}),
             src as (select *, row_number() over (partition by {", ".join(keys)} order by {cat_list}) - 1 as i,
                               count(*) over (partition by {", ".join(keys)}) as n
                     from {table})
        select {", ".join("m." + c for c in keys + list(cats))}{", " if measures else ""}{borrowed}
        from missing m join src on src.{time_col} = m.{time_col} and src.trust_code = m.trust_code
         and src.i = hash({", ".join("m." + c for c in cats)}) % src.n""")


def shifted(
    con: duckdb.DuckDBPyConnection, table: str, time_col: str, unit: str, k: int, span: int
) -> str:
    """SELECT of the table's rows moved k blocks back (every date and timestamp column)."""
    parts = []
    for name, dtype in columns(con, table):
        if dtype == "DATE" or dtype.startswith("TIMESTAMP"):
            cast = "date" if dtype == "DATE" else dtype.lower()
            if unit in ("month", "month_end"):
                moved = f"({name} - interval {k * span} month)"
                if unit == "month_end" and name == time_col:
                    moved = (
                        f"case when {name} = last_day({name}) then last_day({moved}) "
                        f"else {moved} end"
                    )
            else:
                moved = f"({name} - interval {k * span} day)"
            parts.append(f"({moved})::{cast} as {name}")
        else:
            parts.append(name)
    return f"select {', '.join(parts)} from {table}_block"


def span_of(con: duckdb.DuckDBPyConnection, table: str, time_col: str, unit: str) -> int:
    lo, hi = con.execute(f"select min({time_col}), max({time_col}) from {table}").fetchone()
    if unit in ("month", "month_end"):
        return (hi.year * 12 + hi.month) - (lo.year * 12 + lo.month) + 1
    days = (hi - lo).days + 1
    return math.ceil(days / 7) * 7 if unit == "week" else days


def blocks_needed(span: int, unit: str, months: int) -> int:
    per_block_months = span if unit in ("month", "month_end") else span / 30.44
    return max(1, math.ceil(months / per_block_months))


def build(small: Path, big: Path, months: int, exams_per_year: int) -> None:
    shutil.copyfile(small, big)
    with duckdb.connect(str(big)) as con:
        present = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        for table, (time_col, unit, cats) in DATED.items():
            if table not in present:
                continue
            fill_grid(con, table, time_col, cats)
            span = span_of(con, table, time_col, unit)
            blocks = blocks_needed(span, unit, months)
            con.execute(f"create temp table {table}_block as select * from {table}")
            for k in range(1, blocks):
                con.execute(f"insert into {table} {shifted(con, table, time_col, unit, k, span)}")
            con.execute(f"drop table {table}_block")
        if "fct_exams" in present:
            have = con.execute("select count(*) from fct_exams").fetchone()[0]
            days = con.execute(
                "select max(test_date) - min(test_date) + 1 from fct_exams"
            ).fetchone()[0]
            copies = max(1, round(exams_per_year * days / 365 / have))
            if copies > 1:
                cols = [c for c, _ in columns(con, "fct_exams")]
                select = ", ".join(
                    "exam_key || '#' || copy::varchar as exam_key" if c == "exam_key" else c
                    for c in cols
                )
                con.execute(
                    f"insert into fct_exams select {select} from fct_exams, "
                    f"range(1, {copies}) as copies(copy)"
                )
        con.execute("checkpoint")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("small", type=Path)
    ap.add_argument("big", type=Path)
    ap.add_argument("--months", type=int, default=13)
    ap.add_argument("--exams-per-year", type=int, default=5_000_000)
    a = ap.parse_args()
    if a.big.resolve() == a.small.resolve():
        print("error: BIG must be a new file, SMALL is never written", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    build(a.small, a.big, a.months, a.exams_per_year)
    with duckdb.connect(str(a.big), read_only=True) as con:
        for table in DATED:
            try:
                n, lo, hi = con.execute(
                    f"select count(*), min({DATED[table][0]}), max({DATED[table][0]}) from {table}"
                ).fetchone()
            except duckdb.CatalogException:
                continue
            print(f"{table:<28} {n:>10,} rows  {lo} .. {hi}")
    print(f"{a.big} ({a.big.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
