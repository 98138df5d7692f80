-- One row per appointment slot (trust + slot_id): the latest delivery wins.
with

source as (
    select * from {{ source('landing', 'capacity_slots') }}
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

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'slot_id']) }} as delivery_rank
    from renamed
),

final as (
    select * from ranked where delivery_rank = 1
)

select * from final
