-- RESTRICTED, never published: the worst offending rows behind each failing scorecard measure,
-- so a trust's information team can find and fix them. At most `dq_examples_per_check` rows per
-- trust x month x measure, in a fixed order (accession, then file and line). It carries
-- accessions and raw values (NHS numbers among them): publish.py's identifier gate refuses the
-- `accession` column and valid-looking NHS numbers if this were ever marked for publishing.
-- A table ranked from the failing exams' rows (int_dq_example_candidates, incremental by
-- changed exam) and the duplicated delivered rows (int_duplicate_delivered_rows, incremental by
-- file): a night ranks the failures, it does not re-check every exam or delivery.
{%- set per_check = var('dq_examples_per_check', 20) %}
with

exam_examples as (
    select trust_code, month, measure, accession, field, value, file_name, source_line
    from {{ ref('int_dq_example_candidates') }}
),

duplicate_rows as (
    select file_id, source_line, accession from {{ ref('int_duplicate_delivered_rows') }}
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
            order by accession nulls last, file_name nulls last, source_line nulls last
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
    source_line,
    (select max(manifest.file_id) from {{ ref('stg_landing__load_manifest') }} as manifest) as source_file_id,
    {{ wmin.as_of_end() }} as built_as_of_end
from ranked
where example_rank <= {{ per_check }}
