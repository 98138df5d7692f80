"""`tat_monthly` and `waiting_list_census`: our dbt models vs a straightforward pandas script.

    .venv/bin/python bench/pandas_vs_marts.py --home HOME [--json PATH]

HOME holds a built network (restricted database, truth). The pandas side is the analyst's way:
read the extract (the ground-truth Parquet, already clean and canonical, which favours pandas)
and compute both tables with pandas (bench/pandas_marts.py). Our side rebuilds the same two marts
and everything upstream of them from the landing tables on a copy of the restricted database
(`dbt build --select +tat_monthly +waiting_list_census --full-refresh`, tests included), and
reports both the wall time of that dbt call and the sum of its models' execution times (dbt's
own start-up, a few seconds, is not work that grows with the network), split by layer to show
where the time goes (staging and intermediate: the cleaning that the pandas side is spared).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pandas_marts
from bench.measure import REPO
from pipeline.build import run_build

SELECT = "+tat_monthly +waiting_list_census"


def as_of_of(analytics_db: Path) -> date:
    with duckdb.connect(str(analytics_db), read_only=True) as con:
        return con.execute("select as_of_date from publish_info").fetchone()[0]


def time_pandas(home: Path, as_of: date) -> tuple[float, dict, int]:
    t0 = time.perf_counter()
    truth = pandas_marts.read_truth(home)
    seeds = pandas_marts.read_seeds(REPO / "seeds")
    t_read = time.perf_counter() - t0
    tat = pandas_marts.tat_monthly(truth, seeds, as_of)
    census = pandas_marts.waiting_list_census(truth, seeds, as_of)
    total = time.perf_counter() - t0
    return (
        total,
        {"read": round(t_read, 3), "compute": round(total - t_read, 3)},
        len(tat) + len(census),
    )


def time_dbt(restricted_db: Path, as_of: date, scratch: Path) -> tuple[float, dict, int]:
    db = scratch / "restricted.duckdb"
    shutil.copyfile(restricted_db, db)
    result = run_build(db, as_of, full_refresh=True, select=SELECT, target_dir=scratch / "target")
    if not result.success:
        raise SystemExit(f"dbt build of {SELECT} failed: {result.failed[:3]}")
    run_results = json.loads((scratch / "target" / "run_results.json").read_text())
    by_layer = {"staging": 0.0, "intermediate": 0.0, "marts": 0.0}
    for r in run_results["results"]:
        if r["unique_id"].startswith("model."):
            by_layer[layer_of(r["unique_id"].rsplit(".", 1)[-1])] += r["execution_time"]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = sum(
            con.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("tat_monthly", "waiting_list_census")
        )
    return result.elapsed_seconds, {k: round(v, 3) for k, v in by_layer.items()}, rows


def layer_of(model: str) -> str:
    """Our naming convention: stg_ staging, int_ intermediate, anything else a mart."""
    return {"stg": "staging", "int": "intermediate"}.get(model.split("_", 1)[0], "marts")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    warehouse = a.home / "warehouse"
    as_of = as_of_of(warehouse / "analytics.duckdb")
    pandas_seconds, pandas_steps, pandas_rows = time_pandas(a.home, as_of)
    with tempfile.TemporaryDirectory(prefix="wmin-pandas-vs-marts-") as scratch:
        dbt_wall, dbt_layers, dbt_rows = time_dbt(
            warehouse / "restricted.duckdb", as_of, Path(scratch)
        )
    dbt_models = sum(dbt_layers.values())
    result = {
        "as_of": as_of.isoformat(),
        "pandas_seconds": round(pandas_seconds, 3),
        "pandas_seconds_by_step": pandas_steps,
        "pandas_rows": pandas_rows,
        "dbt_wall_seconds": round(dbt_wall, 3),
        "dbt_model_seconds": round(dbt_models, 3),
        "dbt_model_seconds_by_layer": dbt_layers,
        "dbt_rows": dbt_rows,
        "speedup": round(pandas_seconds / dbt_models, 2) if dbt_models else None,
        "speedup_wall": round(pandas_seconds / dbt_wall, 2) if dbt_wall else None,
    }
    print(
        f"pandas {pandas_seconds:.2f} s ({pandas_rows} rows); dbt models {dbt_models:.2f} s, "
        f"dbt wall {dbt_wall:.2f} s ({dbt_rows} rows); speed-up {result['speedup']}x "
        f"(wall {result['speedup_wall']}x)"
    )
    if a.json:
        a.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
