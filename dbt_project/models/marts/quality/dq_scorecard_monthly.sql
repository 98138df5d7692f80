-- Data-quality scorecard by month x trust x measure, each a positive check (what passing means)
-- with numerator (passing) / denominator (checked); rate = the share passing (0..1).
-- dimension groups the checks as the board reads them; unit says what was counted:
--   exams          - exams of the month of test (else request), latest delivery (dq_exam_flags);
--   delivered_rows - rows of the month's deliveries, every delivery kept (landing): a duplicate
--                    row is a fault of the file that carried it, even if a later file fixed it;
--   due_days       - days of the month a delivery was due (feed_health_daily);
--   reports        - verified reports of the month (local date of verification), by the first
--                    delivery that carried them.
with

flags as (
    select * from {{ ref('dq_exam_flags') }}
    where month is not null
),

{# measure: (dimension, the flag that fails it) #}
{%- set checks = {
    'nhs_number_present': ('completeness', 'nhs_number_missing'),
    'test_time_present': ('completeness', 'missing_test_time'),
    'report_time_present': ('completeness', 'missing_report_time'),
    'nhs_number_valid': ('validity', 'nhs_number_invalid'),
    'local_code_known': ('validity', 'unknown_local_code'),
    'values_mapped': ('validity', 'unmapped_value'),
    'modality_consistent': ('validity', 'modality_conflict'),
    'dates_in_order': ('consistency', 'dates_out_of_order'),
    'events_before_extract': ('consistency', 'event_after_extract'),
    'accession_unique': ('consistency', 'duplicate_accession')} %}

{#- one pass over the 5 M flag rows, then one row per check from the small totals (a
    pass per check was 0.8 s of this model's 1.1 s on a network year) #}
exam_totals as (
    select
        month,
        trust_code,
        {%- for check, (dimension, flag) in checks.items() %}
        cast(sum(case when {{ flag }} then 0 else 1 end) as bigint) as passing_{{ loop.index }},
        {%- endfor %}
        cast(count(*) as bigint) as exams
    from flags
    group by month, trust_code
),

exam_measures as (
    {%- for check, (dimension, flag) in checks.items() %}
    select
        month,
        trust_code,
        '{{ check }}' as measure,
        '{{ dimension }}' as dimension,
        'exams' as unit,
        passing_{{ loop.index }} as numerator,
        exams as denominator
    from exam_totals
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

{# Every delivered row once, counted per file by int_delivered_rows_by_file (incremental: a
    file never changes, so only new files are counted). #}
delivered_rows as (
    select
        manifest.trust_code,
        cast({{ dbt.date_trunc('month', wmin.local_date('manifest.extract_at')) }} as date) as month,
        by_file.delivered_rows,
        by_file.duplicate_rows
    from {{ ref('int_delivered_rows_by_file') }} as by_file
    inner join {{ ref('stg_landing__load_manifest') }} as manifest
        on manifest.file_id = by_file.file_id
    where manifest.extract_at < {{ wmin.as_of_end() }}
),

row_measures as (
    select
        month,
        trust_code,
        'rows_not_duplicated' as measure,
        'consistency' as dimension,
        'delivered_rows' as unit,
        cast(sum(delivered_rows - duplicate_rows) as bigint) as numerator,
        cast(sum(delivered_rows) as bigint) as denominator
    from delivered_rows
    group by month, trust_code
),

delivery_measures as (
    select
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month,
        trust_code,
        'deliveries_on_time' as measure,
        'timeliness' as dimension,
        'due_days' as unit,
        cast(sum(case when status = 'ok' then 1 else 0 end) as bigint) as numerator,
        cast(count(*) as bigint) as denominator
    from {{ ref('feed_health_daily') }}
    where delivery_due
    -- the month expression by position
    group by 1, 2  -- noqa: AM06
),

{# Report-date lag: a verified report should reach us by the trust's next due delivery (its
    cadence, plus a day's grace for the nightly extract's own lag). First delivery only, so a
    rolling snapshot repeating the report does not count it again. #}
report_deliveries as (
    select trust_code, accession, event_at, first_delivered_at
    from {{ ref('int_report_first_deliveries') }}
    where first_delivered_at < {{ wmin.as_of_end() }}
),

trust_cadence as (
    select trust_code, max(cadence_days) as cadence_days
    from {{ ref('feed_health_daily') }}
    group by trust_code
),

report_measures as (
    select
        cast({{ dbt.date_trunc('month', wmin.local_date('reports.event_at')) }} as date) as month,
        reports.trust_code,
        'reports_delivered_promptly' as measure,
        'timeliness' as dimension,
        'reports' as unit,
        cast(sum(case
            when {{ wmin.hours_between('reports.event_at', 'reports.first_delivered_at') }}
                 <= 24 * (coalesce(trust_cadence.cadence_days, 1) + 1) then 1 else 0
        end) as bigint) as numerator,
        cast(count(*) as bigint) as denominator
    from report_deliveries as reports
    left join trust_cadence
        on trust_cadence.trust_code = reports.trust_code
    -- the month expression by position
    group by 1, 2  -- noqa: AM06
),

final as (
    select
        month,
        trust_code,
        measure,
        dimension,
        unit,
        numerator,
        denominator,
        cast({{ wmin.double_literal('1.0') }} * numerator / denominator as {{ wmin.type_double() }}) as rate
    from (
        select * from exam_measures
        union all
        select * from row_measures
        union all
        select * from delivery_measures
        union all
        select * from report_measures
    ) as measures
)

select * from final
