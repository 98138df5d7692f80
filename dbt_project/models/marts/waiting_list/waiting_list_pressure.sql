-- Waiting-list pressure (docs/metrics.md "Waiting-list pressure"; the NHS-R community's
-- NHSRwaitinglist definitions) per planning week x trust x site x DM01 test, and per trust x
-- test over all its sites (site_code 'ALL'). Weekly demand is the requests added to the list
-- (clock starts), weekly capacity the list's patients tested (removals by test); their means
-- and variability are over the last `planning_window_weeks` weeks; the list (size, 6+ weeks,
-- mean wait) is int_waiting_list_weekly's at the week end.
with

week_ends as (
    {{ wmin.planning_week_ends() }}
),

list_at_week_end as (
    select
        week_end_date,
        trust_code,
        site_code,
        dm01_test,
        sum(patients) as waiting,
        sum(case when weeks_waited >= {{ var('dm01_target_weeks') }} then patients else 0 end)
            as waiting_over_target,
        sum(days_waited_sum) as days_waited_sum
    from {{ ref('int_waiting_list_weekly') }}
    group by all
),

requests as (
    select trust_code, coalesce(site_code, 'UNKNOWN') as site_code, dm01_test,
        clock_start_date, test_date, cancelled_date
    from {{ ref('fct_exams') }}
    where activity_category = 'waiting_list'
        and clock_start_date is not null
        and dm01_test is not null
        and {{ wmin.is_live_request() }}
),

events as (
    select trust_code, site_code, dm01_test, clock_start_date as event_date,
        1 as is_addition, 0 as is_test
    from requests
    union all
    select trust_code, site_code, dm01_test, test_date as event_date, 0 as is_addition, 1 as is_test
    from requests
    where test_date is not null
),

flows as (
    select
        {{ wmin.planning_week_end('event_date') }} as week_end_date,
        trust_code,
        site_code,
        dm01_test,
        sum(is_addition) as additions,
        sum(is_test) as tests
    from events
    where event_date <= {{ wmin.as_of_date() }}
        and event_date > {{ dbt.dateadd('day', -7 * (var('planning_history_weeks') + 1), wmin.as_of_date()) }}
    group by all
),

lists_seen as (
    select trust_code, site_code, dm01_test from list_at_week_end
    union
    select trust_code, site_code, dm01_test from flows
),

-- every week of every list, so a week without additions or tests counts as zero in the window
weekly as (
    select
        week_ends.census_date as week_end_date,
        lists_seen.trust_code,
        lists_seen.site_code,
        lists_seen.dm01_test,
        coalesce(flows.additions, 0) as additions,
        coalesce(flows.tests, 0) as tests,
        coalesce(list_at_week_end.waiting, 0) as waiting,
        coalesce(list_at_week_end.waiting_over_target, 0) as waiting_over_target,
        coalesce(list_at_week_end.days_waited_sum, 0) as days_waited_sum
    from lists_seen
    cross join week_ends
    left join flows
        on flows.week_end_date = week_ends.census_date
        and flows.trust_code = lists_seen.trust_code
        and flows.site_code = lists_seen.site_code
        and flows.dm01_test = lists_seen.dm01_test
    left join list_at_week_end
        on list_at_week_end.week_end_date = week_ends.census_date
        and list_at_week_end.trust_code = lists_seen.trust_code
        and list_at_week_end.site_code = lists_seen.site_code
        and list_at_week_end.dm01_test = lists_seen.dm01_test
),

sites_and_trusts as (
    select
        week_end_date,
        trust_code,
        case when grouping(site_code) = 1 then 'ALL' else site_code end as site_code,
        dm01_test,
        sum(additions) as additions,
        sum(tests) as tests,
        sum(waiting) as waiting,
        sum(waiting_over_target) as waiting_over_target,
        sum(days_waited_sum) as days_waited_sum
    from weekly
    group by grouping sets (  -- noqa: PRS
        (week_end_date, trust_code, site_code, dm01_test),
        (week_end_date, trust_code, dm01_test)
    )
),

rolling as (
    select
        *,
        count(*) over recent_weeks as weeks_in_window,
        avg(additions) over recent_weeks as demand_mean,
        var_samp(additions) over recent_weeks as demand_variance,
        avg(tests) over recent_weeks as capacity_mean,
        var_samp(tests) over recent_weeks as capacity_variance
    from sites_and_trusts
    window recent_weeks as (
        partition by trust_code, site_code, dm01_test
        order by week_end_date nulls last
        rows between {{ var('planning_window_weeks') - 1 }} preceding and current row
    )
),

measured as (
    select
        *,
        case when waiting > 0 then days_waited_sum / {{ wmin.double_literal('7.0') }} / waiting end as mean_weeks_waited,
        -- variance / mean of weekly counts: for a renewal process the count-based estimate of
        -- the squared coefficient of variation of the times between arrivals (or tests), the
        -- cv^2 of Kingman's formula; 1 for Poisson arrivals
        case when demand_mean > 0 then coalesce(demand_variance, 0) / demand_mean else 0 end
            as demand_cv_squared,
        case when capacity_mean > 0 then coalesce(capacity_variance, 0) / capacity_mean else 0 end
            as capacity_cv_squared,
        {{ var('dm01_target_weeks') }} * {{ wmin.double_literal('1.0') }} / {{ var('target_wait_factor') }} as target_mean_wait
    from rolling
),

final as (
    select
        cast(week_end_date as date) as week_end_date,
        trust_code,
        site_code,
        dm01_test,
        cast(additions as bigint) as additions,
        cast(tests as bigint) as tests,
        cast(waiting as bigint) as waiting,
        cast(waiting_over_target as bigint) as waiting_6_plus_weeks,
        cast(mean_weeks_waited as {{ wmin.type_double() }}) as mean_weeks_waited,
        cast(weeks_in_window as integer) as weeks_in_window,
        cast(demand_mean as {{ wmin.type_double() }}) as demand_mean,
        cast(case when demand_mean > 0 then sqrt(coalesce(demand_variance, 0)) / demand_mean end
            as {{ wmin.type_double() }}) as demand_cv,
        cast(capacity_mean as {{ wmin.type_double() }}) as capacity_mean,
        cast(case when capacity_mean > 0 then sqrt(coalesce(capacity_variance, 0)) / capacity_mean end
            as {{ wmin.type_double() }}) as capacity_cv,
        cast(case when capacity_mean > 0 then demand_mean / capacity_mean end
            as {{ wmin.type_double() }}) as queue_load,
        cast(demand_mean * target_mean_wait as {{ wmin.type_double() }}) as target_queue_size,
        cast(demand_mean + (demand_cv_squared + capacity_cv_squared) / target_mean_wait
            as {{ wmin.type_double() }}) as target_capacity,
        cast(demand_mean + (waiting - demand_mean * target_mean_wait) / {{ var('relief_weeks') }}
            as {{ wmin.type_double() }}) as relief_capacity,
        cast({{ wmin.double_literal('2.0') }} * mean_weeks_waited / {{ var('dm01_target_weeks') }} as {{ wmin.type_double() }})
            as pressure,
        coalesce(capacity_mean = 0 and demand_mean > 0 or demand_mean > capacity_mean, false)
            as is_overloaded
    from measured
)

select * from final
