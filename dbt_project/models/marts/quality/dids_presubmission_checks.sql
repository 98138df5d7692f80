{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_presubmission_months(this) }}",
        post_hook="{{ wmin.stamp_as_of_end(this) }}",
    )
}}
-- depends_on: {{ ref('stg_landing__exam_records') }}, {{ ref('stg_landing__exam_events') }}
-- DIDS pre-submission checks per trust x month of test x rule x severity, so a trust can fix its
-- data before NHS England rejects the file. The record rules and their codes are those of
-- exports/dids_checks.py (check_record) plus DUPLICATE_ACCESSION (accession + site repeated in
-- the month's file); the layout-driven FORMAT / MANDATORY_MISSING checks run when the file is
-- written (`wmin export dids`). tests/dbt/test_quality_dids.py proves SQL and Python agree.
-- Each month is checked as if submitted on the last day of the following month (the collection's
-- rhythm), or on the as-of date if that is earlier: a month is not judged stale for being old.
{%- set verhoeff_d = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],
                      [4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],
                      [8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]] %}
{%- set verhoeff_p = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],
                      [9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]] %}
{%- set max_snomed_digits = 18 %}
{%- set rules = [
    ('NHS_NUMBER_INVALID', 'rejection', 'NHS number not 10 digits, or fails the modulus 11 check or the reversed-halves rule',
        "nhs <> '' and not (" ~ wmin.nhs_number_is_valid('nhs') ~ ")"),
    ('NHS_NUMBER_MISSING', 'rejection', 'no NHS number although its status is 01 (verified)', "nhs = '' and nhs_status = '01'"),
    ('NHS_NUMBER_MISSING', 'warning', 'no NHS number', "nhs = '' and nhs_status <> '01'"),
    ('NHS_STATUS_INVALID', 'rejection', 'NHS number status not 01-08',
        "nhs_status <> '' and nhs_status not in ('01','02','03','04','05','06','07','08')"),
    ('NHS_STATUS_MISSING', 'warning', 'NHS number sent without a status code', "nhs_status = '' and nhs <> ''"),
    ('BIRTH_DATE_TOO_EARLY', 'rejection', 'birth date before 1900-01-01', "birth_date < cast('1900-01-01' as date)"),
    ('BIRTH_AFTER_TEST', 'rejection', 'birth date after the test date', "birth_date > test_day"),
    ('GENDER_INVALID', 'rejection', 'gender code not 0, 1, 2 or 9', "sex <> '' and sex not in ('0','1','2','9')"),
    ('ETHNICITY_INVALID', 'warning', 'ethnic category not A-H, J-N, P, R, S, Z or 99',
        "ethnicity <> '' and ethnicity not in ('A','B','C','D','E','F','G','H','J','K','L','M','N','P','R','S','Z','99')"),
    ('NO_PATIENT_ITEM', 'rejection', 'none of the patient items (NHS number, status, birth date, ethnicity, gender, postcode, GP practice)',
        "nhs = '' and nhs_status = '' and birth_date is null and ethnicity = '' and sex = '' and postcode = '' and gp_practice = ''"),
    ('SOURCE_SETTING_MISSING', 'rejection', 'patient source setting missing', "source_setting = ''"),
    ('SOURCE_SETTING_INVALID', 'rejection', 'patient source setting not 01-07 (leading zero required)',
        "source_setting <> '' and source_setting not in ('01','02','03','04','05','06','07')"),
    ('REFERRER_CODE_FORMAT', 'rejection', 'referrer code not 8 letters or digits',
        "referrer <> '' and not (length(referrer) = 8 and length(translate(upper(referrer), "
        ~ "'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '')) = 0)"),
    ('REFERRER_CODE_MISSING', 'warning', 'no referrer code', "referrer = ''"),
    ('REQUEST_AFTER_RECEIVED', 'rejection', 'request date after the request received date', "request_day > received_day"),
    ('RECEIVED_AFTER_TEST', 'rejection', 'request received date after the test date', "received_day > test_day"),
    ('REQUEST_AFTER_TEST', 'rejection', 'request date after the test date', "request_day > test_day"),
    ('TEST_DATE_MISSING', 'rejection', 'no test date', "test_day is null"),
    ('TEST_AFTER_SUBMISSION', 'rejection', 'test date after the submission date', "test_day > submission_date"),
    ('TEST_OVER_6_MONTHS_OLD', 'rejection', 'test month over 6 months before the submission month', "months_before_submission > 6"),
    ('TEST_OVER_3_MONTHS_OLD', 'warning', 'test month over 3 months before the submission month', "months_before_submission between 4 and 6"),
    ('NO_PROCEDURE_CODE', 'rejection', 'neither a NICIP nor a SNOMED CT code', "nicip = '' and snomed = ''"),
    ('SNOMED_INVALID', 'rejection', 'SNOMED CT identifier not 6-18 digits or fails the Verhoeff check digit',
        "snomed <> '' and not coalesce(snomed_valid, false)"),
    ('REPORT_BEFORE_TEST', 'rejection', 'report issued before the test date', "report_day < test_day"),
    ('REPORT_OVER_1_MONTH', 'warning', 'report issued more than one month after the test',
        "report_day >= test_day and report_day > " ~ dbt.dateadd('month', 1, 'test_day')),
    ('SITE_CODE_MISSING', 'rejection', 'no site code', "site = ''"),
    ('ACCESSION_MISSING', 'rejection', 'no accession number', "accession_text = ''"),
    ('DUPLICATE_ACCESSION', 'rejection', 'accession + site repeat an earlier record of the month', "accession_text <> '' and site <> '' and accession_repeat > 1"),
] %}
with

{% if is_incremental() -%}
rebuild_months as (
    {{ wmin.presubmission_months_to_rebuild(this) }}
),

{% endif -%}
records as (
    select
        trust_code,
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
        source_file_id
    from {{ ref('dids_records') }} as dids_records
    {%- if is_incremental() %}
    -- incremental: only the trust-months whose checks may have changed (the pre-hook deleted them)
    where exists (
        select 1 from rebuild_months as rebuild
        where rebuild.trust_code = dids_records.trust_code
            and rebuild.month = {{ wmin.presubmission_month('dids_records') }}
    )
    {%- endif %}
),

{#- Verhoeff check of each distinct SNOMED CT id: one CTE per digit from the right, so the
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
    select
        records.*,
        cast({{ dbt.date_trunc('month', 'records.test_day') }} as date) as month,
        snomed_checked.snomed_valid,
        row_number() over (
            partition by records.trust_code, {{ dbt.date_trunc('month', 'records.test_day') }},
                upper(records.accession_text), upper(records.site)
            order by records.test_day, records.site, records.accession_text
        ) as accession_repeat
    from records
    left join snomed_checked on snomed_checked.snomed = records.snomed
),

with_submission as (
    select
        checked.*,
        case when {{ dbt.last_day(dbt.dateadd('month', 1, 'month'), 'month') }} < {{ wmin.as_of_date() }}
            then cast({{ dbt.last_day(dbt.dateadd('month', 1, 'month'), 'month') }} as date)
            else {{ wmin.as_of_date() }} end as submission_date
    from checked
),

with_gap as (
    select
        with_submission.*,
        {{ dbt.datediff('month', 'submission_date', 'month') }} as months_before_submission
    from with_submission
),

{#- one pass over the records (a union of one aggregate per rule read them 28 times), then one
    row per rule from the small per trust-month totals #}
totals as (
    select
        trust_code,
        month,
        cast(count(*) as bigint) as records_checked,
        {%- for code, severity, description, failing in rules %}
        cast(sum(case when {{ failing }} then 1 else 0 end) as bigint) as failing_{{ loop.index0 }},
        {%- endfor %}
        max(source_file_id) as source_file_id
    from with_gap
    where month is not null
    group by trust_code, month
),

findings as (
    {%- for code, severity, description, failing in rules %}
    select
        trust_code,
        month,
        '{{ code }}' as rule,
        '{{ severity }}' as severity,
        '{{ description }}' as rule_description,
        records_checked,
        failing_{{ loop.index0 }} as records_failing,
        source_file_id
    from totals
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
        cast(1.0 * records_failing / records_checked as {{ wmin.type_double() }}) as failing_rate,
        source_file_id,
        {{ wmin.as_of_end() }} as built_as_of_end
    from findings
)

select * from final
