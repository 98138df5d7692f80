from pathlib import Path

import pytest

from ingest.feeds.spec import load_spec

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def specs():
    return {p.stem: load_spec(p) for p in (FIX / "specs").glob("*.yml")}
