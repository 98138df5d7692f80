{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_changed_exams(this, 'source_file_id') }}",
        post_hook="{{ wmin.stamp_as_of_end(this) }}",
    )
}}
-- RESTRICTED. The DIDS pre-submission record rules (macros/rules/dids_rules.sql) judged once per
-- dids_records row: one boolean per rule, with the month of test and the accession + site key
-- that dids_presubmission_checks needs for the rules only a whole month can judge.
-- Incremental like dids_records (docs/incremental.md): the changed exams' rows are deleted by
-- the pre-hook and judged again, so a night judges what changed, not every record ever sent.
{%- set verhoeff_d = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],
                      [4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],
                      [8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]] %}
{%- set verhoeff_p = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],
                      [9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]] %}
{%- set max_snomed_digits = 18 %}
with

records as (
    select
        trust_code,
        accession,
        trim(coalesce(accession, '')) as accession_text,
        trim(coalesce(site_code, '')) as site,
        replace(trim(coalesce(nhs_number, '')), ' ', '') as nhs,
        trim(coalesce(nhs_number_status, '')) as nhs_status,
        birth_date,
        trim(coalesce(ethnicity, '')) as ethnicity,
        trim(coalesce(sex, '')) as sex,
        trim(coalesce(postcode, '')) as postcode,
        trim(coalesce(gp_practice_code, '')) as gp_practice,
        trim(coalesce(patient_source_setting, '')) as source_setting,
        trim(coalesce(referrer_code, '')) as referrer,
        trim(coalesce(nicip_code, '')) as nicip,
        trim(coalesce(snomed_ct_id, '')) as snomed,
        coalesce(request_date, {{ wmin.local_date('requested_at') }}) as request_day,
        request_received_date as received_day,
        coalesce(test_date, {{ wmin.local_date('test_started_at') }}) as test_day,
        coalesce(report_issue_date, {{ wmin.local_date('report_verified_at') }}) as report_day,
        source_file_id,
        exam_hash
    from {{ ref('dids_records') }} as dids_records
    {{ wmin.only_changed_exams('dids_records', relation=ref('dids_records')) }}
),

{# Verhoeff check of each distinct SNOMED CT id: one CTE per digit from the right, so the
    checksum is plain joins on the two constant tables (portable, no recursion). #}
verhoeff_d as (
    {%- for row in verhoeff_d %}{% set r = loop.index0 %}{% for v in row %}
    select {{ r }} as c, {{ loop.index0 }} as x, {{ v }} as v {{ 'union all' if not loop.last }}
    {%- endfor %}{{ ' union all' if not loop.last }}{% endfor %}
),

verhoeff_p as (
    {%- for row in verhoeff_p %}{% set r = loop.index0 %}{% for v in row %}
    select {{ r }} as pos, {{ loop.index0 }} as digit, {{ v }} as v {{ 'union all' if not loop.last }}
    {%- endfor %}{{ ' union all' if not loop.last }}{% endfor %}
),

snomed_step_0 as (
    {#- leading zeros leave a Verhoeff checksum unchanged, so every id is padded to full length #}
    select distinct snomed, lpad(snomed, {{ max_snomed_digits }}, '0') as padded, 0 as checksum
    from records
    where {{ wmin.is_digits('snomed', '6,' ~ max_snomed_digits) }}
),
{%- for i in range(max_snomed_digits) %}

snomed_step_{{ i + 1 }} as (
    select step.snomed, step.padded, verhoeff_d.v as checksum
    from snomed_step_{{ i }} as step
    inner join verhoeff_p
        on verhoeff_p.pos = {{ i % 8 }}
        and verhoeff_p.digit = cast(substr(step.padded, {{ max_snomed_digits - i }}, 1) as {{ dbt.type_int() }})
    inner join verhoeff_d on verhoeff_d.c = step.checksum and verhoeff_d.x = verhoeff_p.v
),
{%- endfor %}

snomed_checked as (
    select snomed, checksum = 0 as snomed_valid from snomed_step_{{ max_snomed_digits }}
),

checked as (
    select records.*, snomed_checked.snomed_valid
    from records
    left join snomed_checked on snomed_checked.snomed = records.snomed
),

final as (
    select
        trust_code,
        accession,
        cast({{ dbt.date_trunc('month', 'test_day') }} as date) as month,
        test_day,
        -- the DUPLICATE_ACCESSION key: null when either part is empty (the rule skips those)
        case when accession_text <> '' and site <> ''
            then {{ dbt.concat(['upper(accession_text)', "'|'", 'upper(site)']) }} end as accession_site_key,
        {%- for code, severity, description, failing in wmin.dids_presubmission_rules()
              if not wmin.dids_is_month_rule(failing) %}
        coalesce({{ failing }}, false) as {{ wmin.dids_rule_column(code, severity) }},
        {%- endfor %}
        source_file_id,
        exam_hash
    from checked
)

select * from final
