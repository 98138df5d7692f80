"""Family `event_csv`: one row per event (status change), exam attributes repeated."""

from __future__ import annotations

from ingest.feeds.spec import FeedSpec

from ._csv import CsvRenderer
from .base import event_canon

canon = event_canon


def renderer(spec: FeedSpec) -> CsvRenderer:
    return CsvRenderer(spec, spec.columns, key="accession")
