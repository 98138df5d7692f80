"""The truth suite's fixtures: the clean network of tests/fixtures/truth_network.py, built once
per session, its ground truth and the pandas marts of it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench import pandas_marts
from ingest.synth.network import default_seeds_dir
from tests.fixtures.truth_network import AS_OF, FEEDS_DIR, PSEUDONYM_KEY, build_network

__all__ = ["AS_OF", "PSEUDONYM_KEY"]


@pytest.fixture(scope="session")
def truth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_network(tmp_path_factory.mktemp("truth"))


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
