"""The offers allocation as a Spark table function: dbt-spark's session method runs no Python
models, so on Spark the model int_scheduling_offer_allocation is SQL
(dbt_project/models/intermediate/scheduling/spark/) calling `wmin_offer_allocation`, which this
module registers in the build's session. It runs the one rule, offers.allocation.allocate.

The function takes one table argument, the candidates and the free slots stacked (a `row_kind`
column says which), and must see all of it in one call: the SQL passes it WITH SINGLE
PARTITION. Rows are gathered in `eval` and allocated in `terminate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from offers.allocation import CANDIDATE_COLUMNS, SLOT_COLUMNS

FUNCTION_NAME = "wmin_offer_allocation"
RETURN_TYPE = (
    "exam_key string, allocation_order bigint, site_code string, slot_trust_code string,"
    " slot_id string, slot_start timestamp, slot_date date"
)


class OfferAllocation:
    """Spark UDTF: collects the stacked rows, then yields allocate()'s rows."""

    def __init__(self) -> None:
        self.candidates: list[tuple] = []
        self.slots: list[tuple] = []

    def eval(self, row: Any) -> Iterator[tuple]:
        if row["row_kind"] == "candidate":
            self.candidates.append(tuple(row[c] for c in CANDIDATE_COLUMNS))
        else:
            self.slots.append(tuple(row[c] for c in SLOT_COLUMNS))
        yield from ()

    def terminate(self) -> Iterator[tuple]:
        import pandas as pd

        from offers.allocation import ALLOCATION_COLUMNS, allocate

        allocated = allocate(
            pd.DataFrame(self.candidates, columns=CANDIDATE_COLUMNS),
            pd.DataFrame(self.slots, columns=SLOT_COLUMNS),
        )
        for row in allocated[ALLOCATION_COLUMNS].itertuples(index=False, name=None):
            exam_key, order, site, trust, slot_id, start, day = row
            yield exam_key, int(order), site, trust, slot_id, _python(start), _python(day)


def _python(value: Any) -> Any:
    """pandas' Timestamp as the datetime Spark's row converter expects."""
    to_pydatetime = getattr(value, "to_pydatetime", None)
    return to_pydatetime() if to_pydatetime else value


def register_offer_allocation(spark: Any) -> None:
    """Register the table function in `spark` (a SparkSession) for this session."""
    from pyspark.sql.functions import udtf

    spark.udtf.register(FUNCTION_NAME, udtf(OfferAllocation, returnType=RETURN_TYPE))
