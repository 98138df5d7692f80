"""A network period end to end, then one more night on top of it: wall time and peak memory.

    .venv/bin/python bench/network_bench.py --home var/bench/network \\
        --start 2025-04-01 --end 2026-03-31 --scale 1 [--json PATH] [--keep]

Stages, each a separate `wmin` process measured by bench/measure.py:
  generate  `wmin synth` for the window (its last night's deliveries are then held back);
  ingest    `wmin ingest` of every delivery but the last night's;
  build     `wmin build --full-refresh` as of the day before the last night;
  publish   `wmin publish`;
  docs      `wmin docs` (the planners' data docs, as the year's nights would have left them);
  nightly   the held-back night restored, then `wmin nightly` — its steps' times come from the
            run record in the restricted database.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import run_measured, wmin_command, wmin_env
from ingest.feeds.spec import load_all_specs
from ingest.synth.network import SYNTHETIC_FEEDS_DIR


def last_night(landing: Path) -> date:
    """The latest extract date of any delivery in the landing folder."""
    specs = load_all_specs(SYNTHETIC_FEEDS_DIR)
    dates = [
        stamp.date()
        for trust_dir in landing.iterdir()
        if trust_dir.name in specs
        for f in trust_dir.iterdir()
        if (stamp := specs[trust_dir.name].extract_time.parse(f.name)) is not None
    ]
    return max(dates)


def move_night(src: Path, dst: Path, night: date) -> int:
    """Move the deliveries extracted on `night` from one landing folder to another."""
    specs = load_all_specs(SYNTHETIC_FEEDS_DIR)
    moved = 0
    for trust_dir in sorted(p for p in src.iterdir() if p.name in specs):
        for f in sorted(trust_dir.iterdir()):
            stamp = specs[trust_dir.name].extract_time.parse(f.name)
            if stamp is not None and stamp.date() == night:
                (dst / trust_dir.name).mkdir(parents=True, exist_ok=True)
                f.rename(dst / trust_dir.name / f.name)
                moved += 1
    return moved


def nightly_steps(restricted_db: Path) -> dict[str, float]:
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        steps = con.execute(
            "select steps from pipeline.runs order by started_at desc limit 1"
        ).fetchone()[0]
    rows = json.loads(steps) if isinstance(steps, str) else steps
    return {row["step"]: float(row["seconds"]) for row in rows}


def landing_size(landing: Path) -> tuple[int, int]:
    files = [f for f in landing.rglob("*") if f.is_file()]
    return len(files), sum(f.stat().st_size for f in files)


def reset_to_landing(home: Path) -> None:
    """Keep the generated landing and truth; drop everything the pipeline made from them."""
    held = home / "held_back"
    if held.exists():
        for trust_dir in held.iterdir():
            for f in trust_dir.iterdir():
                f.rename(home / "landing" / trust_dir.name / f.name)
        shutil.rmtree(held)
    for made in ("warehouse", "reports", "logs", "exports", "nightly.lock"):
        path = home / made
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


GENERATED = "generated.json"  # beside the landing: the window and how long generating it took


def generated_window(home: Path) -> dict | None:
    path = home / GENERATED
    return json.loads(path.read_text()) if path.exists() else None


def run(
    home: Path,
    start: str,
    end: str,
    scale: float,
    seed: int,
    reuse: bool = False,
    generate_only: bool = False,
) -> dict:
    window = {"start": start, "end": end, "scale": scale, "seed": seed}
    earlier = generated_window(home)
    reuse = (
        reuse
        and (home / "landing").is_dir()
        and (home / "truth" / "exams.parquet").exists()
        and earlier is not None
        and earlier["window"] == window
    )
    if reuse:
        reset_to_landing(home)
    else:
        if home.exists():
            shutil.rmtree(home)
        home.mkdir(parents=True)
    env = wmin_env(home, WMIN_DEMO="true")  # the demo pseudonym key: synthetic data only
    stages: dict[str, dict] = {}

    def stage(name: str, *args: str) -> None:
        m = run_measured(wmin_command(*args), env=env).check()
        stages[name] = {"seconds": m.seconds, "peak_mb": m.peak_mb}
        print(f"{name:>9}: {m.seconds:8.1f} s  peak {m.peak_mb:8.0f} MB", flush=True)

    if reuse:  # the generation figures of the run that made this landing, marked as such
        stages["generate"] = {**earlier["generate"], "earlier_run": earlier["measured_at"]}
        print(f" generate: reused the landing generated {earlier['measured_at']}", flush=True)
    else:
        stage(
            "generate",
            "synth",
            "--start",
            start,
            "--end",
            end,
            "--scale",
            str(scale),
            "--seed",
            str(seed),
        )
        (home / GENERATED).write_text(
            json.dumps(
                {
                    "window": window,
                    "generate": stages["generate"],
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        if generate_only:
            return {"window": window, "stages": stages}
    with duckdb.connect() as con:
        exams = con.execute(
            "select count(*) from read_parquet(?)", [str(home / "truth" / "exams.parquet")]
        ).fetchone()[0]
    files, size = landing_size(home / "landing")
    night = last_night(home / "landing")
    held = home / "held_back"
    night_files = move_night(home / "landing", held, night)
    year_as_of = (night - timedelta(days=1)).isoformat()
    stage("ingest", "ingest")
    stage("build", "build", "--as-of", year_as_of, "--full-refresh")
    stage("publish", "publish", "--as-of", year_as_of)
    # the planners' docs as the year's nights would have left them: the night on top then
    # regenerates them only if its build changed the project or the schema (pipeline/docs.py)
    stage("docs", "docs")
    move_night(held, home / "landing", night)
    nightly = run_measured(wmin_command("nightly", "--as-of", night.isoformat()), env=env).check()
    steps = nightly_steps(home / "warehouse" / "restricted.duckdb")
    print(
        f"  nightly: {nightly.seconds:8.1f} s  ({night_files} files)  "
        + "  ".join(f"{k} {v:.1f} s" for k, v in steps.items()),
        flush=True,
    )
    return {
        "window": window,
        "exams": int(exams),
        "files": files,
        "bytes": size,
        "stages": stages,
        "end_to_end_seconds": round(sum(s["seconds"] for s in stages.values()), 1),
        # from landing to published marts (issue #27's year target)
        "landing_to_published_seconds": round(
            sum(stages[s]["seconds"] for s in ("ingest", "build", "publish")), 1
        ),
        "peak_mb": max(s["peak_mb"] for s in stages.values()),
        "nightly": {
            "night": night.isoformat(),
            "files": night_files,
            "seconds": nightly.seconds,
            "peak_mb": nightly.peak_mb,
            "steps": steps,
        },
        # the year's full build against the night's incremental one (issue #4's target)
        "build_speedup": round(stages["build"]["seconds"] / steps["build"], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the home (default: delete it)")
    ap.add_argument(
        "--reuse-landing",
        action="store_true",
        help="skip generation when HOME already holds this window's landing and truth",
    )
    ap.add_argument(
        "--generate-only",
        action="store_true",
        help="generate the window's landing (and its figures) and stop; implies --keep",
    )
    a = ap.parse_args()
    result = run(a.home, a.start, a.end, a.scale, a.seed, a.reuse_landing, a.generate_only)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(result, indent=2))
    if not (a.keep or a.generate_only):
        shutil.rmtree(a.home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
