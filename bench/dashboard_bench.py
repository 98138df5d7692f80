"""Server-side render time of every dashboard page (Streamlit AppTest runs, in process).

    .venv/bin/python bench/dashboard_bench.py [path/to/analytics.duckdb] [--repeats N] [--json PATH]

Without a path it uses $WMIN_ANALYTICS_DB, else var/warehouse/analytics.duckdb.
For each page, with the default filters:
- cold: the first run after every Streamlit cache is cleared (what the first visitor sees after a
  publish: the database is reopened and every query of the page runs);
- warm: then N further runs (the caches hold the page's queries); min, median and max.
It prints a table and, with --json, writes {database, database_mb, repeats, pages: [{page,
warm_ms_min, warm_ms_median, warm_ms_max, cold_ms, warm_cpu_ms_median}], slowest_page,
slowest_warm_ms} (the median). Wall times include AppTest's own overhead (a few ms) and, on a
busy machine, waiting for a core: the CPU time of the process is the steadier figure there.
The browser's drawing is not included.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    "overview",
    "turnaround",
    "waiting_list",
    "reporting",
    "scheduling",
    "utilisation",
    "data_quality",
    "downloads",
]


def _timed_run(at) -> tuple[float, float]:
    """(wall ms, CPU ms of this process: all threads, DuckDB's included) of one run."""
    t0, c0 = time.perf_counter(), time.process_time()
    at.run()
    return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000


def _quiet_streamlit() -> None:
    # bare-mode AppTest logs "No runtime found" and similar once per cached call
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def measure(repeats: int) -> list[dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=600)
    at.run()  # imports the app's modules once, so no page's cold time includes them
    _quiet_streamlit()
    rows = []
    for page in PAGES:
        if page != "overview":
            at.switch_page(f"app_pages/{page}.py")
        st.cache_data.clear()
        st.cache_resource.clear()
        cold, _ = _timed_run(at)
        if at.exception:
            raise RuntimeError(f"page {page}: {at.exception[0].message}")
        runs = [_timed_run(at) for _ in range(repeats)]
        warm = [wall for wall, _ in runs]
        rows.append(
            {
                "page": page,
                "warm_ms_min": round(min(warm), 1),
                "warm_ms_median": round(statistics.median(warm), 1),
                "warm_ms_max": round(max(warm), 1),
                "cold_ms": round(cold, 1),
                "warm_cpu_ms_median": round(statistics.median(cpu for _, cpu in runs), 1),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "db",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("WMIN_ANALYTICS_DB", "var/warehouse/analytics.duckdb")),
    )
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per page (default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not args.db.exists():
        print(
            f"error: {args.db} does not exist (run `wmin demo`, or pass a published analytics.duckdb)",
            file=sys.stderr,
        )
        return 2
    os.environ["WMIN_ANALYTICS_DB"] = str(args.db.resolve())
    sys.path.insert(0, str(ROOT))
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    size_mb = round(args.db.stat().st_size / 1e6, 1)
    rows = measure(max(1, args.repeats))
    print(f"database: {args.db} ({size_mb:,.1f} MB), {args.repeats} warm runs per page")
    print(f"{'page':<14} {'cold ms':>9} {'warm min':>9} {'median':>9} {'max':>9} {'cpu med':>9}")
    for r in rows:
        print(
            f"{r['page']:<14} {r['cold_ms']:>9.0f} {r['warm_ms_min']:>9.0f} "
            f"{r['warm_ms_median']:>9.0f} {r['warm_ms_max']:>9.0f} {r['warm_cpu_ms_median']:>9.0f}"
        )
    slowest = max(rows, key=lambda r: r["warm_ms_median"])
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "database": str(args.db),
                    "database_mb": size_mb,
                    "repeats": args.repeats,
                    "pages": rows,
                    "slowest_page": slowest["page"],
                    "slowest_warm_ms": slowest["warm_ms_median"],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
