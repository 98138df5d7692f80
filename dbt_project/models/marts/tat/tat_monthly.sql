-- Turnaround by month of test x trust x modality x priority, with NETWORK rows computed from
-- the exams (grouping sets), never by averaging trusts. Reported figures count exams tested in
-- the month whose first verified report exists at the as-of time.
-- A table rebuilt each night from fct_exams: rebuilding only the months that can differ saved
-- under half a second a night (docs/benchmarks.md, "Incremental or table, per model").
with

exams as (
    select * from {{ ref('fct_exams') }}
    where test_date is not null
        and {{ wmin.is_live_request() }}
        and modality is not null
        and priority is not null
),

measured as (
    select
        cast({{ dbt.date_trunc('month', 'test_date') }} as date) as month,
        trust_code,
        modality,
        priority,
        request_to_test_days,
        report_verified_at,
        test_to_report_days,
        test_to_report_hours,
        case when reported_within_target then 1 else 0 end as is_within_target,
        -- still unreported and still inside its target window at the end of the as-of day
        case
            when report_verified_at is null
                 and {{ wmin.hours_between('test_at', wmin.as_of_end()) }} <= target_hours
            then 1 else 0
        end as is_pending_inside_target,
        case
            when report_verified_at is not null and test_to_report_days > 28 then 1
            when report_verified_at is null
                 and {{ dbt.datediff('test_date', wmin.as_of_date(), 'day') }} > 28 then 1
            else 0
        end as is_over_28_days
    from exams
),

aggregated as (
    select
        month,
        {{ wmin.trust_or_network() }} as trust_code,
        modality,
        priority,
        count(*) as exams_tested,
        {{ wmin.quantiles_cont('request_to_test_days', [0.5, 0.9]) }} as request_to_test_days_q,
        count(report_verified_at) as exams_reported,
        {{ wmin.quantiles_cont('test_to_report_days', [0.5, 0.9]) }} as test_to_report_days_q,
        {{ wmin.quantile_cont('test_to_report_hours', 0.5) }} as test_to_report_median_hours,
        sum(is_within_target) as reported_within_target,
        count(*) - sum(is_pending_inside_target) as within_target_denominator,
        sum(is_over_28_days) as reported_over_28_days
    from measured
    group by grouping sets ((month, trust_code, modality, priority), (month, modality, priority))  -- noqa: PRS
),

final as (
    select
        month,
        trust_code,
        modality,
        priority,
        cast(exams_tested as bigint) as exams_tested,
        cast({{ wmin.list_item('request_to_test_days_q', 1) }} as {{ wmin.type_double() }}) as request_to_test_median_days,
        cast({{ wmin.list_item('request_to_test_days_q', 2) }} as {{ wmin.type_double() }}) as request_to_test_p90_days,
        cast(exams_reported as bigint) as exams_reported,
        cast({{ wmin.list_item('test_to_report_days_q', 1) }} as {{ wmin.type_double() }}) as test_to_report_median_days,
        cast({{ wmin.list_item('test_to_report_days_q', 2) }} as {{ wmin.type_double() }}) as test_to_report_p90_days,
        cast(test_to_report_median_hours as {{ wmin.type_double() }}) as test_to_report_median_hours,
        cast({{ wmin.pct('reported_within_target', 'within_target_denominator') }}
            as {{ wmin.type_double() }}) as reported_within_target_pct,
        cast(reported_over_28_days as bigint) as reported_over_28_days,
        cast(reported_within_target as bigint) as reported_within_target,
        cast(within_target_denominator as bigint) as within_target_denominator
    from aggregated
)

select * from final
