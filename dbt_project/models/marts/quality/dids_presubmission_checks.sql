-- DIDS pre-submission checks per trust x month of test x rule x severity, so a trust can fix its
-- data before NHS England rejects the file. The rules: macros/dids_rules.sql. Each record rule
-- was judged once per record by int_dids_record_checks (incremental by changed exam); here
-- they are counted per trust-month, and the month rules judged: each month is checked as if
-- submitted on the last day of the following month (the collection's rhythm), or on the as-of
-- date if that is earlier (a month is not judged stale for being old); an accession + site
-- seen again in the month's records is a duplicate (every repeat after the first fails).
-- A table over the per-record outcomes: a night recounts narrow booleans, never re-reads the
-- records (a night touches most trust-months, so rebuilding touched months cost a full build).
{%- set rules = wmin.dids_presubmission_rules() %}
with

records as (
    select * from {{ ref('int_dids_record_checks') }}
    where month is not null
),

with_submission as (
    select
        records.*,
        case when {{ dbt.last_day(dbt.dateadd('month', 1, 'month'), 'month') }} < {{ wmin.as_of_date() }}
            then cast({{ dbt.last_day(dbt.dateadd('month', 1, 'month'), 'month') }} as date)
            else {{ wmin.as_of_date() }} end as submission_date
    from records
),

with_gap as (
    select
        with_submission.*,
        {{ dbt.datediff('month', 'submission_date', 'month') }} as months_before_submission
    from with_submission
),

{# one pass over the records, then one row per rule from the small per trust-month totals #}
totals as (
    select
        trust_code,
        month,
        cast(count(*) as {{ dbt.type_bigint() }}) as records_checked,
        {%- for code, severity, description, failing in rules %}
        {%- if code == 'DUPLICATE_ACCESSION' %}
        {#- counted in `repeats` below #}
        {%- elif wmin.dids_is_month_rule(failing) %}
        cast(sum(case when {{ failing }} then 1 else 0 end) as {{ dbt.type_bigint() }}) as failing_{{ loop.index0 }},
        {%- else %}
        cast(sum(case when {{ wmin.dids_rule_column(code, severity) }} then 1 else 0 end) as {{ dbt.type_bigint() }}) as failing_{{ loop.index0 }},
        {%- endif %}
        {%- endfor %}
        max(source_file_id) as source_file_id
    from with_gap
    group by trust_code, month
),

{# DUPLICATE_ACCESSION: every record of a trust-month after the first with its accession + site #}
repeats as (
    select trust_code, month, cast(sum(copies - 1) as {{ dbt.type_bigint() }}) as repeated
    from (
        select trust_code, month, accession_site_key, count(*) as copies
        from records
        where accession_site_key is not null
        group by trust_code, month, accession_site_key
        having count(*) > 1
    ) as keys
    group by trust_code, month
),

findings as (
    {%- for code, severity, description, failing in rules %}
    select
        totals.trust_code,
        totals.month,
        '{{ code }}' as rule,
        '{{ severity }}' as severity,
        '{{ description }}' as rule_description,
        totals.records_checked,
        {%- if code == 'DUPLICATE_ACCESSION' %}
        coalesce(repeats.repeated, 0) as records_failing,
        {%- else %}
        totals.failing_{{ loop.index0 }} as records_failing,
        {%- endif %}
        totals.source_file_id
    from totals
    {%- if code == 'DUPLICATE_ACCESSION' %}
    left join repeats
        on repeats.trust_code = totals.trust_code
        and repeats.month = totals.month
    {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        trust_code,
        month,
        rule,
        severity,
        rule_description,
        records_checked,
        records_failing,
        cast({{ wmin.double_literal('1.0') }} * records_failing / records_checked as {{ wmin.type_double() }}) as failing_rate,
        source_file_id,
        {{ wmin.as_of_end() }} as built_as_of_end
    from findings
)

select * from final
