{{
    config(
        meta={'publish': false},
        contract={'enforced': false},
        materialized='incremental',
        unique_key=['trust_code', 'month'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ wmin.drop_example_placeholders(this) }}", "{{ wmin.stamp_as_of_end(this) }}"],
    )
}}
-- depends_on: {{ ref('stg_landing__exam_records') }}, {{ ref('stg_landing__exam_events') }}
-- RESTRICTED, never published: the worst offending rows behind each failing scorecard measure,
-- so a trust's information team can find and fix them. At most `dq_examples_per_check` rows per
-- trust x month x measure, in a fixed order (accession, then file and line). It carries
-- accessions and raw values (NHS numbers among them): publish.py's identifier gate refuses the
-- `accession` column and valid-looking NHS numbers if this were ever marked for publishing.
-- Incremental by trust x month (macros/incremental.sql, example_months_to_rebuild): only the
-- trust-months a changed exam, a new file or the as-of date may have changed are rebuilt,
-- replacing their rows (delete+insert); a rebuilt month left without examples gets a
-- placeholder row (measure null) so its old rows are deleted too, then the post-hook drops it.
{%- set per_check = var('dq_examples_per_check', 20) %}
{%- set exam_checks = [
    ('nhs_number_present', 'nhs_number_missing', 'nhs_number', "cast(null as " ~ dbt.type_string() ~ ")"),
    ('test_time_present', 'missing_test_time', 'status', 'exams.status'),
    ('report_time_present', 'missing_report_time', 'status', 'exams.status'),
    ('nhs_number_valid', 'nhs_number_invalid', 'nhs_number', 'coded.nhs_number'),
    ('local_code_known', 'unknown_local_code', 'local_procedure_code',
        dbt.concat(["coalesce(coded.local_procedure_code, '')", "' / NICIP '", "coalesce(coded.sent_nicip_code, '')"])),
    ('values_mapped', 'unmapped_value', 'dq_flags', 'coded.landing_dq_flags'),
    ('modality_consistent', 'modality_conflict', 'modality',
        dbt.concat(["coalesce(coded.sent_modality, '')", "' vs catalogue '", "coalesce(coded.modality, '')"])),
    ('dates_in_order', 'dates_out_of_order', 'request / test / report',
        dbt.concat(["coalesce(cast(exams.requested_at as " ~ dbt.type_string() ~ "), '-')", "' / '",
                    "coalesce(cast(exams.test_at as " ~ dbt.type_string() ~ "), '-')", "' / '",
                    "coalesce(cast(exams.report_verified_at as " ~ dbt.type_string() ~ "), '-')"])),
    ('accession_unique', 'duplicate_accession', 'rows_in_file', 'cast(coded.rows_in_file as ' ~ dbt.type_string() ~ ')'),
] %}
with

{% if is_incremental() -%}
rebuild_months as (
    {{ wmin.example_months_to_rebuild(this) }}
),

{% endif -%}
{#- the exams of the months to build (every exam on a full build): the key is hashed only for them #}
exam_keys as (
    select
        cast({{ dbt.hash(dbt.concat(['trust_code', "'|'", 'accession'])) }} as {{ dbt.type_string() }}) as exam_key,
        trust_code,
        accession
    from {{ ref('int_exams_enriched') }} as enriched
    {%- if is_incremental() %}
    where exists (
        select 1 from rebuild_months
        where rebuild_months.trust_code = enriched.trust_code
            and rebuild_months.month = {{ wmin.dq_exam_month('enriched') }}
    )
    {%- endif %}
),

coded as (
    select exam_keys.exam_key, int_exams_coded.*
    from exam_keys
    inner join {{ ref('int_exams_coded') }} as int_exams_coded
        on int_exams_coded.trust_code = exam_keys.trust_code
        and int_exams_coded.accession = exam_keys.accession
),

exam_examples as (
    {%- for measure, flag, field, value in exam_checks %}
    select
        flags.trust_code,
        flags.month,
        '{{ measure }}' as measure,
        coded.accession,
        '{{ field }}' as field,
        {{ value }} as value,
        {{ wmin.file_name('manifest.file_path') }} as file_name,
        coded.source_line
    from {{ ref('dq_exam_flags') }} as flags
    inner join coded on coded.exam_key = flags.exam_key
    inner join {{ ref('fct_exams') }} as exams on exams.exam_key = flags.exam_key
    left join {{ ref('stg_landing__load_manifest') }} as manifest on manifest.file_id = coded.file_id
    where flags.{{ flag }} and flags.month is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

{#- only the files int_delivered_rows_by_file found duplicates in: not every delivery ever made #}
files_with_duplicates as (
    select file_id from {{ ref('int_delivered_rows_by_file') }} where duplicate_rows > 0
),

duplicate_rows as (
    select file_id, source_line, accession from {{ source('landing', 'exam_records') }}
    where dq_flags like '%duplicate_row%' and file_id in (select file_id from files_with_duplicates)
    union all
    select file_id, source_line, accession from {{ source('landing', 'exam_events') }}
    where dq_flags like '%duplicate_row%' and file_id in (select file_id from files_with_duplicates)
    union all
    select file_id, source_line, accession from (
        select
            file_id,
            source_line,
            accession,
            row_number() over (partition by file_id, slot_id order by source_line) as copy_number
        from {{ source('landing', 'capacity_slots') }}
        where file_id in (select file_id from files_with_duplicates)
    ) as slots
    where copy_number > 1
),

row_examples as (
    select
        manifest.trust_code,
        cast({{ dbt.date_trunc('month', wmin.local_date('manifest.extract_at')) }} as date) as month,
        'rows_not_duplicated' as measure,
        min(duplicate_rows.accession) as accession,
        'row' as field,
        'exact repeat of the previous row' as value,
        {{ wmin.file_name('manifest.file_path') }} as file_name,
        duplicate_rows.source_line
    from duplicate_rows
    inner join {{ ref('stg_landing__load_manifest') }} as manifest
        on manifest.file_id = duplicate_rows.file_id
    where manifest.extract_at < {{ wmin.as_of_end() }}
    {%- if is_incremental() %}
        and exists (
            select 1 from rebuild_months
            where rebuild_months.trust_code = manifest.trust_code
                and rebuild_months.month = cast({{ dbt.date_trunc('month', wmin.local_date('manifest.extract_at')) }} as date)
        )
    {%- endif %}
    group by manifest.trust_code, manifest.extract_at, manifest.file_path, duplicate_rows.source_line
),

ranked as (
    select
        all_examples.*,
        row_number() over (
            partition by trust_code, month, measure
            order by accession, file_name, source_line
        ) as example_rank
    from (
        select * from exam_examples
        union all
        select * from row_examples
    ) as all_examples
),

examples as (
    select
        trust_code,
        month,
        measure,
        cast(example_rank as integer) as example_rank,
        accession,
        field,
        value,
        file_name,
        source_line
    from ranked
    where example_rank <= {{ per_check }}
    {%- if is_incremental() %}
    union all
    -- placeholders: a rebuilt month's old rows go even when it has no example left
    select
        trust_code, month, cast(null as {{ dbt.type_string() }}), cast(null as integer),
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }})
    from rebuild_months
    {%- endif %}
),

{#- the incremental build's state: exams of each trust-month (an exam leaving a month changes
    it), the newest file known and the as-of end #}
exams_by_month as (
    select trust_code, month, count(*) as exams_in_month
    from {{ ref('dq_exam_flags') }}
    where month is not null
    group by trust_code, month
)

select
    examples.*,
    cast(coalesce(exams_by_month.exams_in_month, 0) as {{ dbt.type_bigint() }}) as exams_in_month,
    (select max(file_id) from {{ ref('stg_landing__load_manifest') }}) as source_file_id,
    {{ wmin.as_of_end() }} as built_as_of_end
from examples
left join exams_by_month
    on exams_by_month.trust_code = examples.trust_code
    and exams_by_month.month = examples.month
