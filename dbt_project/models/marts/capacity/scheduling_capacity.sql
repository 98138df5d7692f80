-- Free capacity over the next `scheduling_weeks` weeks (local dates as_of+1 .. as_of+42) by
-- site x modality, with the trust's waiting patients of that modality who have no booking to
-- come, ranked across the network per modality so a patient can be offered the site that can
-- see them soonest (earliest free slot first, then the shortest time to clear).
-- Waiting = on the waiting list at the as-of date (int_waiting_list_members, every modality);
-- unbooked = no booking, or the latest booking's appointment is before the end of the as-of day.
-- waiting_unbooked counts patients (docs/metrics.md): a patient with several unbooked requests of the
-- trust for the modality counts once; one whose request is booked but who has another request
-- unbooked still needs a slot, so counts.
with

as_of as (
    select {{ wmin.as_of_date() }} as as_of_date
),

-- every site and modality the appointment book knows, free slots to come or not
site_modalities as (
    select distinct site_code, trust_code, modality
    from {{ ref('stg_landing__capacity_slots') }}
    where site_code is not null
        and modality is not null
),

-- the horizon's free slots (int_scheduling_free_slots: the one place that says which)
free_slots as (
    select
        site_code,
        modality,
        count(*) as free_slots,
        sum(slot_minutes) as free_minutes,
        min(slot_start) as earliest_free_slot_at
    from {{ ref('int_scheduling_free_slots') }}
    group by site_code, modality
),

waiting as (
    select
        trust_code,
        modality,
        count(distinct counted_patient_key) as waiting_unbooked
    from {{ ref('int_waiting_list_members') }}
    where census_date = {{ wmin.as_of_date() }}
        and (booked_for is null or booked_for < {{ wmin.as_of_end() }})
    group by trust_code, modality
),

joined as (
    select
        as_of.as_of_date,
        site_modalities.site_code,
        site_modalities.trust_code,
        site_modalities.modality,
        coalesce(free_slots.free_slots, 0) as free_slots,
        coalesce(free_slots.free_minutes, 0) as free_minutes,
        free_slots.earliest_free_slot_at,
        coalesce(waiting.waiting_unbooked, 0) as waiting_unbooked
    from site_modalities
    cross join as_of
    left join free_slots
        on free_slots.site_code = site_modalities.site_code
        and free_slots.modality = site_modalities.modality
    left join waiting
        on waiting.trust_code = site_modalities.trust_code
        and waiting.modality = site_modalities.modality
),

final as (
    select
        as_of_date,
        site_code,
        modality,
        cast(free_slots as bigint) as free_slots,
        cast(free_minutes as bigint) as free_minutes,
        earliest_free_slot_at,
        cast(waiting_unbooked as bigint) as waiting_unbooked,
        cast(case when free_slots > 0
                  then waiting_unbooked / (free_slots / {{ wmin.double_literal(var('scheduling_weeks') ~ '.0') }}) end
             as {{ wmin.type_double() }}) as est_weeks_to_clear,
        trust_code,
        cast(row_number() over (
            partition by modality
            order by case when earliest_free_slot_at is null then 1 else 0 end nulls last,
                     earliest_free_slot_at nulls last,
                     case when free_slots > 0
                          then waiting_unbooked / (free_slots / {{ wmin.double_literal(var('scheduling_weeks') ~ '.0') }}) end nulls last,
                     site_code nulls last
        ) as integer) as network_rank,
        {{ wmin.local_timestamp('earliest_free_slot_at') }} as earliest_free_slot_at_local
    from joined
)

select * from final
