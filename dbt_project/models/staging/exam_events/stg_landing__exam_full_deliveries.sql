{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='key_hash',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.backfill_key_hash(this, ['trust_code', 'accession']) }}",
    )
}}
-- One row per exam (trust + accession): its latest FULL delivery, a delivery that carries every
-- event the exam has at its extract time, so that an event of the exam it does not carry has
-- been withdrawn (stg_landing__exam_events). Full, for the exams a file carries (a record):
--   * a wide family's file (wide_csv, excel): one row per exam with a cell per event type, in
--     delta and snapshot mode alike; an empty cell is an event the exam does not have;
--   * a snapshot delivery of any family (the manifest's feed_mode): every exam with activity
--     in the window, with all its events.
-- A delta delivery of an event log or HL7 feed sends only new or changed events: it is never
-- full and cannot withdraw anything.
-- Incremental, latest delivery re-ranked (docs/incremental.md): the exams carried by a full
-- file loaded since the last build are re-ranked against the row kept for them.
with

full_files as (
    select file_id
    from {{ source('landing', 'load_manifest') }}
    where family in ('wide_csv', 'excel') or feed_mode = 'snapshot'
),

source as (
    {{ wmin.landing_rows('exam_records') }}
),

carried as (
    select
        cast(trust_code as {{ dbt.type_string() }}) as trust_code,
        cast(accession as {{ dbt.type_string() }}) as accession,
        file_id,
        source_line,
        extract_at,
        {{ wmin.key_hash(['trust_code', 'accession']) }} as key_hash
    from source
    where source.file_id in (select full_files.file_id from full_files)
),

candidates as (
    {{ wmin.latest_delivery_candidates('carried', backfilled=['key_hash']) }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'accession']) }} as delivery_rank
    from candidates
),

final as (
    select * from ranked where delivery_rank = 1
)

select * from final
