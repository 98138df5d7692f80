-- DID activity by month of test x trust x modality x patient source setting, NETWORK rows
-- computed from the exams. A table rebuilt each night from fct_exams: rebuilding only the
-- months that can differ did not pay (docs/benchmarks.md, "Incremental or table, per model").
with

exams as (
    select * from {{ ref('fct_exams') }}
    where test_date is not null
        and {{ wmin.is_live_request() }}
        and modality is not null
        and patient_source_setting is not null
),

measured as (
    select
        cast({{ dbt.date_trunc('month', 'test_date') }} as date) as month,
        trust_code,
        modality,
        patient_source_setting,
        request_to_test_days,
        test_to_report_days,
        report_verified_at
    from exams
),

aggregated as (
    select
        month,
        {{ wmin.trust_or_network() }} as trust_code,
        modality,
        patient_source_setting,
        count(*) as exams_tested,
        {{ wmin.quantile_cont('request_to_test_days', 0.5) }} as request_to_test_median_days,
        {{ wmin.quantile_cont('test_to_report_days', 0.5) }} as test_to_report_median_days,
        count(report_verified_at) as exams_reported
    from measured
    group by grouping sets (  -- noqa: PRS
        (month, trust_code, modality, patient_source_setting),
        (month, modality, patient_source_setting)
    )
),

final as (
    select
        month,
        trust_code,
        modality,
        patient_source_setting,
        cast(exams_tested as bigint) as exams_tested,
        cast(request_to_test_median_days as {{ wmin.type_double() }}) as request_to_test_median_days,
        cast(test_to_report_median_days as {{ wmin.type_double() }}) as test_to_report_median_days,
        cast(exams_reported as bigint) as exams_reported
    from aggregated
)

select * from final
