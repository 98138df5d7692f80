-- Scanner utilisation by local date x site x room, up to the as-of date.
-- available = free + booked slot minutes (blocked slots are not available); booked = booked
-- slot minutes; used = time the room has an exam in it (exam start to completion; exams that
-- overlap in one room count once), clipped to the local day; used_in_slots = the part of it
-- inside the room's free or booked slots, used_outside_slots = the rest (lists running late,
-- blocked slots, rooms or days without an appointment book); dna_slots = booked slots whose
-- exam has a did-not-attend event on the slot's local date;
-- utilisation = 100 * used_in_slots / available, so never above 100.
with

calendar as (
    select date_day from {{ ref('dim_date') }}
),

-- each day's start and end as instants, so a local date is found by comparisons: converting
-- every slot's start and every exam's completion to local time was a third of this model
day_bounds as (
    select
        date_day,
        {{ wmin.local_midnight('date_day') }} as day_start,
        {{ wmin.local_midnight(dbt.dateadd('day', 1, 'date_day')) }} as next_midnight
    from calendar
),

-- a slot's local date: its UTC date, or the day before or after when the zone's offset moves
-- it across midnight (any offset under a day)
slots as (
    select
        slots.site_code,
        slots.room,
        slots.trust_code,
        slots.accession,
        slots.state,
        slots.slot_start,
        slots.slot_minutes,
        case
            -- outside the calendar (dim_date): converted one by one
            when day_bounds.date_day is null then {{ wmin.local_date('slots.slot_start') }}
            when slots.slot_start >= day_bounds.next_midnight
                then cast({{ dbt.dateadd('day', 1, 'slots.utc_date') }} as date)
            when slots.slot_start < day_bounds.day_start
                then cast({{ dbt.dateadd('day', -1, 'slots.utc_date') }} as date)
            else slots.utc_date
        end as slot_date
    from (
        select *, cast(slot_start as date) as utc_date
        from {{ ref('stg_landing__capacity_slots') }}
        where site_code is not null
            and room is not null
            and state in ('free', 'booked')
    ) as slots
    left join day_bounds
        on day_bounds.date_day = slots.utc_date
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

-- the room's time with an exam in it, and its open time (free and booked slots), as intervals
-- with the local date of their start (fct_exams: a test starts when its exam starts)
intervals as (
    select 'exam' as kind, site_code, room, exam_started_at as starts_at,
        exam_completed_at as ends_at, test_date as start_day
    from {{ ref('fct_exams') }}
    where site_code is not null
        and room is not null
        and exam_started_at is not null
        and exam_completed_at > exam_started_at
        and {{ wmin.is_live_request() }}
    union all
    select 'slot' as kind, site_code, room, slot_start as starts_at,
        {{ dbt.dateadd('minute', 'slot_minutes', 'slot_start') }} as ends_at, slot_date as start_day
    from slots
    where slot_minutes > 0
),

spans as (
    select
        intervals.*,
        case
            when intervals.ends_at <= day_ends.next_midnight then intervals.start_day
            else {{ wmin.local_date('intervals.ends_at') }}
        end as end_day
    from intervals
    left join day_bounds as day_ends
        on day_ends.date_day = intervals.start_day
),

-- each interval clipped to the local days it touches. Nearly every one starts and ends on one
-- day: those need no calendar (a range join of every exam with the calendar was most of this
-- model's time); the few over midnight are cut at each midnight.
pieces as (
    select kind, site_code, room, start_day as date_day, starts_at, ends_at
    from spans
    where start_day = end_day
    union all
    select
        spans.kind,
        spans.site_code,
        spans.room,
        calendar.date_day,
        greatest(spans.starts_at, {{ wmin.local_midnight('calendar.date_day') }}) as starts_at,
        least(spans.ends_at, {{ wmin.local_midnight(dbt.dateadd('day', 1, 'calendar.date_day')) }})
            as ends_at
    from spans
    inner join calendar
        on calendar.date_day between spans.start_day and spans.end_day
    where spans.start_day <> spans.end_day
),

-- overlapping pieces of one kind, room and day merged into islands: two accessions scanned in
-- one sitting, or back-to-back slots, are one stretch of time
reached as (
    select
        *,
        max(ends_at) over (
            partition by kind, site_code, room, date_day order by starts_at, ends_at
            rows between unbounded preceding and 1 preceding
        ) as reached_before
    from pieces
    where ends_at > starts_at
),

numbered as (
    select
        *,
        sum(case when reached_before is null or starts_at > reached_before then 1 else 0 end) over (
            partition by kind, site_code, room, date_day order by starts_at, ends_at
            rows between unbounded preceding and current row
        ) as island
    from reached
),

islands as (
    select kind, site_code, room, date_day, min(starts_at) as starts_at, max(ends_at) as ends_at
    from numbered
    group by kind, site_code, room, date_day, island
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
        cast(round(coalesce(used.used_seconds, 0) / 60.0) as bigint) as used_minutes,
        cast(coalesce(slot_days.dna_slots, 0) as bigint) as dna_slots,
        cast({{ wmin.pct('coalesce(used_in_slots.in_slots_seconds, 0) / 60.0', 'slot_days.available_minutes') }}
            as {{ wmin.type_double() }}) as utilisation_pct,
        cast(round(coalesce(used_in_slots.in_slots_seconds, 0) / 60.0) as bigint)
            as used_in_slots_minutes,
        cast(round(coalesce(used.used_seconds, 0) / 60.0)
            - round(coalesce(used_in_slots.in_slots_seconds, 0) / 60.0) as bigint)
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
