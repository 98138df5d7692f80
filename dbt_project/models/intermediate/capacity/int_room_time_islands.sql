{{ config(materialized='table') }}
-- A room's time with an exam in it (kind 'exam': exam start to completion, fct_exams) and its
-- open time (kind 'slot': free and booked slots), as stretches within one local day: overlapping
-- or touching intervals of one kind, room and day are merged into one island (two accessions
-- scanned in one sitting, or back-to-back slots, are one stretch of time). A table, not a view:
-- its uniqueness test and scanner_utilisation_daily (which reads it twice) would each compute
-- the islands again over every exam's and slot's history.
with

intervals as (
    select
        'exam' as kind,
        site_code,
        room,
        exam_started_at as starts_at,
        exam_completed_at as ends_at,
        test_date as start_day
    from {{ ref('fct_exams') }}
    where site_code is not null
        and room is not null
        and exam_started_at is not null
        and exam_completed_at > exam_started_at
        and {{ wmin.is_live_request() }}
    union all
    select
        'slot' as kind,
        site_code,
        room,
        slot_start as starts_at,
        {{ dbt.dateadd('minute', 'slot_minutes', 'slot_start') }} as ends_at,
        slot_date as start_day
    from {{ ref('int_capacity_slots_dated') }}
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
    left join {{ ref('int_local_day_bounds') }} as day_ends
        on day_ends.date_day = intervals.start_day
),

-- each interval clipped to the local days it touches. Nearly every one starts and ends on one
-- day: those need no calendar (a range join of every exam with the calendar would dominate the
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
    inner join {{ ref('dim_date') }} as calendar
        on calendar.date_day between spans.start_day and spans.end_day
    where spans.start_day <> spans.end_day
),

reached as (
    select
        *,
        max(ends_at) over (
            partition by kind, site_code, room, date_day order by starts_at nulls last, ends_at nulls last
            rows between unbounded preceding and 1 preceding
        ) as reached_before
    from pieces
    where ends_at > starts_at
),

numbered as (
    select
        *,
        sum(case when reached_before is null or starts_at > reached_before then 1 else 0 end) over (
            partition by kind, site_code, room, date_day order by starts_at nulls last, ends_at nulls last
            rows between unbounded preceding and current row
        ) as island
    from reached
)

select
    kind,
    site_code,
    room,
    date_day,
    min(starts_at) as starts_at,
    max(ends_at) as ends_at
from numbered
group by kind, site_code, room, date_day, island
