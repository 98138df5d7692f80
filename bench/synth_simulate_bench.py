"""Benchmark the network simulation: exams per second and peak memory.

.venv/bin/python bench/synth_simulate_bench.py --scale 1.0 --months 12
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.synth.simulate import simulate_network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--months", type=int, default=13)
    ap.add_argument("--start", type=date.fromisoformat, default=date(2024, 4, 1))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--trusts", nargs="*", default=None)
    args = ap.parse_args()
    start = args.start
    y, m = divmod(start.month - 1 + args.months, 12)
    end = date(start.year + y, m + 1, 1) - timedelta(days=1)
    t0 = time.perf_counter()
    truth = simulate_network(start, end, scale=args.scale, seed=args.seed, trusts=args.trusts)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(truth.exams)
    print(f"window {start}..{end} scale {args.scale}: {n:,} exams, {len(truth.events):,} events, "
          f"{len(truth.slots):,} slots")  # fmt: skip
    print(f"{secs:.1f} s, {n / secs:,.0f} exams/s, peak memory {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
