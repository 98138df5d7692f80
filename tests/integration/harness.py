"""Helpers for end-to-end tests: run `wmin` as a real process on a temporary home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingest.feeds.spec import load_all_specs
from ingest.synth.network import SYNTHETIC_FEEDS_DIR

# A small network: ten days at 1% scale (a nightly run takes well under a minute). The truth is exact, so figures can be compared.
SYNTH_ARGS = ["--start", "2026-02-16", "--end", "2026-02-25", "--scale", "0.01", "--seed", "7"]
FIRST_NIGHT = "2026-02-21"  # deliveries up to this extract date form the first nightly
AS_OF = "2026-02-26"


def wmin(
    home: Path, *args: str, fail_point: str | None = None, check: bool = True, timeout: int = 900
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "WMIN_HOME": str(home),
        "WMIN_DEMO": "true",
        "NO_COLOR": "1",
        "COLUMNS": "160",
    }
    env.pop("WMIN_FAIL_POINT", None)
    if fail_point:
        env["WMIN_FAIL_POINT"] = fail_point
    cmd = [sys.executable, "-m", "pipeline", *args]  # not -c: pipeline/__main__.py says why
    proc = subprocess.run(
        cmd, check=False, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"wmin {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    return proc


def extract_time(trust: str, name: str) -> datetime | None:
    return load_all_specs(SYNTHETIC_FEEDS_DIR)[trust].extract_time.parse(name)


def copy_feeds(src_home: Path, dst_home: Path) -> None:
    """The feed specs `wmin synth` wrote beside the landing: without them a home reads none."""
    shutil.copytree(src_home / "feeds", dst_home / "feeds", dirs_exist_ok=True)


def split_landing(src_home: Path, dst_home: Path, until: str) -> None:
    """Copy the deliveries whose extract date is on or before `until` into another home."""
    copy_feeds(src_home, dst_home)
    cutoff = datetime.fromisoformat(until)
    for trust_dir in sorted((src_home / "landing").iterdir()):
        for f in sorted(trust_dir.iterdir()):
            ts = extract_time(trust_dir.name, f.name)
            if ts is not None and ts.replace(hour=0, minute=0, second=0) <= cutoff:
                target = dst_home / "landing" / trust_dir.name / f.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)


def copy_landing(src_home: Path, dst_home: Path) -> None:
    copy_feeds(src_home, dst_home)
    shutil.copytree(src_home / "landing", dst_home / "landing", dirs_exist_ok=True)


def published_tables(
    analytics_db: Path, skip: tuple[str, ...] = ("publish_info",)
) -> dict[str, pd.DataFrame]:
    """Every published table, sorted on all columns so two builds compare row for row."""
    out = {}
    with duckdb.connect(str(analytics_db), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables order by 1"
            ).fetchall()
        ]
        for name in names:
            if name in skip:
                continue
            df = con.execute(f'select * from "{name}"').df()
            out[name] = df.sort_values(list(df.columns)).reset_index(drop=True) if len(df) else df
    return out
