{{
    config(
        materialized=wmin.incremental_materialization(),
        unique_key='file_id',
        incremental_strategy='delete+insert',
    )
}}
-- Every delivered row once, counted per file (dq_scorecard_monthly's rows_not_duplicated):
-- records and events of one file share a line when one line (or HL7 message) carries both, so
-- a row is (file, line), a duplicate when the loader flagged it; slots carry no loader flag,
-- so a slot repeated within one file is the duplicate. Per file, so incremental: landing is
-- append-only and a file never changes, so a build counts only the newly loaded files
-- (macros/incremental.sql) instead of rescanning every delivery ever made.
{#- the rows of the files this model has not counted yet (every row on a full build) -#}
{%- set new_files_only -%}
    {%- if is_incremental() %}where file_id > {{ wmin.newest_file_id(this) }}{% endif -%}
{%- endset %}
with

new_records as (
    select file_id, source_line, dq_flags
    from {{ ref('stg_landing__delivered_exam_records') }} {{ new_files_only }}
),

new_events as (
    select file_id, source_line, dq_flags
    from {{ ref('stg_landing__delivered_exam_events') }} {{ new_files_only }}
),

new_slots as (
    select file_id, source_line, slot_id
    from {{ ref('stg_landing__delivered_capacity_slots') }} {{ new_files_only }}
),

exam_rows as (
    select file_id, source_line, max(case when dq_flags like '%duplicate_row%' then 1 else 0 end) as is_duplicate
    from (
        select file_id, source_line, dq_flags from new_records
        union all
        select file_id, source_line, dq_flags from new_events
    ) as exam_side
    group by file_id, source_line
),

slot_rows as (
    select
        file_id,
        case when row_number() over (partition by file_id, slot_id order by source_line nulls last) > 1
            then 1 else 0 end as is_duplicate
    from new_slots
)

select
    file_id,
    cast(count(*) as bigint) as delivered_rows,
    cast(sum(is_duplicate) as bigint) as duplicate_rows
from (
    select file_id, is_duplicate from exam_rows
    union all
    select file_id, is_duplicate from slot_rows
) as all_rows
group by file_id
