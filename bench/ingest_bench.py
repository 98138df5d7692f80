"""Ingest throughput: rows/s per family reader and our wide-CSV ingest vs bare DuckDB read_csv.

    .venv/bin/python bench/ingest_bench.py [--rows 500000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from ingest.feeds.spec import load_spec
from ingest.readers import read_file
from ingest.loader import _insert_frame, create_landing, _x

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "ingest" / "fixtures"


def make_wide(path: Path, rows: int) -> None:
    src = (FIX / "wide_csv" / "TWC_EXAMS_20241028_0200.csv").read_text().splitlines()
    header, body = src[0], src[1:]
    out = [header]
    for i in range(rows):
        line = body[i % len(body)]
        out.append(line.replace(f"W{i % len(body):04d}", f"A{i:09d}", 1))
    path.write_text("\n".join(out) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=500_000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ingest_bench_"))
    spec = load_spec(FIX / "specs" / "TWC.yml")
    f = tmp / "TWC_EXAMS_20241028_0200.csv"
    make_wide(f, a.rows)
    print(f"wide CSV: {a.rows} rows, {f.stat().st_size / 1e6:.1f} MB")

    con = duckdb.connect(str(tmp / "bare.duckdb"))
    t = time.perf_counter()
    _x(con, f"create table t as select * from read_csv('{f}', all_varchar=true)")
    bare = time.perf_counter() - t
    con.close()

    con = duckdb.connect(str(tmp / "ours.duckdb"))
    create_landing(con)
    t = time.perf_counter()
    res = read_file(f, spec)
    t_read = time.perf_counter() - t
    _x(con, "begin transaction")
    for table, df in (("exam_records", res.exam_records), ("exam_events", res.exam_events)):
        _insert_frame(con, table, df, 1, None)
    _x(con, "commit")
    ours = time.perf_counter() - t
    con.close()
    print(f"bare duckdb read_csv -> table: {bare:.2f}s ({a.rows / bare:,.0f} rows/s)")
    print(f"ours read: {t_read:.2f}s; read + insert records and {len(res.exam_events):,} events: {ours:.2f}s "
          f"({a.rows / ours:,.0f} rows/s)")
    print(f"ratio ours/bare speed: {bare / ours:.2f}x (target >= 0.5)")

    for code, content, path in (("TEV", "exams", FIX / "event_csv/tev_events_202403070200.txt"),
                                ("THL", "exams", FIX / "hl7v2/THL_20241028020000.hl7"),
                                ("TXL", "exams", FIX / "excel/TXL_20240304-0200.xlsx")):
        sp = load_spec(FIX / "specs" / f"{code}.yml")
        data = path.read_bytes()
        if sp.family in ("event_csv",):
            lines = data.split(b"\n")
            data = b"\n".join([lines[0]] + [l for l in lines[1:] if l.strip()] * 20_000) + b"\n"
        elif sp.family == "hl7v2":
            data = data * 5_000
        t = time.perf_counter()
        r = read_file(path, sp, content, data=data)
        dt = time.perf_counter() - t
        print(f"{sp.family:10s} {r.rows_read:>9,} rows in {dt:.2f}s = {r.rows_read / dt:,.0f} rows/s")


if __name__ == "__main__":
    main()
