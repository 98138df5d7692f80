-- Free appointment slots of the scheduling horizon: local dates as_of + 1 .. as_of +
-- 7 x `scheduling_weeks` (the latest delivery of each slot). The one place that says which
-- slots a patient could be offered: scheduling_capacity counts them, the offers allocate them.
with

slots as (
    select
        trust_code,
        slot_id,
        site_code,
        room,
        modality,
        slot_start,
        slot_minutes,
        {{ wmin.local_date('slot_start') }} as slot_date
    from {{ ref('stg_landing__capacity_slots') }}
    where state = 'free'
        and site_code is not null
        and modality is not null
),

final as (
    select * from slots
    where slot_date > {{ wmin.as_of_date() }}
        and slot_date <= {{ dbt.dateadd('day', 7 * var('scheduling_weeks'), wmin.as_of_date()) }}
)

select * from final
