-- Data-quality scorecard by month (of test, else request) x trust x measure: how many exams
-- pass each check (a check passes when its flag of dq_exam_flags is not set).
-- rate = numerator / denominator: the share passing (fraction 0..1), so higher is better.
with

flags as (
    select * from {{ ref('dq_exam_flags') }}
    where month is not null
),

measures as (
    {#- check name (what passing means) : the flag that fails it #}
    {%- set checks = {'nhs_number_valid': 'nhs_number_invalid', 'dates_in_order': 'dates_out_of_order',
                      'local_code_known': 'unknown_local_code', 'accession_unique': 'duplicate_accession',
                      'modality_consistent': 'modality_conflict', 'values_mapped': 'unmapped_value',
                      'test_time_present': 'missing_test_time', 'report_time_present': 'missing_report_time'} %}
    {%- for check, flag in checks.items() %}
    select month, trust_code, '{{ check }}' as measure, case when {{ flag }} then 0 else 1 end as passing
    from flags
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        month,
        trust_code,
        measure,
        cast(sum(passing) as bigint) as numerator,
        cast(count(*) as bigint) as denominator,
        cast(1.0 * sum(passing) / count(*) as {{ wmin.type_double() }}) as rate
    from measures
    group by month, trust_code, measure
)

select * from final
