"""GE is imported without pyspark by ingest's validation and the quality gate alike."""

import importlib.util
import subprocess
import sys

import pytest


def test_great_expectations_is_imported_without_spark() -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: nothing to keep out")
    code = (
        "import sys; from ingest.great_expectations_import import import_great_expectations; "
        "import_great_expectations(); assert 'pyspark' not in sys.modules; "
        "import pyspark; print(pyspark.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "pyspark"
