-- incremental by month: config in dbt_project.yml
{{ config(
    rebuild_by_month={
        'date': 'test_date',
        'members': 'test_date is not null and modality is not null and patient_source_setting is not null',
        'built': "sum(case when trust_code = 'NETWORK' then exams_tested else 0 end)",
    },
) }}
-- DID activity by month of test x trust x modality x patient source setting, NETWORK rows
-- computed from the exams. Incremental by month (macros/month_partitions.sql): a night rebuilds
-- the months of the exams that changed; no figure here depends on the as-of date itself.
with

exams as (
    select * from {{ ref('fct_exams') }}
    where test_date is not null
        and {{ wmin.is_live_request() }}
        and modality is not null
        and patient_source_setting is not null
        {% if is_incremental() %}and {{ wmin.in_rebuilt_months('test_date') }}{% endif %}
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
    group by grouping sets (
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
