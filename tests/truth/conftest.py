"""One small clean synthetic network, ingested and built once for the whole truth suite.

The window crosses a month end and the spring clock change (29 March 2026), so month grains,
local dates and hour intervals across BST are all exercised; the as-of date is the morning after
the last delivery, when every event of the truth is known to the warehouse.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
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
from pipeline.build import run_build

START, END, AS_OF = date(2026, 3, 20), date(2026, 4, 5), date(2026, 4, 6)
SCALE, SEED = 0.01, 7  # seed 7: three exams of wide-feed trusts DNA twice
# clean deliveries, except that the RIS takes back some reports (the feeds withdraw them)
RATES = replace(DefectRates.none(), withdrawn_report=0.03)
# A test-only key: the pandas side pseudonymises NHS numbers with it independently.
PSEUDONYM_KEY = b"truth-suite-key-0123456789abcdef-0123"


@pytest.fixture(scope="session")
def truth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("truth")
    generate_network(home, START, END, scale=SCALE, seed=SEED, rates=RATES)
    db = home / "warehouse" / "restricted.duckdb"
    db.parent.mkdir(parents=True)
    # Pre-load validation is covered elsewhere; clean deliveries have nothing for it to catch.
    ingest_landing(db, home, load_all_specs(FEEDS_DIR), PSEUDONYM_KEY, validate=False)
    result = run_build(db, AS_OF, full_refresh=True, target_dir=home / "dbt_target")
    assert result.success, f"dbt build failed: {result.failed[:5]}"
    return home


@pytest.fixture(scope="session")
def truth(truth_home: Path) -> pandas_marts.Truth:
    return pandas_marts.at_feed_precision(pandas_marts.read_truth(truth_home), FEEDS_DIR)


@pytest.fixture(scope="session")
def seeds() -> pandas_marts.Seeds:
    return pandas_marts.read_seeds(default_seeds_dir())


@pytest.fixture(scope="session")
def facts(truth: pandas_marts.Truth, seeds: pandas_marts.Seeds) -> pd.DataFrame:
    return pandas_marts.exam_facts(truth, seeds, AS_OF, PSEUDONYM_KEY)


@pytest.fixture(scope="session")
def built(truth_home: Path):
    """Read a built mart from the restricted database (read-only)."""
    con = duckdb.connect(str(truth_home / "warehouse" / "restricted.duckdb"), read_only=True)
    yield lambda name: con.execute(f'select * from main."{name}"').df()
    con.close()
