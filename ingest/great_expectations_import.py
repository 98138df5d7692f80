"""great_expectations, imported the one way both of its users need: without pyspark.

GE imports pyspark whenever it is installed (the `spark` extra) to offer Spark data sources.
Ingest's validation (in every reader process) and the nightly quality gate validate pandas
frames only, so importing Spark would cost each of those processes seconds for nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from types import ModuleType


def import_great_expectations() -> ModuleType:
    """The great_expectations module, imported with pyspark hidden. A process that already has
    pyspark (a Spark build) or GE keeps what it has."""
    if "great_expectations" in sys.modules or "pyspark" in sys.modules:
        import great_expectations as gx

        return gx
    sys.modules["pyspark"] = None  # type: ignore[assignment]  # import pyspark -> ImportError
    try:
        import great_expectations as gx
    finally:
        if sys.modules.get("pyspark", False) is None:
            del sys.modules["pyspark"]  # a later `import pyspark` finds the real package
    return gx


def quiet_ephemeral_context() -> tuple[ModuleType, object]:
    """great_expectations and an ephemeral context that says nothing: no progress bars, no
    INFO lines in our logs, no analytics sent from a hospital server."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # GX sets this module's logger to INFO itself, so the parent's level does not reach it: its
    # "Created temporary directory" line landed in the nightly's log
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return gx, context
