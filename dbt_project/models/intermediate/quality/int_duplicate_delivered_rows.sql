{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
    )
}}
-- RESTRICTED. Every duplicated delivered row (file, line, accession): an exam record or event
-- the loader flagged as an exact repeat of the previous line, or a slot repeated within its
-- file. dq_failure_examples shows them as rows_not_duplicated examples. Only the files
-- int_delivered_rows_by_file found duplicates in, and on an incremental run only those not
-- taken in yet (landing is append-only): a night does not rescan every delivery.
with

files as (
    select file_id from {{ ref('int_delivered_rows_by_file') }}
    where duplicate_rows > 0
    {%- if is_incremental() %}
        and file_id not in (select file_id from {{ this }})
    {%- endif %}
),

slots as (
    select
        file_id,
        source_line,
        accession,
        row_number() over (partition by file_id, slot_id order by source_line nulls last) as copy_number
    from {{ ref('stg_landing__delivered_capacity_slots') }} as delivered_slots
    where delivered_slots.file_id in (select files.file_id from files)
)

select records.file_id, records.source_line, records.accession
from {{ ref('stg_landing__delivered_exam_records') }} as records
where records.dq_flags like '%duplicate_row%' and records.file_id in (select files.file_id from files)
union all
select events.file_id, events.source_line, events.accession
from {{ ref('stg_landing__delivered_exam_events') }} as events
where events.dq_flags like '%duplicate_row%' and events.file_id in (select files.file_id from files)
union all
select file_id, source_line, accession from slots
where copy_number > 1
