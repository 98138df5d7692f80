-- Data-quality scorecard by month (of test, else request) x trust x measure: how many exams
-- carry each flag of dq_exam_flags. rate = numerator / denominator (fraction 0..1).
with

flags as (
    select * from {{ ref('dq_exam_flags') }}
    where month is not null
),

measures as (
    {%- set measures = ['nhs_number_invalid', 'dates_out_of_order', 'unknown_local_code',
                        'duplicate_accession', 'modality_conflict', 'unmapped_value',
                        'missing_test_time', 'missing_report_time'] %}
    {%- for m in measures %}
    select month, trust_code, '{{ m }}' as measure, case when {{ m }} then 1 else 0 end as flagged
    from flags
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        month,
        trust_code,
        measure,
        cast(sum(flagged) as bigint) as numerator,
        cast(count(*) as bigint) as denominator,
        cast(1.0 * sum(flagged) / count(*) as {{ wmin.type_double() }}) as rate
    from measures
    group by month, trust_code, measure
)

select * from final
