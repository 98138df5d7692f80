{{ config(unique_key=['trust_code', 'slot_id']) }}
-- One row per appointment slot (trust + slot_id): the latest delivery wins.
-- Incremental: only slots with a row in a file loaded since the last build are re-ranked,
-- against the row kept for them last time (macros/incremental.sql).
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
        extract_at
    from source
),

candidates as (
    {{ wmin.latest_delivery_candidates('renamed', ['trust_code', 'slot_id']) }}
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
