"""Slot extracts: appointment-book slots in the trust's CSV dialect (HL7 trusts: the defaults)."""

from __future__ import annotations

from ingest.feeds.spec import FeedSpec

from ._csv import CsvRenderer
from .base import slot_canon

canon = slot_canon


def renderer(spec: FeedSpec) -> CsvRenderer:
    return CsvRenderer(spec, spec.slot_columns, key="slot_id", records="slots")
