-- Feed health by local date x trust, from landing.load_manifest, for every day from the
-- trust's first delivery to the as-of date. A delivery's day is the local date of its extract
-- time (not the load time, so a re-run gives the same table).
-- A trust's cadence (1 = nightly, 7 = weekly workbook) is inferred from its own history: the
-- most frequent gap in days between consecutive delivery dates (ties: the shorter). A day is
-- due when at least that many days have passed since the previous delivery date, so a weekly
-- feed is not "missing" six days a week, and a missed week stays missing until a file comes.
-- status: failed  = a file of that day was quarantined (even if a re-delivery the same day
--                   loaded: the manager should still see the broken delivery);
--         missing = no file on a due day;
--         late    = no loaded file extracted before the local hour var `feed_late_hour`;
--         ok      = otherwise (including a day with no file that was not due).
-- last_file_at is the latest extract on or before the day; hours_since_last_file is measured
-- to the end of the day.
with

files as (
    select
        trust_code,
        extract_at,
        {{ wmin.local_date('extract_at') }} as file_date,
        extract(hour from {{ wmin.local_timestamp('extract_at') }}) as local_hour,
        outcome,
        rows_read,
        rows_loaded,
        rows_rejected
    from {{ ref('stg_landing__load_manifest') }}
    where extract_at < {{ wmin.as_of_end() }}
        and trust_code is not null
),

delivery_dates as (
    select distinct trust_code, file_date from files
),

gaps as (
    select
        trust_code,
        {{ dbt.datediff(
            'lag(file_date) over (partition by trust_code order by file_date nulls last)', 'file_date', 'day') }}
            as gap_days
    from delivery_dates
),

cadence as (
    select trust_code, gap_days as cadence_days
    from (
        select
            trust_code,
            gap_days,
            row_number() over (partition by trust_code order by count(*) desc nulls last, gap_days nulls last) as gap_rank
        from gaps
        where gap_days is not null
        group by trust_code, gap_days
    ) as ranked
    where gap_rank = 1
),

trust_days as (
    select
        calendar.date_day,
        first_files.trust_code
    from (
        select trust_code, min(file_date) as first_file_date from files group by trust_code
    ) as first_files
    inner join {{ ref('dim_date') }} as calendar
        on calendar.date_day >= first_files.first_file_date
        and calendar.date_day <= {{ wmin.as_of_date() }}
),

daily as (
    select
        file_date as date_day,
        trust_code,
        count(*) as files_received,
        sum(case when outcome = 'loaded' then 1 else 0 end) as files_loaded,
        sum(case when outcome = 'quarantined' then 1 else 0 end) as files_quarantined,
        sum(case when outcome = 'loaded' and local_hour < {{ var('feed_late_hour') }} then 1 else 0 end)
            as files_on_time,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected
    from files
    group by file_date, trust_code
),

with_last_file as (
    select
        trust_days.date_day,
        trust_days.trust_code,
        coalesce(daily.files_received, 0) as files_received,
        coalesce(daily.files_loaded, 0) as files_loaded,
        coalesce(daily.files_quarantined, 0) as files_quarantined,
        coalesce(daily.files_on_time, 0) as files_on_time,
        coalesce(daily.rows_read, 0) as rows_read,
        coalesce(daily.rows_loaded, 0) as rows_loaded,
        coalesce(daily.rows_rejected, 0) as rows_rejected,
        (
            select max(files.extract_at)
            from files
            where files.trust_code = trust_days.trust_code
                and files.file_date <= trust_days.date_day
        ) as last_file_at,
        (
            select max(delivery_dates.file_date)
            from delivery_dates
            where delivery_dates.trust_code = trust_days.trust_code
                and delivery_dates.file_date < trust_days.date_day
        ) as previous_file_date,
        coalesce(cadence.cadence_days, 1) as cadence_days
    from trust_days
    left join daily
        on daily.date_day = trust_days.date_day
        and daily.trust_code = trust_days.trust_code
    left join cadence on cadence.trust_code = trust_days.trust_code
),

with_due as (
    select
        with_last_file.*,
        files_received > 0
            or previous_file_date is null
            or {{ dbt.datediff('previous_file_date', 'date_day', 'day') }} >= cadence_days as delivery_due
    from with_last_file
),

final as (
    select
        date_day as date,
        trust_code,
        cast(files_received as bigint) as files_received,
        cast(rows_read as bigint) as rows_read,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_rejected as bigint) as rows_rejected,
        cast(case when rows_read > 0 then {{ wmin.double_literal('1.0') }} * rows_rejected / rows_read end
            as {{ wmin.type_double() }}) as reject_rate,
        last_file_at,
        cast({{ wmin.hours_between('last_file_at', wmin.local_midnight(dbt.dateadd('day', 1, 'date_day'))) }}
            as {{ wmin.type_double() }}) as hours_since_last_file,
        case
            when files_quarantined > 0 then 'failed'
            when files_received = 0 and delivery_due then 'missing'
            when files_received = 0 then 'ok'
            when files_on_time = 0 then 'late'
            else 'ok'
        end as status,
        cast(files_loaded as bigint) as files_loaded,
        cast(files_quarantined as bigint) as files_quarantined,
        delivery_due,
        cast(cadence_days as integer) as cadence_days
    from with_due
)

select * from final
