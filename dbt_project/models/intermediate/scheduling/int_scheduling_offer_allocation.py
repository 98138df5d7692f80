"""Which offered slot each waiting patient would get if the network booked them greedily: the
rule is offers.allocation.allocate (below the dbt project and the pipeline: the Spark build
runs the same rule as a table function, spark/int_scheduling_offer_allocation.sql). One row per
allocated patient. Disabled on Spark (dbt_project.yml), whose session method runs no Python
models.
"""

from offers.allocation import allocate


def model(dbt, session):
    dbt.config(materialized="table")
    candidates = dbt.ref("int_scheduling_offer_candidates").df()
    free_slots = dbt.ref("int_scheduling_free_slots").df()
    allocated = allocate(candidates, free_slots)
    # typed even when empty, so the marts' contracts see the same column types every night
    return session.from_df(allocated).project(
        "exam_key::varchar as exam_key, allocation_order::bigint as allocation_order,"
        " site_code::varchar as site_code, slot_trust_code::varchar as slot_trust_code,"
        " slot_id::varchar as slot_id, slot_start::timestamptz as slot_start,"
        " slot_date::date as slot_date"
    )
