"""Family `wide_csv`: one row per exam per delivery, one column per event type."""

from __future__ import annotations

from ingest.feeds.spec import FeedSpec

from ._csv import CsvRenderer
from .base import wide_canon

canon = wide_canon


def renderer(spec: FeedSpec) -> CsvRenderer:
    return CsvRenderer(spec, spec.columns, key="accession")
