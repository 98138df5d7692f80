"""Server-side render time of every dashboard page (AppTest run, warm cache).

    .venv/bin/python bench/dashboard_bench.py [path/to/analytics.duckdb] [--runs N]

Without a path it uses $WMIN_ANALYTICS_DB, else var/warehouse/analytics.duckdb. Each page is run
once to warm the caches, then timed over --runs runs; the median is printed in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "turnaround", "waiting_list", "reporting", "scheduling", "utilisation",
         "data_quality", "downloads"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", type=Path,
                        default=Path(os.environ.get("WMIN_ANALYTICS_DB", "var/warehouse/analytics.duckdb")))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        print(f"error: {args.db} does not exist (run `wmin demo`, or pass a published analytics.duckdb)",
              file=sys.stderr)
        return 2
    os.environ["WMIN_ANALYTICS_DB"] = str(args.db.resolve())
    sys.path.insert(0, str(ROOT))
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from streamlit.testing.v1 import AppTest

    print(f"database: {args.db} ({args.db.stat().st_size / 1e6:,.1f} MB)")
    print(f"{'page':<14} {'cold ms':>9} {'warm ms':>9}")
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=300)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    for page in PAGES:
        if page != "overview":
            at.switch_page(f"app_pages/{page}.py")
        t0 = time.perf_counter()
        at.run()
        cold = first if page == "overview" else time.perf_counter() - t0
        if at.exception:
            print(f"{page:<14} EXCEPTION {at.exception[0].message}")
            continue
        warm = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        print(f"{page:<14} {cold * 1000:>9.0f} {statistics.median(warm) * 1000:>9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
