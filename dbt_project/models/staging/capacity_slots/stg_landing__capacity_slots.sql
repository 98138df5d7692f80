{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='key_hash',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.backfill_key_hash(this, ['trust_code', 'slot_id']) }}",
    )
}}
-- One row per appointment slot (trust + slot_id): the latest delivery wins.
-- Incremental, latest delivery re-ranked (docs/incremental.md): only slots with a row in a file
-- loaded since the last build are re-ranked, against the row kept for them last time.
with

source as (
    {{ wmin.landing_rows('capacity_slots') }}
),

renamed as (
    select
        trust_code,
        slot_id,
        site_code,
        room,
        modality,
        slot_start,
        cast(slot_minutes as {{ dbt.type_int() }}) as slot_minutes,
        lower(trim(state)) as state,
        accession,
        file_id,
        source_line,
        extract_at,
        -- the key as one number: incremental runs find a key's kept row by it (macros/incremental/key_hash.sql)
        {{ wmin.key_hash(['trust_code', 'slot_id']) }} as key_hash
    from source
),

candidates as (
    {{ wmin.latest_delivery_candidates('renamed') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'slot_id']) }} as delivery_rank
    from candidates
),

final as (
    select * from ranked where delivery_rank = 1
)

select * from final
