"""Run every benchmark, write home/bench/results.json and (full runs) docs/benchmarks.md.

    .venv/bin/python bench/run.py --home var [--quick] [--repeats N]

`make bench` is the full run (a network year at scale 1.0, tens of minutes); `make bench-quick`
is a demo-sized run under two minutes that CI runs so the scripts never rot. Each benchmark is
its own script writing JSON (`--json PATH`); this script runs them `--repeats` times, reduces every
figure to min/median/max, checks the targets of issue #9 and writes the report.
A benchmark that fails is recorded as failed and makes the run exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import REPO, run_measured
from bench.report import machine_facts, render_markdown, summarise_repeats

# The full run: one network year (about 5 million exams), as issue #9 asks.
FULL = {"start": "2025-04-01", "end": "2026-03-31", "scale": "1.0"}
# The quick run: a few days at demo scale, to keep every script exercised in CI.
QUICK = {"start": "2026-02-16", "end": "2026-02-19", "scale": "0.01"}


def components(
    home: Path, quick: bool, reuse: bool = False, window: dict[str, str] | None = None
) -> list[tuple[str, list[str]]]:
    """(name, script arguments) in run order; the network run leaves `home` for the others.

    The network run's full build and its night's incremental build give the build speed-up
    (issue #4) at the network's own scale; `bench/build_bench.py` is the tool to study it
    further (`--verify`, `--multiply`)."""
    window = window or (QUICK if quick else FULL)
    analytics = home / "warehouse" / "analytics.duckdb"
    q = ["--quick"] if quick else []
    return [
        (
            "network",
            [
                "bench/network_bench.py",
                "--home",
                str(home),
                "--start",
                window["start"],
                "--end",
                window["end"],
                "--scale",
                window["scale"],
                "--keep",
                *(["--reuse-landing"] if reuse else []),
            ],
        ),
        ("pandas_vs_marts", ["bench/pandas_vs_marts.py", "--home", str(home)]),
        (
            "dashboards",
            ["bench/dashboard_bench.py", str(analytics), "--repeats", "3" if quick else "5"],
        ),
        ("mart_queries", ["bench/mart_query_bench.py", str(analytics)]),
        ("ingest", ["bench/ingest_bench.py", *q]),
    ]


def run_component(script_args: list[str], repeats: int, scratch: Path) -> dict:
    results, runs = [], []
    for i in range(repeats):
        out = scratch / f"result-{i}.json"
        m = run_measured(
            [sys.executable, *script_args, "--json", str(out)], cwd=REPO, memory=False
        )  # each script measures its own stages
        runs.append({"seconds": m.seconds, "peak_mb": m.peak_mb, "exit_code": m.exit_code})
        if m.exit_code != 0 or not out.exists():
            return {
                "status": "failed",
                "runs": runs,
                "error": (m.stderr.strip() or m.stdout.strip())[-2000:],
            }
        results.append(json.loads(out.read_text()))
    return {"status": "ok", "runs": runs, "figures": summarise_repeats(results)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=Path("var"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None, help="runs of each benchmark (default 1)")
    ap.add_argument("--only", nargs="*", help="run only these benchmarks")
    ap.add_argument(
        "--reuse-landing",
        action="store_true",
        help="keep HOME/bench/<mode>'s generated landing from an earlier run (no "
        "generate figure) and keep it afterwards",
    )
    ap.add_argument("--start", help="first day of the network window (default: the mode's)")
    ap.add_argument("--end", help="last day of the network window")
    ap.add_argument("--scale", help="network scale")
    a = ap.parse_args()
    repeats = a.repeats or 1
    window = dict(QUICK if a.quick else FULL)
    window.update({k: v for k, v in (("start", a.start), ("end", a.end), ("scale", a.scale)) if v})
    bench_home = (a.home / "bench").resolve()
    work = bench_home / ("quick" if a.quick else "network")
    results = {
        **machine_facts(),
        "mode": "quick" if a.quick else "full",
        "repeats": repeats,
        "window": window,
        "benchmarks": {},
    }
    with tempfile.TemporaryDirectory(prefix="wmin-bench-") as scratch:
        for name, script_args in components(work, a.quick, a.reuse_landing, window):
            if a.only and name not in a.only:
                continue
            print(f"== {name}", flush=True)
            outcome = run_component(script_args, repeats, Path(scratch))
            results["benchmarks"][name] = outcome
            if outcome["status"] != "ok":
                print(f"   FAILED: {outcome['error'][-600:]}", flush=True)
    if work.exists() and not a.reuse_landing:
        shutil.rmtree(work)
    bench_home.mkdir(parents=True, exist_ok=True)
    name = "results-quick.json" if a.quick else "results.json"
    (bench_home / name).write_text(json.dumps(results, indent=2))
    markdown = render_markdown(results)
    print(markdown)
    if not a.quick:
        write_report(REPO / "docs" / "benchmarks.md", markdown)
    failed = [n for n, r in results["benchmarks"].items() if r["status"] != "ok"]
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


HAND_WRITTEN = "<!-- hand-written sections:"


def write_report(path: Path, markdown: str) -> None:
    """The generated report, then the hand-written sections the file already holds (figures
    measured by hand, backtests): a full run must not lose them."""
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        at = old.find(HAND_WRITTEN)
        kept = old[at:] if at >= 0 else ""
    path.parent.mkdir(exist_ok=True)
    path.write_text(markdown.rstrip("\n") + ("\n\n" + kept if kept else "\n"), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
