-- Scanner utilisation by local date x site x room, up to the as-of date.
-- available = free + booked slot minutes (blocked slots are not available); booked = booked
-- slot minutes; used = exam start to completion, clipped to the local day (an exam over
-- midnight counts on both days); dna_slots = booked slots whose exam has a did-not-attend
-- event on the slot's local date; utilisation = 100 * used / available.
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

exams as (
    select
        site_code,
        room,
        exam_started_at,
        exam_completed_at,
        -- the local date of exam_started_at (fct_exams: a test starts when its exam starts)
        test_date as start_day
    from {{ ref('fct_exams') }}
    where site_code is not null
        and room is not null
        and exam_started_at is not null
        and exam_completed_at > exam_started_at
),

exam_spans as (
    select
        exams.site_code,
        exams.room,
        exams.exam_started_at,
        exams.exam_completed_at,
        exams.start_day,
        case
            when exams.exam_completed_at < day_ends.next_midnight then exams.start_day
            else {{ wmin.local_date('exams.exam_completed_at') }}
        end as end_day
    from exams
    left join day_bounds as day_ends
        on day_ends.date_day = exams.start_day
),

-- used time in whole seconds (the feeds' precision), so the day's total is exact and a half
-- minute rounds the same way on every engine (fractional hours summed drift below .5).
-- Nearly every exam starts and ends on one local day: those need no calendar (a range join
-- of every exam with the calendar was most of this model's time); the few over midnight are
-- clipped to each day they touch.
exam_days as (
    select
        start_day as date_day,
        site_code,
        room,
        round({{ wmin.hours_between('exam_started_at', 'exam_completed_at') }} * 3600) as used_seconds
    from exam_spans
    where start_day = end_day
    union all
    select
        calendar.date_day,
        exams.site_code,
        exams.room,
        round({{ wmin.hours_between(
            'greatest(exams.exam_started_at, ' ~ wmin.local_midnight('calendar.date_day') ~ ')',
            'least(exams.exam_completed_at, ' ~ wmin.local_midnight(dbt.dateadd('day', 1, 'calendar.date_day')) ~ ')'
        ) }} * 3600) as used_seconds
    from exam_spans as exams
    inner join calendar
        on calendar.date_day between exams.start_day and exams.end_day
    where exams.start_day <> exams.end_day
),

used as (
    select date_day, site_code, room, sum(used_seconds) / 60.0 as used_minutes
    from exam_days
    group by date_day, site_code, room
),

final as (
    select
        cast(coalesce(slot_days.date_day, used.date_day) as date) as date,
        coalesce(slot_days.site_code, used.site_code) as site_code,
        coalesce(slot_days.room, used.room) as room,
        cast(coalesce(slot_days.available_minutes, 0) as bigint) as available_minutes,
        cast(coalesce(slot_days.booked_minutes, 0) as bigint) as booked_minutes,
        cast(round(coalesce(used.used_minutes, 0)) as bigint) as used_minutes,
        cast(coalesce(slot_days.dna_slots, 0) as bigint) as dna_slots,
        cast({{ wmin.pct('coalesce(used.used_minutes, 0)', 'slot_days.available_minutes') }}
            as {{ wmin.type_double() }}) as utilisation_pct
    from slot_days
    full outer join used
        on used.date_day = slot_days.date_day
        and used.site_code = slot_days.site_code
        and used.room = slot_days.room
    where coalesce(slot_days.date_day, used.date_day) <= {{ wmin.as_of_date() }}
)

select * from final
