"""Backtest of waiting_list_projection on a synthetic network whose list grows (issue #28).

One trust with a demand surge (`surge-demand`: elective requests 1.4-fold from SURGE_FROM while
its sessions stay as they were). The warehouse is built as the nightly would as of
PROJECTED_FROM (later deliveries wait) and the projection read; the census that followed, at 4,
8 and 12 weeks, is the generator's truth (bench/pandas_marts: the census rule, each patient once
per test). MAPE of the whole list and of its 6+ week waiters over the trust's DM01 lists with at
least MIN_LIST patients at the start; the figures are in docs/benchmarks.md ("Planning
projection backtest").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench import pandas_marts
from ingest.feeds.spec import load_all_specs
from ingest.loader import ingest_landing
from ingest.synth.defects import DefectRates
from ingest.synth.generate import generate_network
from ingest.synth.network import SYNTHETIC_FEEDS_DIR as FEEDS_DIR
from ingest.synth.network import default_seeds_dir
from ingest.synth.scenarios import parse_scenario
from pipeline.build import run_build

TRUSTS = ["RXK"]  # one trust keeps the test cheap; its three DM01 lists are the cases
SURGED = "RXK"
START, SURGE_FROM = date(2025, 11, 15), date(2026, 1, 7)
PROJECTED_FROM = date(2026, 2, 18)
FOLLOWED_TO = PROJECTED_FROM + timedelta(weeks=12)
SCALE, SEED = 0.05, 11
KEY = b"planning-backtest-key-0123456789abcdef"
MIN_LIST = 30
HORIZONS = (4, 8, 12)
# Stated tolerances (MAPE %, the trust's lists pooled), set from the first backtest (docs/
# benchmarks.md) with a margin: the projection extrapolates the last 12 weeks' rates, so it lags
# a surge that is still growing (28% on the whole list at 12 weeks); worse means a regression.
MAX_MAPE_TOTAL = {4: 12.0, 8: 20.0, 12: 35.0}
MAX_MAPE_6_PLUS = {4: 12.0, 8: 25.0, 12: 45.0}


def followed(home: Path) -> pd.DataFrame:
    """The true DM01 list (each patient once per test) at each horizon's week end."""
    truth = pandas_marts.at_feed_precision(pandas_marts.read_truth(home), FEEDS_DIR)
    seeds = pandas_marts.read_seeds(default_seeds_dir())
    parts = []
    # the list at the start as the warehouse knew it, the later ones as they turned out
    for known, weeks in ((PROJECTED_FROM, (0,)), (FOLLOWED_TO, HORIZONS)):
        facts = pandas_marts.exam_facts(truth, seeds, known)
        when = [pd.Timestamp(PROJECTED_FROM + timedelta(weeks=h)) for h in weeks]
        parts.append(pandas_marts.waiting_list_members(facts, when))
    patients = pandas_marts.dm01_patients(pd.concat(parts, ignore_index=True))
    patients["six_plus"] = patients["weeks_waited"] >= 6
    out = patients.groupby(["census_date", "trust_code", "dm01_test"], as_index=False).agg(
        waiting=("patient", "size"), waiting_6_plus_weeks=("six_plus", "sum")
    )
    out["weeks_ahead"] = (out["census_date"] - pd.Timestamp(PROJECTED_FROM)).dt.days // 7
    return out.drop(columns="census_date")


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Projected against followed, by trust, test and weeks ahead."""
    home = tmp_path_factory.mktemp("planning_backtest")
    surge = parse_scenario(f"surge-demand:{SURGED}:{SURGE_FROM.isoformat()}")
    generate_network(home, START, FOLLOWED_TO, scale=SCALE, seed=SEED, trusts=TRUSTS,
                     rates=replace(DefectRates.none()), scenarios=[surge])  # fmt: skip
    db = home / "warehouse" / "restricted.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    ingest_landing(db, home, load_all_specs(FEEDS_DIR), KEY, validate=False, as_of=PROJECTED_FROM)
    # the mart and what it reads; data tests are the build suite's (tests/dbt)
    result = run_build(db, PROJECTED_FROM, select="+waiting_list_projection",
                       exclude="test_type:data", unit_tests=False,
                       target_dir=home / "dbt_target")  # fmt: skip
    assert result.success, f"dbt build failed: {result.failed[:5]}"
    with duckdb.connect(str(db), read_only=True) as con:
        projected = con.execute(
            """
            select distinct trust_code, dm01_test, weeks_ahead,
                waiting_projected, waiting_6_plus_weeks_projected
            from waiting_list_projection
            """
        ).df()
    both = projected.merge(followed(home), on=["trust_code", "dm01_test", "weeks_ahead"],
                           how="left").fillna({"waiting": 0, "waiting_6_plus_weeks": 0})  # fmt: skip
    start = both[both["weeks_ahead"] == 0].set_index(["trust_code", "dm01_test"])
    # the warehouse's list at the as-of date is the truth's but for the requests of the last
    # day or two, whose files arrive after the as-of date (2-4% fewer on this network)
    print(start[["waiting_projected", "waiting"]].to_string())
    gap = (start["waiting_projected"] - start["waiting"]).abs()
    assert (gap <= 0.05 * start["waiting"] + 1).all(), start
    big = start[start["waiting"] >= MIN_LIST].index
    both = both.set_index(["trust_code", "dm01_test"]).loc[big].reset_index()
    return both[both["weeks_ahead"].isin(HORIZONS)]


def mape(projected: pd.Series, actual: pd.Series) -> float:
    keep = actual > 0
    return float(100 * ((projected[keep] - actual[keep]).abs() / actual[keep]).mean())


def test_the_surged_trust_list_grows(backtest: pd.DataFrame):
    surged = backtest[backtest["trust_code"] == SURGED]
    start = surged[surged["weeks_ahead"] == 4]["waiting"].sum()
    end = surged[surged["weeks_ahead"] == 12]["waiting"].sum()
    assert end > 1.1 * start, (start, end)


@pytest.mark.parametrize("weeks", HORIZONS)
def test_projection_error_within_tolerance(backtest: pd.DataFrame, weeks: int):
    at = backtest[backtest["weeks_ahead"] == weeks]
    by_list = at.groupby(["trust_code", "dm01_test"]).apply(
        lambda g: pd.Series(
            {
                "mape_total": mape(g["waiting_projected"], g["waiting"]),
                "mape_6_plus": mape(g["waiting_6_plus_weeks_projected"], g["waiting_6_plus_weeks"]),
            }
        ),
        include_groups=False,
    )
    print(f"\nweeks ahead {weeks}\n{by_list.round(1).to_string()}")
    total = mape(at["waiting_projected"], at["waiting"])
    six = mape(at["waiting_6_plus_weeks_projected"], at["waiting_6_plus_weeks"])
    print(f"all lists: MAPE total {total:.1f}%, 6+ weeks {six:.1f}%")
    assert total <= MAX_MAPE_TOTAL[weeks]
    assert six <= MAX_MAPE_6_PLUS[weeks]
