"""Fixtures shared by more than one room's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.truth_network import build_truth_home


@pytest.fixture(scope="session")
def truth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small synthetic network built on DuckDB (tests/fixtures/truth_network.py): the
    truth suite and the Spark proof share it."""
    return build_truth_home(tmp_path_factory.mktemp("truth"))
