-- Pseudonymised offers (docs/offers.md): one row per waiting patient x site of another trust
-- that could scan them sooner than their own option, within `offers_max_km` of their postcode
-- district (int_scheduling_offer_candidates), with the slot the network's greedy allocation by
-- longest wait gives them (int_scheduling_offer_allocation), if any. No NHS number, accession
-- or postcode: restricted/scheduling_offer_list adds those for the patient's own trust.
with

candidates as (
    select * from {{ ref('int_scheduling_offer_candidates') }}
),

allocation as (
    select * from {{ ref('int_scheduling_offer_allocation') }}
),

final as (
    select
        candidates.as_of_date,
        candidates.exam_key,
        candidates.trust_code,
        candidates.dm01_test,
        candidates.modality,
        candidates.priority,
        candidates.clock_start_date,
        cast(candidates.weeks_waited as integer) as weeks_waited,
        candidates.own_option,
        candidates.own_option_date,
        candidates.offered_site_code,
        candidates.offered_trust_code,
        candidates.offered_slot_at,
        cast(candidates.offered_slot_minutes as integer) as offered_slot_minutes,
        cast(candidates.procedure_minutes as integer) as procedure_minutes,
        cast(candidates.days_saved as integer) as days_saved,
        cast(round(candidates.days_saved / {{ wmin.double_literal('7.0') }}, 1) as {{ wmin.type_double() }}) as weeks_saved,
        cast(round(candidates.distance_km, 1) as {{ wmin.type_double() }}) as distance_km,
        allocation.exam_key is not null as is_allocated,
        allocation.slot_start as allocated_slot_at,
        allocation.slot_id as allocated_slot_id
    from candidates
    left join allocation
        on allocation.exam_key = candidates.exam_key
        and allocation.site_code = candidates.offered_site_code
)

select * from final
