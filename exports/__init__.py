"""Exports room: the monthly board pack (xlsx + pdf) and the DIDS submission files.

The board pack reads only the published database (`analytics.duckdb`), opened read-only.
The DIDS export is the one exception: it reads the restricted database, because it is the only
export that carries patient identifiers. Nothing here imports `ingest`, `pipeline` or
`dashboards`.
"""
