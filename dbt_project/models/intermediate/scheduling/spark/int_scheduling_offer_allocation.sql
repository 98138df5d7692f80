{{ config(materialized='table', enabled=(target.type == 'spark')) }}
-- The greedy allocation of offered slots by longest wait on Spark, whose session method runs no
-- Python models: the same rule as ../int_scheduling_offer_allocation.py (offers.allocation),
-- run by the table function `wmin_offer_allocation` that the Spark runner registers in its
-- session (pipeline/spark_offers.py). The candidates and the free slots go to it as one table,
-- a row_kind column apart, in a single partition: each patient's choice depends on the slots
-- taken before them. Enabled on Spark only; the Python model is disabled there (dbt_project.yml).
with

stacked as (
    select
        'candidate' as row_kind,
        candidates.exam_key,
        candidates.clock_start_date,
        candidates.offer_by_date,
        candidates.modality,
        candidates.offered_site_code,
        candidates.distance_km,
        cast(null as string) as trust_code,
        cast(null as string) as slot_id,
        cast(null as string) as site_code,
        cast(null as timestamp) as slot_start,
        cast(null as date) as slot_date
    from {{ ref('int_scheduling_offer_candidates') }} as candidates

    union all

    select
        'slot' as row_kind,
        cast(null as string) as exam_key,
        cast(null as date) as clock_start_date,
        cast(null as date) as offer_by_date,
        free_slots.modality,
        cast(null as string) as offered_site_code,
        cast(null as double) as distance_km,
        free_slots.trust_code,
        free_slots.slot_id,
        free_slots.site_code,
        free_slots.slot_start,
        free_slots.slot_date
    from {{ ref('int_scheduling_free_slots') }} as free_slots
)

select
    allocated.exam_key,
    allocated.allocation_order,
    allocated.site_code,
    allocated.slot_trust_code,
    allocated.slot_id,
    allocated.slot_start,
    allocated.slot_date
from wmin_offer_allocation(table(stacked) with single partition) as allocated
