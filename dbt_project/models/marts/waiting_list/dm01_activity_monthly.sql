-- DM01 activity: exams tested in the month with a DM01 test, split into waiting-list, planned
-- and unscheduled tests, by trust and DM01 test; NETWORK rows from the exams.
with

exams as (
    select
        cast({{ dbt.date_trunc('month', 'test_date') }} as date) as month,
        trust_code,
        dm01_test,
        activity_category
    from {{ ref('fct_exams') }}
    where test_date is not null
        and dm01_test is not null
        and {{ wmin.is_live_request() }}
),

aggregated as (
    select
        month,
        {{ wmin.trust_or_network() }} as trust_code,
        dm01_test,
        sum(case when activity_category = 'waiting_list' then 1 else 0 end) as waiting_list_tests,
        sum(case when activity_category = 'planned' then 1 else 0 end) as planned_tests,
        sum(case when activity_category = 'unscheduled' then 1 else 0 end) as unscheduled_tests,
        count(*) as total_tests
    from exams
    group by grouping sets ((month, trust_code, dm01_test), (month, dm01_test))  -- noqa: PRS
),

final as (
    select
        month,
        trust_code,
        dm01_test,
        cast(waiting_list_tests as bigint) as waiting_list_tests,
        cast(planned_tests as bigint) as planned_tests,
        cast(unscheduled_tests as bigint) as unscheduled_tests,
        cast(total_tests as bigint) as total_tests
    from aggregated
)

select * from final
