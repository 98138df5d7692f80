{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_changed_exams(this, 'source_file_id') }}",
        post_hook=["{{ wmin.stamp_newest_file(this) }}", "{{ wmin.stamp_as_of_end(this) }}"],
    )
}}
-- RESTRICTED: one row per exam x scorecard measure it fails (dq_exam_flags), with the field at
-- fault, the value as sent and where it came from: the pool dq_failure_examples picks its
-- examples from. Incremental like dq_exam_flags (docs/incremental.md): the changed exams' rows
-- are deleted by the pre-hook and made again. Only failing exams have rows, so the watermark is
-- not a row's file: the post-hook stamps every row with the newest file staging had taken in
-- (stamp_newest_file).
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
    ('events_before_extract', 'event_after_extract', 'dq_flags', 'coded.landing_dq_flags'),
    ('accession_unique', 'duplicate_accession', 'rows_in_file', 'cast(coded.rows_in_file as ' ~ dbt.type_string() ~ ')'),
] %}
with

coded as (
    select
        {{ wmin.exam_key('trust_code', 'accession') }} as exam_key,
        int_exams_coded.*
    from {{ ref('int_exams_coded') }} as int_exams_coded
    {{ wmin.only_changed_exams('int_exams_coded', hash_column='key_hash', relation=ref('int_exams_coded')) }}
),

{# the exam's times as fct_exams has them (it copies these columns from int_exams_enriched),
    read where they can be found by exam_hash: only the changed exams, not a join of every
    published exam by its key string #}
exams as (
    select trust_code, accession, status, requested_at, test_at, report_verified_at
    from {{ ref('int_exams_enriched') }} as int_exams_enriched
    {{ wmin.only_changed_exams('int_exams_enriched', relation=ref('int_exams_enriched')) }}
),

candidates as (
    {%- for measure, flag, field, value in exam_checks %}
    select
        flags.trust_code,
        coded.accession,
        flags.month,
        '{{ measure }}' as measure,
        '{{ field }}' as field,
        {{ value }} as value,
        {{ wmin.file_name('manifest.file_path') }} as file_name,
        coded.source_line,
        coded.key_hash as exam_hash
    from {{ ref('dq_exam_flags') }} as flags
    inner join coded on coded.exam_key = flags.exam_key
    inner join exams on exams.trust_code = coded.trust_code and exams.accession = coded.accession
    left join {{ ref('stg_landing__load_manifest') }} as manifest on manifest.file_id = coded.file_id
    where flags.{{ flag }} and flags.month is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    candidates.*,
    cast(null as {{ dbt.type_bigint() }}) as source_file_id  -- set by the post-hook
from candidates
