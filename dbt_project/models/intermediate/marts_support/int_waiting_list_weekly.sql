{{ config(materialized='table') }}
-- The DM01 waiting list at each planning week end (macros/planning_weeks.sql) by trust x site x
-- DM01 test x whole weeks waited: the same membership rule as int_waiting_list_members
-- (macros census_members and is_counted_for_dm01), at weekly census dates instead of month
-- ends, for the planning marts (waiting_list_pressure, waiting_list_projection). A table: both
-- read it and it is a range join. The site is the site of the request that counts the patient.
with

exams as (
    select * from {{ ref('fct_exams') }}
    where activity_category = 'waiting_list'
        and clock_start_date is not null
        and dm01_test is not null
        and clock_start_date <= {{ wmin.as_of_date() }}
        and {{ wmin.is_live_request() }}
        -- a request that leaves the list before the end of its first planning week (or before
        -- the first week end of the window) is on no weekly list: left out before the range join
        and coalesce(least(test_date, cancelled_date), test_date, cancelled_date,
                     cast('9999-12-31' as date))
            > greatest(
                {{ wmin.planning_week_end('clock_start_date') }},
                cast({{ dbt.dateadd('day', -7 * var('planning_history_weeks'), wmin.as_of_date()) }} as date)
            )
),

week_ends as (
    {{ wmin.planning_week_ends() }}
),

members as (
    {{ wmin.census_members('exams', 'week_ends', carry=['site_code']) }}
),

counted as (
    select
        members.census_date,
        members.trust_code,
        members.site_code,
        members.dm01_test,
        members.days_waited,
        {{ wmin.is_counted_for_dm01('members') }} as is_counted_for_dm01
    from members
),

final as (
    select
        census_date as week_end_date,
        trust_code,
        coalesce(site_code, 'UNKNOWN') as site_code,
        dm01_test,
        {{ wmin.whole_weeks('days_waited') }} as weeks_waited,
        cast(count(*) as bigint) as patients,
        cast(sum(days_waited) as bigint) as days_waited_sum
    from counted
    where is_counted_for_dm01
    group by all
)

select * from final
