"""Ingest throughput: rows/s per family reader and our wide-CSV ingest vs bare DuckDB read_csv.

    .venv/bin/python bench/ingest_bench.py [--quick] [--rows N] [--json PATH]
                                           [--night-home DIR [--night-start DATE]]

`wide_csv_ratio` = bare `read_csv` time / our read + insert time for the same file (target >= 0.5),
the best of five runs of each side (timeit's default repeat; `--repeats N`) after a first one
that is not counted (its ratio is printed too).
`--night-home` also times one nightly run at full scale: it generates `--night-start` plus three
days at scale 1.0 there (unless already generated), loads every night but the last, then times
the load of the last night's deliveries of all 15 trusts (target < 10 s).
`--night-on HOME` times the same on top of an ingested home (a network year: bench/run.py's
home): a copy of its restricted database with its last night taken out, the earlier files'
fingerprints cached as the previous night's run leaves them, then the night loaded again from
HOME's landing folder (HOME is not written).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ingest.memory import keep_freed_memory

keep_freed_memory()  # as `wmin ingest` and `wmin nightly` do, before pyarrow loads

from ingest.feeds.spec import load_spec
from ingest.loader import _insert_frame, _x, create_landing
from ingest.readers import read_file

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FIX = REPO / "tests" / "ingest" / "fixtures"


def make_wide(path: Path, rows: int) -> None:
    src = (FIX / "wide_csv" / "TWC_EXAMS_20241028_0200.csv").read_text().splitlines()
    header, body = src[0], src[1:]
    out = [header]
    for i in range(rows):
        line = body[i % len(body)]
        out.append(line.replace(f"W{i % len(body):04d}", f"A{i:09d}", 1))
    path.write_text("\n".join(out) + "\n")


def wide_ratio(tmp: Path, rows: int, repeats: int = 5) -> dict:
    """Bare DuckDB read_csv into a table vs our read + insert of the same file, each timed
    `repeats` times after a first run of the same file that is not counted.

    The ratio is of the best run of each side, as timeit advises: the other runs measure the
    machine more than the code. The first run's ratio is printed as well: after a warm-up on
    the small fixture, a process's first big file still pays for fresh memory pages, which the
    later files of a night mostly do not."""
    spec = load_spec(FIX / "specs" / "TWC.yml")
    f = tmp / "TWC_EXAMS_20241028_0200.csv"
    make_wide(f, rows)
    print(
        f"wide CSV: {rows} rows, {f.stat().st_size / 1e6:.1f} MB; best of {repeats} runs per side"
    )

    # both sides read the small fixture first, so that even the first run is not charged for
    # imports and compute kernels (~1 s of ours); it still pays for fresh memory
    warm = FIX / "wide_csv" / "TWC_EXAMS_20241028_0200.csv"
    read_file(warm, spec)
    with duckdb.connect(str(tmp / "warm.duckdb")) as con:
        _x(con, f"create table warm as select * from read_csv('{warm}', all_varchar=true)")
    # the sides take turns, each run into a new database file: a machine that slows down for
    # a while slows both
    bare_runs, ours_runs, read_runs, events = [], [], [], 0
    for i in range(repeats + 1):
        db = tmp / f"bare{i}.duckdb"
        with duckdb.connect(str(db)) as con:
            t = time.perf_counter()
            _x(con, f"create table t as select * from read_csv('{f}', all_varchar=true)")
            bare_runs.append(time.perf_counter() - t)
        db.unlink()

        db = tmp / f"ours{i}.duckdb"
        with duckdb.connect(str(db)) as con:
            create_landing(con)
            t = time.perf_counter()
            res = read_file(f, spec)
            t_read = time.perf_counter() - t
            _x(con, "begin transaction")
            for table, df in (("exam_records", res.exam_records), ("exam_events", res.exam_events)):
                _insert_frame(con, table, df, 1, None)
            _x(con, "commit")
            ours_runs.append(time.perf_counter() - t)
        read_runs.append(t_read)
        events = len(res.exam_events)
        db.unlink()
        del res
    bare = min(bare_runs[1:])
    best = min(range(1, repeats + 1), key=lambda i: ours_runs[i])
    ours, t_read = ours_runs[best], read_runs[best]
    print(
        f"bare duckdb read_csv -> table: {bare:.2f}s ({rows / bare:,.0f} rows/s); "
        f"runs {_runs(bare_runs)}"
    )
    print(
        f"ours read: {t_read:.2f}s; read + insert records and {events:,} events: {ours:.2f}s "
        f"({rows / ours:,.0f} rows/s); runs {_runs(ours_runs)}"
    )
    print(
        f"ratio ours/bare speed: {bare / ours:.2f}x (target >= 0.5); first run of each: "
        f"{bare_runs[0] / ours_runs[0]:.2f}x"
    )
    return {
        "wide_csv_rows": rows,
        "bare_read_csv_seconds": bare,
        "wide_csv_read_seconds": t_read,
        "wide_csv_seconds": ours,
        "wide_csv_ratio": bare / ours,
        "wide_csv_first_run_ratio": bare_runs[0] / ours_runs[0],
        "bare_runs_seconds": bare_runs,
        "wide_csv_runs_seconds": ours_runs,
    }


def _runs(seconds: list[float]) -> str:
    return f"first {seconds[0]:.2f} (not counted), then " + ", ".join(
        f"{s:.2f}" for s in seconds[1:]
    )


def family_rates(copies: int) -> dict:
    out = {}
    for code, content, path in (
        ("TEV", "exams", FIX / "event_csv/tev_events_202403070200.txt"),
        ("THL", "exams", FIX / "hl7v2/THL_20241028020000.hl7"),
        ("TXL", "exams", FIX / "excel/TXL_20240304-0200.xlsx"),
    ):
        sp = load_spec(FIX / "specs" / f"{code}.yml")
        data = path.read_bytes()
        if sp.family in ("event_csv",):
            lines = data.split(b"\n")
            data = (
                b"\n".join([lines[0]] + [line for line in lines[1:] if line.strip()] * (4 * copies))
                + b"\n"
            )
        elif sp.family == "hl7v2":
            data = data * copies
        t = time.perf_counter()
        r = read_file(path, sp, content, data=data)
        dt = time.perf_counter() - t
        print(
            f"{sp.family:10s} {r.rows_read:>9,} rows in {dt:.2f}s = {r.rows_read / dt:,.0f} rows/s"
        )
        out[sp.family] = {"rows": r.rows_read, "seconds": dt, "rows_per_second": r.rows_read / dt}
    return out


def nightly(home: Path, start: date, scale: float) -> dict:
    """Time the load of the last night's deliveries of every trust, earlier nights loaded first."""
    from ingest.feeds.spec import load_all_specs
    from ingest.loader import discover, ingest_landing
    from ingest.synth.generate import generate_network
    from ingest.synth.network import SYNTHETIC_FEEDS_DIR, default_seeds_dir

    end = start + timedelta(days=3)
    if not (home / "truth" / "exams.parquet").exists():
        t = time.perf_counter()
        generate_network(home, start, end, scale=scale, seed=42)
        print(f"generated {start}..{end} at scale {scale} in {time.perf_counter() - t:.0f}s")
    specs = load_all_specs(SYNTHETIC_FEEDS_DIR)
    found = [(code, f[0], f[2]) for code, sp in specs.items() for f in discover(home, sp) if f[0]]
    last = max(at for _, at, _ in found)
    night = last.date()
    staged = home.parent / f"{home.name}_staged"
    shutil.rmtree(staged, ignore_errors=True)
    for code, at, path in found:  # earlier nights stay; the last night is held back
        if at.date() < night:
            dst = staged / "landing" / code / path.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(path)
    db = staged / "restricted.duckdb"
    key, seeds = b"bench-key-" * 4, default_seeds_dir()
    ingest_landing(db, staged, specs, key, seeds_dir=seeds)
    for code, at, path in found:
        if at.date() == night:
            dst = staged / "landing" / code / path.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(path)
    t = time.perf_counter()
    summary = ingest_landing(db, staged, specs, key, seeds_dir=seeds)
    secs = time.perf_counter() - t
    tot = summary.totals
    print(
        f"nightly ingest at scale {scale}, night of {night}: {tot.loaded} files, {tot.rows_read:,} rows "
        f"from {len(summary.trusts)} trusts in {secs:.2f}s (target < 10 s)"
    )
    return {
        "night_scale": scale,
        "night_files": tot.loaded,
        "night_rows": tot.rows_read,
        "night_trusts": len(summary.trusts),
        "night_seconds": secs,
    }


def night_on(home: Path, work: Path) -> dict:
    """The last night of an ingested home loaded again on a copy of its restricted database."""
    from bench.build_bench import _landing_tables, last_extract_date
    from ingest.feeds.spec import load_all_specs
    from ingest.loader import _Fingerprints, _rel, create_landing, ingest_landing
    from ingest.synth.network import SYNTHETIC_FEEDS_DIR, default_seeds_dir
    from pipeline.settings import DEMO_PSEUDONYM_KEY

    db = work / "restricted.duckdb"
    shutil.copyfile(home / "warehouse" / "restricted.duckdb", db)
    with duckdb.connect(str(db)) as con:
        create_landing(con)  # a home ingested before the fingerprint cache existed gets it
        night = last_extract_date(con)
        night_files = "select file_id from landing.load_manifest where cast(extract_at as date) = ?"
        night_paths = {
            r[0]
            for r in con.execute(
                "select file_path from landing.load_manifest where cast(extract_at as date) = ?",
                [night],
            ).fetchall()
        }
        for t in _landing_tables(con):
            con.execute(f"delete from landing.{t} where file_id in ({night_files})", [night])
        # the previous night's run leaves every earlier file's fingerprint cached; not the night's
        con.execute("delete from landing.file_fingerprints")
        prints = _Fingerprints(con)
        for f in sorted((home / "landing").rglob("*")):
            rel = _rel(f, home)
            if f.is_file() and rel not in night_paths:
                prints.sha256(f, rel)
        prints.save(con)
        con.execute("checkpoint")
    t = time.perf_counter()
    summary = ingest_landing(
        db,
        home,
        load_all_specs(SYNTHETIC_FEEDS_DIR),
        DEMO_PSEUDONYM_KEY.encode(),
        seeds_dir=default_seeds_dir(),
    )
    secs = time.perf_counter() - t
    tot = summary.totals
    print(
        f"night {night} on top of {home}: {tot.loaded} files, {tot.rows_read:,} rows from "
        f"{len(summary.trusts)} trusts in {secs:.2f}s (target < 10 s)"
    )
    return {
        "night_on_home": str(home),
        "night": night.isoformat(),
        "night_files": tot.loaded,
        "night_rows": tot.rows_read,
        "night_trusts": len(summary.trusts),
        "night_seconds": secs,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--rows", type=int, default=None, help="wide CSV rows (default 500000, quick 50000)"
    )
    ap.add_argument("--quick", action="store_true", help="a small version (< 30 s)")
    ap.add_argument(
        "--repeats", type=int, default=5, help="timed runs per side of the wide-CSV ratio"
    )
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    ap.add_argument(
        "--night-home", type=Path, help="also time one full-scale night (generates there)"
    )
    ap.add_argument("--night-start", type=date.fromisoformat, default=date(2024, 3, 4))
    ap.add_argument("--night-scale", type=float, default=1.0)
    ap.add_argument("--night-on", type=Path, help="time the last night of this ingested home")
    a = ap.parse_args()
    if a.night_on:
        with tempfile.TemporaryDirectory(prefix="ingest_night_") as work:
            figures = night_on(a.night_on, Path(work))
        if a.json:
            a.json.write_text(json.dumps(figures, indent=2))
        return
    rows = a.rows or (50_000 if a.quick else 500_000)
    tmp = Path(tempfile.mkdtemp(prefix="ingest_bench_"))
    try:
        figures = wide_ratio(tmp, rows, a.repeats)
        figures["families"] = family_rates(500 if a.quick else 5_000)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.night_home:
        figures.update(nightly(a.night_home, a.night_start, a.night_scale))
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
