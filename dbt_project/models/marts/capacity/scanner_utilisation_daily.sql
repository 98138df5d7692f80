-- Scanner utilisation by local date x site x room, up to the as-of date.
-- available = free + booked slot minutes (blocked slots are not available); booked = booked
-- slot minutes; used = time the room has an exam in it (exam start to completion; exams that
-- overlap in one room count once), clipped to the local day; used_in_slots = the part of it
-- inside the room's free or booked slots, used_outside_slots = the rest (lists running late,
-- blocked slots, rooms or days without an appointment book); dna_slots = booked slots whose
-- exam has a did-not-attend event on the slot's local date;
-- utilisation = 100 * used_in_slots / available, so never above 100.
-- The slots' local dates and the room's time as day islands are intermediate models
-- (int_capacity_slots_dated, int_room_time_islands); this model adds them up per day and room.
with

slots as (
    select * from {{ ref('int_capacity_slots_dated') }}
),

islands as (
    select * from {{ ref('int_room_time_islands') }}
),

dna_events as (
    select distinct
        trust_code,
        accession,
        {{ wmin.local_date('event_at') }} as dna_date
    from {{ ref('stg_landing__exam_events') }}
    where event = 'did_not_attend'
        and is_withdrawn is not true  -- live events only (stg_landing__exam_events)
        and event_at < {{ wmin.as_of_end() }}
),

slot_days as (
    select
        slots.slot_date as date_day,
        slots.site_code,
        slots.room,
        sum(slots.slot_minutes) as available_minutes,
        sum(case when slots.state = 'booked' then slots.slot_minutes else 0 end) as booked_minutes,
        sum(case when slots.state = 'booked' and dna_events.dna_date is not null then 1 else 0 end)
            as dna_slots
    from slots
    left join dna_events
        on slots.state = 'booked'
        and dna_events.trust_code = slots.trust_code
        and dna_events.accession = slots.accession
        and dna_events.dna_date = slots.slot_date
    group by slots.slot_date, slots.site_code, slots.room
),

-- time in whole seconds (the feeds' precision), so the day's total is exact and a half minute
-- rounds the same way on every engine (fractional hours summed drift below .5)
used as (
    select
        date_day,
        site_code,
        room,
        sum(round({{ wmin.hours_between('starts_at', 'ends_at') }} * 3600)) as used_seconds
    from islands
    where kind = 'exam'
    group by date_day, site_code, room
),

used_in_slots as (
    select
        busy.date_day,
        busy.site_code,
        busy.room,
        sum(round({{ wmin.hours_between(
            'greatest(busy.starts_at, open_time.starts_at)', 'least(busy.ends_at, open_time.ends_at)'
        ) }} * 3600)) as in_slots_seconds
    from islands as busy
    inner join islands as open_time
        on open_time.kind = 'slot'
        and open_time.date_day = busy.date_day
        and open_time.site_code = busy.site_code
        and open_time.room = busy.room
        and open_time.starts_at < busy.ends_at
        and open_time.ends_at > busy.starts_at
    where busy.kind = 'exam'
    group by busy.date_day, busy.site_code, busy.room
),

final as (
    select
        cast(coalesce(slot_days.date_day, used.date_day) as date) as date,
        coalesce(slot_days.site_code, used.site_code) as site_code,
        coalesce(slot_days.room, used.room) as room,
        cast(coalesce(slot_days.available_minutes, 0) as bigint) as available_minutes,
        cast(coalesce(slot_days.booked_minutes, 0) as bigint) as booked_minutes,
        cast(round(coalesce(used.used_seconds, 0) / {{ wmin.double_literal('60.0') }}) as bigint) as used_minutes,
        cast(coalesce(slot_days.dna_slots, 0) as bigint) as dna_slots,
        cast({{ wmin.pct('coalesce(used_in_slots.in_slots_seconds, 0) / ' ~ wmin.double_literal('60.0'), 'slot_days.available_minutes') }}
            as {{ wmin.type_double() }}) as utilisation_pct,
        cast(round(coalesce(used_in_slots.in_slots_seconds, 0) / {{ wmin.double_literal('60.0') }}) as bigint)
            as used_in_slots_minutes,
        cast(round(coalesce(used.used_seconds, 0) / {{ wmin.double_literal('60.0') }})
            - round(coalesce(used_in_slots.in_slots_seconds, 0) / {{ wmin.double_literal('60.0') }}) as bigint)
            as used_outside_slots_minutes
    from slot_days
    full outer join used
        on used.date_day = slot_days.date_day
        and used.site_code = slot_days.site_code
        and used.room = slot_days.room
    left join used_in_slots
        on used_in_slots.date_day = used.date_day
        and used_in_slots.site_code = used.site_code
        and used_in_slots.room = used.room
    where coalesce(slot_days.date_day, used.date_day) <= {{ wmin.as_of_date() }}
)

select * from final
