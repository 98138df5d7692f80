-- The dates the snapshot marts are computed for:
--   census   (waiting_list_census): every month end from the first month of tests in the data
--             up to before the as-of date, plus the as-of date itself;
--   backlog  (reporting_backlog): the census dates plus every day of the last
--             `backlog_daily_days` days up to the as-of date (daily over the whole window
--             would be large for little use; month ends keep the long trend).
with

data_window as (
    select
        coalesce(min(test_date), {{ wmin.as_of_date() }}) as first_test_date
    from {{ ref('fct_exams') }}
    where test_date <= {{ wmin.as_of_date() }}
),

calendar as (
    select date_day, is_month_end from {{ ref('dim_date') }}
),

census as (
    select calendar.date_day as report_date
    from calendar
    cross join data_window
    where calendar.is_month_end
        and calendar.date_day >= data_window.first_test_date
        and calendar.date_day < {{ wmin.as_of_date() }}
    union
    select {{ wmin.as_of_date() }} as report_date
),

recent_days as (
    select date_day as report_date
    from calendar
    where date_day > {{ dbt.dateadd('day', -1 * var('backlog_daily_days'), wmin.as_of_date()) }}
        and date_day <= {{ wmin.as_of_date() }}
),

final as (
    select report_date, true as is_census_date from census
    union all
    select recent_days.report_date, false as is_census_date
    from recent_days
    where recent_days.report_date not in (select census.report_date from census)
)

select * from final
