{{ config(meta={'publish': false}, contract={'enforced': false}) }}
-- RESTRICTED, never published: the worst offending rows behind each failing scorecard measure,
-- so a trust's information team can find and fix them. At most `dq_examples_per_check` rows per
-- trust x month x measure, in a fixed order (accession, then file and line). It carries
-- accessions and raw values (NHS numbers among them): publish.py's identifier gate refuses the
-- `accession` column and valid-looking NHS numbers if this were ever marked for publishing.
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

coded as (
    select
        cast({{ dbt.hash(dbt.concat(['trust_code', "'|'", 'accession'])) }} as {{ dbt.type_string() }}) as exam_key,
        *
    from {{ ref('int_exams_coded') }}
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

duplicate_rows as (
    select file_id, source_line, accession from {{ source('landing', 'exam_records') }}
    where dq_flags like '%duplicate_row%'
    union all
    select file_id, source_line, accession from {{ source('landing', 'exam_events') }}
    where dq_flags like '%duplicate_row%'
    union all
    select file_id, source_line, accession from (
        select
            file_id,
            source_line,
            accession,
            row_number() over (partition by file_id, slot_id order by source_line) as copy_number
        from {{ source('landing', 'capacity_slots') }}
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
)

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
