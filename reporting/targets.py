"""Reporting turnaround targets by priority, read from the published `dim_reporting_target`
(seed `reporting_targets`): the one source of every target line and assurance judgement."""

from __future__ import annotations

import duckdb


def reporting_targets(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """{priority: target hours}, in the seed's order of urgency (shortest target first)."""
    rows = con.execute(
        "select priority, target_hours from dim_reporting_target order by target_hours, priority"
    ).fetchall()
    return {priority: int(hours) for priority, hours in rows}
