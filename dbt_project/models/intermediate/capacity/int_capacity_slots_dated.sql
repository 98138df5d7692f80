-- The appointment-book slots that count as open time (free or booked, with a site and room),
-- each with its local date: its UTC date, or the day before or after when the zone's offset
-- moves it across midnight (any offset under a day). Outside the calendar (dim_date) a slot's
-- date is converted on its own.
with

slots as (
    select
        *,
        cast(slot_start as date) as utc_date
    from {{ ref('stg_landing__capacity_slots') }}
    where site_code is not null
        and room is not null
        and state in ('free', 'booked')
)

select
    slots.trust_code,
    slots.slot_id,
    slots.site_code,
    slots.room,
    slots.accession,
    slots.state,
    slots.slot_start,
    slots.slot_minutes,
    case
        when day_bounds.date_day is null then {{ wmin.local_date('slots.slot_start') }}
        when slots.slot_start >= day_bounds.next_midnight
            then cast({{ dbt.dateadd('day', 1, 'slots.utc_date') }} as date)
        when slots.slot_start < day_bounds.day_start
            then cast({{ dbt.dateadd('day', -1, 'slots.utc_date') }} as date)
        else slots.utc_date
    end as slot_date
from slots
left join {{ ref('int_local_day_bounds') }} as day_bounds
    on day_bounds.date_day = slots.utc_date
