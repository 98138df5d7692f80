-- Scheduling offers per trust x DM01 test, NETWORK rows the sum of the trusts (docs/offers.md):
-- of the patients waiting past the offers threshold or their priority's target
-- (int_scheduling_waiting_patients), how many have a sooner offer at another trust's site within
-- 10, 20 and 40 km and the weeks their best such offer saves, summed; and how many the greedy
-- allocation by longest wait places (int_scheduling_offer_allocation: no slot counted twice).
with

patients as (
    select * from {{ ref('int_scheduling_waiting_patients') }}
),

candidates as (
    select * from {{ ref('int_scheduling_offer_candidates') }}
),

allocation as (
    select * from {{ ref('int_scheduling_offer_allocation') }}
),

-- each patient's best offer (most days saved) within each distance band
best_offers as (
    select
        exam_key,
        max(case when distance_km <= 10 then days_saved end) as days_saved_10km,
        max(case when distance_km <= 20 then days_saved end) as days_saved_20km,
        max(case when distance_km <= 40 then days_saved end) as days_saved_40km
    from candidates
    group by exam_key
),

patient_offers as (
    select
        patients.as_of_date,
        patients.trust_code,
        patients.dm01_test,
        patients.home_latitude is not null as is_located,
        best_offers.days_saved_10km,
        best_offers.days_saved_20km,
        best_offers.days_saved_40km,
        allocation.exam_key is not null as is_allocated,
        {{ dbt.datediff('allocation.slot_date', 'patients.own_option_date', 'day') }}
            as days_saved_allocated
    from patients
    left join best_offers on best_offers.exam_key = patients.exam_key
    left join allocation on allocation.exam_key = patients.exam_key
),

aggregated as (
    select
        as_of_date,
        {{ wmin.trust_or_network() }} as trust_code,
        dm01_test,
        count(*) as patients_waiting,
        sum(case when is_located then 1 else 0 end) as patients_located,
        count(days_saved_10km) as patients_offered_10km,
        count(days_saved_20km) as patients_offered_20km,
        count(days_saved_40km) as patients_offered_40km,
        sum(days_saved_10km) as days_saved_10km,
        sum(days_saved_20km) as days_saved_20km,
        sum(days_saved_40km) as days_saved_40km,
        sum(case when is_allocated then 1 else 0 end) as patients_allocated,
        sum(days_saved_allocated) as days_saved_allocated
    from patient_offers
    group by grouping sets ((as_of_date, trust_code, dm01_test), (as_of_date, dm01_test))  -- noqa: PRS
),

final as (
    select
        as_of_date,
        trust_code,
        dm01_test,
        cast(patients_waiting as bigint) as patients_waiting,
        cast(patients_located as bigint) as patients_located,
        cast(patients_offered_10km as bigint) as patients_offered_10km,
        cast(patients_offered_20km as bigint) as patients_offered_20km,
        cast(patients_offered_40km as bigint) as patients_offered_40km,
        cast(round(coalesce(days_saved_10km, 0) / {{ wmin.double_literal('7.0') }}, 1) as {{ wmin.type_double() }}) as weeks_saved_10km,
        cast(round(coalesce(days_saved_20km, 0) / {{ wmin.double_literal('7.0') }}, 1) as {{ wmin.type_double() }}) as weeks_saved_20km,
        cast(round(coalesce(days_saved_40km, 0) / {{ wmin.double_literal('7.0') }}, 1) as {{ wmin.type_double() }}) as weeks_saved_40km,
        cast(patients_allocated as bigint) as patients_allocated,
        cast(round(coalesce(days_saved_allocated, 0) / {{ wmin.double_literal('7.0') }}, 1) as {{ wmin.type_double() }})
            as weeks_saved_allocated
    from aggregated
)

select * from final
