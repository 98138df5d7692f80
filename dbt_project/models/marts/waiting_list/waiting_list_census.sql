-- DM01 waiting list at each census date x trust x DM01 test, NETWORK rows from the patients.
-- Each patient counted once per test (DOMAIN.md DM01), with their longest wait: the member row
-- int_waiting_list_members marks is_counted_for_dm01. A patient on two trusts' lists counts at
-- both (DM01 is returned per provider), so NETWORK = the sum of the trusts.
with

members as (
    select * from {{ ref('int_waiting_list_members') }}
    where is_counted_for_dm01
),

aggregated as (
    select
        census_date,
        {{ wmin.trust_or_network() }} as trust_code,
        dm01_test,
        count(*) as total_waiting,
        sum(case when weeks_waited >= 6 then 1 else 0 end) as waiting_6_plus_weeks,
        sum(case when weeks_waited >= 13 then 1 else 0 end) as waiting_13_plus_weeks,
        {{ wmin.quantile_cont('weeks_waited', 0.5) }} as median_weeks_waited,
        max(weeks_waited) as max_weeks_waited
    from members
    group by grouping sets ((census_date, trust_code, dm01_test), (census_date, dm01_test))  -- noqa: PRS
),

final as (
    select
        aggregated.census_date,
        aggregated.trust_code,
        aggregated.dm01_test,
        cast(aggregated.total_waiting as bigint) as total_waiting,
        cast(aggregated.waiting_6_plus_weeks as bigint) as waiting_6_plus_weeks,
        cast(aggregated.waiting_13_plus_weeks as bigint) as waiting_13_plus_weeks,
        cast({{ wmin.pct('aggregated.waiting_6_plus_weeks', 'aggregated.total_waiting') }} as {{ wmin.type_double() }})
            as pct_waiting_6_plus_weeks,
        cast(aggregated.median_weeks_waited as {{ wmin.type_double() }}) as median_weeks_waited,
        cast(aggregated.max_weeks_waited as integer) as max_weeks_waited,
        calendar.is_month_end
    from aggregated
    -- the calendar says which census dates are month ends (the as-of date may be one or not)
    inner join {{ ref('dim_date') }} as calendar on calendar.date_day = aggregated.census_date
)

select * from final
