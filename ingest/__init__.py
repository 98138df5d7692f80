"""Ingest room: feed specs, readers per feed family, the loader and the synthetic network."""
