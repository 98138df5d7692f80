"""The board pack's planning block (issue #28): the DM01 lists with the most 6+ week waiters
projected 12 weeks on, their pressure now and the added slots a week that would clear them.

The figures are the Planning page's: waiting_list_pressure and reporting.planning on
waiting_list_projection (docs/metrics.md). Counts are protected like every pack table.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from exports.pack_tables import Column, Table, display_rows, protected, query, table_names
from reporting import disclosure as dc
from reporting.planning import breach_outlook

WEEKS_AHEAD = 12
SHOWN = 8
PLANNING_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("dm01_test", "DM01 test"),
    Column("waiting_now", "Waiting now", "count"),
    Column("waiting_6_plus_now", "6+ weeks now", "count"),
    Column("queue_load", "Load (added / tested)", "stat"),
    Column("pressure", "Pressure", "stat"),
    Column("waiting_6_plus_projected", f"6+ weeks in {WEEKS_AHEAD} weeks", "count"),
    Column("waiting_6_plus_low", "95% band low", "count"),
    Column("waiting_6_plus_high", "95% band high", "count"),
    Column("slots_a_week_to_clear", "Added slots a week to reach 1%", "count"),
]
PLANNING_SPEC = dc.Spec(
    counts=(
        "waiting_now",
        "waiting_6_plus_now",
        "waiting_6_plus_projected",
        "waiting_6_plus_low",
        "waiting_6_plus_high",
    ),
    statistics={"pressure": "waiting_now", "queue_load": "waiting_now"},
)


def planning_table(con: duckdb.DuckDBPyConnection, suppress: bool) -> Table | None:
    """The block's table, or None when the planning marts are not published."""
    if not {"waiting_list_pressure", "waiting_list_projection"} <= table_names(con):
        return None
    outlook = breach_outlook(con, WEEKS_AHEAD).head(SHOWN)
    pressure = query(
        con,
        "select trust_code, dm01_test, queue_load, pressure from waiting_list_pressure "
        "where site_code = 'ALL' "
        "and week_end_date = (select max(week_end_date) from waiting_list_pressure)",
    )
    df = outlook.merge(pressure, on=["trust_code", "dm01_test"], how="left")
    df = protected(
        df.astype(dict.fromkeys(PLANNING_SPEC.counts, "float64")), PLANNING_SPEC, suppress
    )
    df = df.astype(object).where(pd.notna(df), None)
    return Table(
        "Planning",
        f"DM01 lists with the most 6+ week waiters projected {WEEKS_AHEAD} weeks on",
        PLANNING_COLUMNS,
        display_rows(df, PLANNING_COLUMNS),
        "Sources: waiting_list_pressure, waiting_list_projection (the Planning page). Load above "
        "1: more added than tested a week, the list grows. Pressure = 2 x mean wait / 6 weeks "
        "(NHSRwaitinglist); above 1 the list is likely to miss the standard. Added slots test the "
        "longest waiters first; 1% at 6+ weeks is the DM01 standard.",
    )
