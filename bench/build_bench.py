"""Full build vs one night's incremental build, on a copy of a home's ingested landing.

    .venv/bin/python bench/build_bench.py --home HOME [--json PATH] [--verify] [--quick]

The home's restricted database is copied (the home is never written). One night is simulated
without re-reading files: the deliveries of the last extract date are moved out of landing,
the rest is built from scratch (--full-refresh, as of the day before), then that night's
deliveries are put back as the newest files, as the loader would number them, and the build
runs incrementally as of the last extract date. `--verify` then rebuilds a copy of the result
with --full-refresh and compares every table of the marts schema, row for row. `--quick` keeps
only the last two weeks of deliveries and skips the run without unit tests, for a demo-sized
run; `--multiply N` copies the landing N times over (as other exams) to measure a larger
network without generating and ingesting it. `--save-night DIR` keeps the database as it stands
just before the night's incremental build (and the full build's figures) in DIR;
`--from-night DIR` starts from there, so an incremental build can be studied again in minutes
(`--repeats N`: N builds of the night, each on a fresh copy; the median is the figure).

Prints the seconds of the builds, the ratio, seconds per node kind and the slowest nodes of
each (dbt run_results). Without --quick the night is also built without dbt's unit tests (on a
copy): they check code on fixed inputs, a fixed cost that does not depend on the data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

# The nightly's build runs in a process whose ingest step has imported pandas (ingest/loader.py);
# the Python model int_scheduling_offer_allocation imports it too. Imported here, before any
# build is timed, so the bench's nights do not pay an import the nightly's never does.
import pandas as pd  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pipeline.build import parse_project, run_build

# Landing tables keyed by the loader's file_id (one sequence for every file it reads).
FILE_TABLES = (
    "exam_records",
    "exam_events",
    "capacity_slots",
    "rejected_rows",
    "validation_results",
    "quarantined_files",
    "load_manifest",
)
QUICK_DAYS = 14


def _landing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    have = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'landing'"
        ).fetchall()
    }
    return [t for t in FILE_TABLES if t in have]


# Columns that identify an exam, event or slot within a trust: suffixed in each copy.
_KEY_COLUMNS = ("accession", "source_event_id", "slot_id")


def multiply_landing(con: duckdb.DuckDBPyConnection, copies: int) -> None:
    """Make the landing `copies` times larger: each copy is every delivery again, as other
    exams (accession, event and slot ids suffixed) in files numbered after the original's.
    Same trusts, dates and defects, so the figures scale like a bigger network."""
    step = con.execute("select max(file_id) from landing.load_manifest").fetchone()[0]
    for t in _landing_tables(con):
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'landing' "
                "and table_name = ? order by ordinal_position",
                [t],
            ).fetchall()
        ]
        for k in range(1, copies):
            select = ", ".join(
                f"file_id + {k * step}"
                if c == "file_id"
                else f"\"{c}\" || '~{k}'"
                if c in _KEY_COLUMNS
                else f'"{c}"'
                for c in cols
            )
            con.execute(
                f"insert into landing.{t} select {select} from landing.{t} where file_id <= {step}"
            )


def last_extract_date(con: duckdb.DuckDBPyConnection) -> date:
    return con.execute(
        "select max(cast(extract_at as date)) from landing.load_manifest"
    ).fetchone()[0]


def keep_recent(con: duckdb.DuckDBPyConnection, first: date) -> None:
    """Drop every delivery extracted before `first` (the --quick window)."""
    for t in _landing_tables(con):
        con.execute(
            f"delete from landing.{t} where file_id in (select file_id from "
            f"landing.load_manifest where cast(extract_at as date) < ?)",
            [first],
        )


def hold_back_night(con: duckdb.DuckDBPyConnection, night: date) -> int:
    """Move the deliveries extracted on `night` into schema bench_hold; returns the files."""
    con.execute("create schema if not exists bench_hold")
    files = con.execute(
        "select count(*) from landing.load_manifest where cast(extract_at as date) = ?", [night]
    ).fetchone()[0]
    for t in _landing_tables(con):
        night_files = "select file_id from landing.load_manifest where cast(extract_at as date) = ?"
        con.execute(
            f"create or replace table bench_hold.{t} as select * from landing.{t} "
            f"where file_id in ({night_files})",
            [night],
        )
        con.execute(f"delete from landing.{t} where file_id in ({night_files})", [night])
    return int(files)


def deliver_held_night(con: duckdb.DuckDBPyConnection) -> None:
    """Append the held-back night as the newest files: file ids above every loaded one."""
    offset = con.execute("select coalesce(max(file_id), 0) from landing.load_manifest").fetchone()[
        0
    ]
    held = con.execute("select coalesce(min(file_id), 1) from bench_hold.load_manifest").fetchone()[
        0
    ]
    shift = offset - held + 1
    for t in _landing_tables(con):
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'landing' "
                "and table_name = ? order by ordinal_position",
                [t],
            ).fetchall()
        ]
        select = ", ".join(f"file_id + {shift}" if c == "file_id" else f'"{c}"' for c in cols)
        con.execute(f"insert into landing.{t} select {select} from bench_hold.{t} order by file_id")
    con.execute("drop schema bench_hold cascade")


def slowest_nodes(target_dir: Path, n: int = 8) -> list[tuple[str, float]]:
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    timed = sorted(
        ((r["unique_id"], float(r["execution_time"])) for r in results), key=lambda x: -x[1]
    )
    return [(uid.split(".", 2)[-1], round(t, 2)) for uid, t in timed[:n]]


def node_seconds(target_dir: Path) -> dict[str, float]:
    """Seconds spent per node kind (model, test, unit_test) in one dbt build."""
    out: dict[str, float] = {}
    for r in json.loads((target_dir / "run_results.json").read_text())["results"]:
        kind = r["unique_id"].split(".")[0]
        out[kind] = round(out.get(kind, 0.0) + float(r["execution_time"]), 2)
    return out


def compare_marts(a: Path, b: Path) -> list[str]:
    """Tables of schema main that differ between two databases (empty when identical)."""
    differ = []
    with duckdb.connect(str(a), read_only=True) as con:
        con.execute(f"attach '{b}' as other (read_only)")
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = current_database() "
                "and table_schema = 'main' order by 1"
            ).fetchall()
        ]
        for t in tables:
            # doubles to 9 significant digits: a sum in another order differs in the last bits
            columns = ", ".join(
                f'round("{c}" / pow(10, floor(log10(abs("{c}") + 1e-300)) - 8)) as "{c}"'
                if kind in ("DOUBLE", "FLOAT")
                else f'"{c}"'
                for c, kind in con.execute(
                    "select column_name, data_type from information_schema.columns where "
                    "table_catalog = current_database() and table_schema = 'main' and table_name = ? "
                    "order by ordinal_position",
                    [t],
                ).fetchall()
            )
            one_way = con.execute(
                f'select count(*) from (select {columns} from main."{t}" except all '
                f'select {columns} from other.main."{t}")'
            ).fetchone()[0]
            other_way = con.execute(
                f'select count(*) from (select {columns} from other.main."{t}" '
                f'except all select {columns} from main."{t}")'
            ).fetchone()[0]
            if one_way or other_way:
                differ.append(f"{t} ({one_way}/{other_way} rows)")
    return differ


def _build(
    db: Path,
    as_of: date,
    full_refresh: bool,
    target: Path,
    threads: int,
    exclude: str | None = None,
    unit_tests: bool = True,
) -> float:
    t, cpu = time.perf_counter(), time.process_time()
    result = run_build(
        db,
        as_of,
        full_refresh=full_refresh,
        target_dir=target,
        threads=threads,
        exclude=exclude,
        unit_tests=unit_tests,
    )
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    if not result.success:
        raise SystemExit(
            f"build failed ({'full' if full_refresh else 'incremental'}): {result.failed[:5]}"
        )
    # CPU seconds of every thread of this process: near `threads` x the wall time means the
    # cores were busy throughout (only less work helps), well below it means waiting
    print(
        f"  {'full' if full_refresh else 'incremental'} build: {seconds:.2f} s wall, "
        f"{cpu:.2f} s CPU ({cpu / seconds:.2f} cores busy on average)"
    )
    return round(seconds, 2)


def copy_settled(source: Path, target: Path) -> None:
    """Copy a database and wait until its bytes are on disk: a fresh multi-GB copy left dirty
    in the page cache is written back during the next build and slows it by seconds."""
    shutil.copyfile(source, target)
    with open(target, "rb+") as f:
        os.fsync(f.fileno())


SAVED = "night.json"  # beside a --save-night database: the night and the full build's seconds


def verify_against_full_refresh(
    db: Path, night: date, work: Path, threads: int, exclude: str | None
) -> list[str]:
    """Rebuild a copy of the night's result with --full-refresh and compare every mart;
    prints the verdict and returns the tables that differ (none: identical)."""
    check = work / "full_refresh.duckdb"
    shutil.copyfile(db, check)
    try:
        _build(check, night, True, work / "target_verify", threads, exclude)
        differ = compare_marts(db, check)
    finally:
        check.unlink(missing_ok=True)
    print("incremental = full refresh: " + ("yes, every mart" if not differ else f"NO: {differ}"))
    return differ


def incremental_from_saved(a: argparse.Namespace) -> int:
    """The night's incremental build (without unit tests, as the nightly runs it) on a copy of
    a --save-night database, against the full build's seconds recorded there. With `--repeats
    N` the night is built N times, each on a fresh copy, and the median run is the figure: the
    same build's time moves by a fifth from run to run on a shared machine."""
    saved = json.loads((a.from_night / SAVED).read_text())
    # absolute: dbt resolves a relative target path from the project folder, not from here
    work = (a.work or Path(tempfile.mkdtemp(prefix="build_bench_"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    night = date.fromisoformat(saved["night"])
    runs = []
    for run in range(max(1, a.repeats)):
        db = work / "restricted.duckdb"
        target = work / f"target_incremental_{run}"
        copy_settled(a.from_night / "restricted.duckdb", db)
        # the previous night left dbt's partial-parse state in the target folder: so does this
        if not parse_project(db, target, a.threads):
            raise SystemExit("dbt parse failed")
        seconds = _build(db, night, False, target, a.threads, a.exclude, unit_tests=False)
        runs.append(
            {"seconds": seconds, "kinds": node_seconds(target), "nodes": slowest_nodes(target, 15)}
        )
        if a.verify and run == max(1, a.repeats) - 1:
            differ = verify_against_full_refresh(db, night, work, a.threads, a.exclude)
            runs[-1]["identical_to_full_refresh"] = not differ
        db.unlink()
    median = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    seconds, kinds, nodes = median["seconds"], median["kinds"], median["nodes"]
    ratio = round(saved["full_seconds"] / seconds, 2)
    print(f"incremental, no unit tests:  {seconds:8.2f} s   nodes {kinds}")
    if len(runs) > 1:
        print("runs: " + ", ".join(f"{r['seconds']:.2f}" for r in runs) + " s (the median above)")
    print(f"ratio to the saved full build ({saved['full_seconds']} s): {ratio:.2f}")
    print("slowest nodes: " + ", ".join(f"{n} {s}s" for n, s in nodes))
    verified = {k: v for k, v in runs[-1].items() if k == "identical_to_full_refresh"}
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    **saved,
                    "incremental_seconds_without_unit_tests": seconds,
                    "incremental_runs_seconds": [r["seconds"] for r in runs],
                    "ratio_without_unit_tests": ratio,
                    "incremental_node_seconds": kinds,
                    "incremental_slowest": nodes,
                    **verified,
                },
                indent=2,
            )
            + "\n"
        )
    if not a.work:
        shutil.rmtree(work)
    return 0 if verified.get("identical_to_full_refresh", True) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--home", type=Path, required=True, help="home with an ingested restricted database"
    )
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument(
        "--quick", action="store_true", help=f"only the last {QUICK_DAYS} days of deliveries"
    )
    ap.add_argument(
        "--verify",
        action="store_true",
        help="full-refresh a copy of the incremental result and compare every mart "
        "(with --from-night: of the last run)",
    )
    ap.add_argument(
        "--multiply",
        type=int,
        default=1,
        help="copy the landing this many times over (as other exams) for a larger run",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--exclude", help="dbt selection to leave out of every build")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder)")
    ap.add_argument(
        "--save-night",
        type=Path,
        help="keep the database just before the night's build, and the full build's figures, here",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="with --from-night: build the night this many times (fresh copies), report the median",
    )
    ap.add_argument(
        "--from-night",
        type=Path,
        help="start from a --save-night folder: no copy of the home, no full build",
    )
    a = ap.parse_args(argv)
    if a.from_night:
        return incremental_from_saved(a)

    source = a.home / "warehouse" / "restricted.duckdb"
    if not source.exists():
        raise SystemExit(f"{source} not found: ingest the home first (wmin ingest)")
    # absolute: dbt resolves a relative target path from the project folder, not from here
    work = (a.work or Path(tempfile.mkdtemp(prefix="build_bench_"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    db = work / "restricted.duckdb"
    copy_settled(source, db)

    with duckdb.connect(str(db)) as con:
        night = last_extract_date(con)
        if a.quick:
            keep_recent(con, night - timedelta(days=QUICK_DAYS - 1))
        if a.multiply > 1:
            multiply_landing(con, a.multiply)
        files = hold_back_night(con, night)
        sizes = {
            t: con.execute(f"select count(*) from landing.{t}").fetchone()[0]
            for t in ("exam_records", "exam_events")
        }
        night_rows = con.execute("select count(*) from bench_hold.exam_records").fetchone()[0]
        con.execute("checkpoint")
    print(
        f"landing before the night: {sizes['exam_records']:,} exam record rows, "
        f"{sizes['exam_events']:,} event rows; night {night}: {files} files, "
        f"{night_rows:,} exam record rows",
        flush=True,
    )

    full_s = _build(db, night - timedelta(days=1), True, work / "target_full", a.threads, a.exclude)
    full_nodes = slowest_nodes(work / "target_full")
    full_kinds = node_seconds(work / "target_full")
    with duckdb.connect(str(db)) as con:
        deliver_held_night(con)
        con.execute("checkpoint")
    if a.save_night:
        a.save_night.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db, a.save_night / "restricted.duckdb")
        (a.save_night / SAVED).write_text(
            json.dumps(
                {
                    "night": night.isoformat(),
                    "full_seconds": full_s,
                    "night_files": files,
                    "night_exam_record_rows": night_rows,
                    "threads": a.threads,
                }
            )
        )
    # the same night without dbt's unit tests (code checks, independent of the data), on a copy
    no_unit_db = work / "incremental_no_unit_tests.duckdb"
    if not a.quick:
        copy_settled(db, no_unit_db)
    incr_s = _build(db, night, False, work / "target_incremental", a.threads, a.exclude)
    incr_nodes = slowest_nodes(work / "target_incremental")
    incr_kinds = node_seconds(work / "target_incremental")
    no_unit_s = None
    if not a.quick:
        no_unit_s = _build(
            no_unit_db,
            night,
            False,
            work / "target_no_unit_tests",
            a.threads,
            a.exclude,
            unit_tests=False,
        )
        no_unit_db.unlink()

    figures = {
        "home": str(a.home),
        "quick": a.quick,
        "multiply": a.multiply,
        "night": night.isoformat(),
        "landing_exam_record_rows": sizes["exam_records"],
        "landing_event_rows": sizes["exam_events"],
        "night_files": files,
        "night_exam_record_rows": night_rows,
        "full_seconds": full_s,
        "incremental_seconds": incr_s,
        "ratio": round(full_s / incr_s, 2) if incr_s else None,
        "incremental_seconds_without_unit_tests": no_unit_s,
        "ratio_without_unit_tests": round(full_s / no_unit_s, 2) if no_unit_s else None,
        "full_node_seconds": full_kinds,
        "incremental_node_seconds": incr_kinds,
        "full_slowest": full_nodes,
        "incremental_slowest": incr_nodes,
    }
    print(f"full build (--full-refresh): {full_s:8.2f} s   nodes {full_kinds}")
    print(f"incremental (one night):     {incr_s:8.2f} s   nodes {incr_kinds}")
    print(f"ratio full / incremental:    {figures['ratio']:8.2f}")
    if no_unit_s is not None:
        print(
            f"incremental, no unit tests:  {no_unit_s:8.2f} s   ratio "
            f"{figures['ratio_without_unit_tests']:.2f}"
        )
    print("slowest nodes, full:        " + ", ".join(f"{n} {s}s" for n, s in full_nodes))
    print("slowest nodes, incremental: " + ", ".join(f"{n} {s}s" for n, s in incr_nodes))

    if a.verify:
        differ = verify_against_full_refresh(db, night, work, a.threads, a.exclude)
        figures["identical_to_full_refresh"] = not differ
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures.get("identical_to_full_refresh", True) else 1


if __name__ == "__main__":
    sys.exit(main())
