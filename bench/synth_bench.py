"""Benchmark the whole generator: simulate, write truth and every delivery with defects.

    .venv/bin/python bench/synth_bench.py --scale 1.0 --start 2024-04-01 --end 2025-03-31 \
        [--json PATH]

Prints the phases, exams per second and peak memory; `--json PATH` also writes
{wall_s, exams, exams_per_s, peak_rss_mb, files, bytes} (peak: the largest process, main or
writer worker).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.synth.generate import generate_network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--start", type=date.fromisoformat, default=date(2024, 4, 1))
    ap.add_argument("--end", type=date.fromisoformat, default=date(2025, 4, 30))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--home", type=Path, default=None, help="keep the output here (default: temp)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    stages: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        stages[stage] = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="wmin-synth-") as tmp:
        home = args.home or Path(tmp)
        s = generate_network(
            home,
            args.start,
            args.end,
            scale=args.scale,
            seed=args.seed,
            progress=progress,
            workers=args.workers,
        )
        secs = time.perf_counter() - t0
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    peak_mb, child_mb = me.ru_maxrss / 1024, kids.ru_maxrss / 1024
    # CPU seconds say how much of the wall time was work when other programs share the machine
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    print(
        f"window {args.start}..{args.end} scale {args.scale}: {s.exams:,} exams, "
        f"{s.events:,} events, {s.slots:,} slots, {s.defects:,} defects"
    )
    print(f"{s.files:,} files, {s.bytes / 1e6:,.1f} MB written")
    phases = ", ".join(f"{k} {v - prev:.1f} s" for (k, v), prev in
                       zip(stages.items(), [0.0, *stages.values()], strict=False))  # fmt: skip
    print(f"phases: {phases}; CPU {cpu:.1f} s over {secs:.1f} s wall")
    print(
        f"simulate {s.seconds_simulate:.1f} s, total {secs:.1f} s, {s.exams / secs:,.0f} exams/s, "
        f"peak memory {peak_mb:,.0f} MB (largest writer process {child_mb:,.0f} MB)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "wall_s": round(secs, 2), "exams": s.exams, "exams_per_s": round(s.exams / secs, 1),
            "peak_rss_mb": round(max(peak_mb, child_mb), 1), "files": s.files, "bytes": s.bytes,
        }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
