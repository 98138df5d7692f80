-- One row per canonical modality (seed modalities).
with

modalities as (
    select * from {{ ref('modalities') }}
),

final as (
    select
        modality,
        modality_name,
        did_modality_group,
        nicip_prefix,
        default_slot_minutes
    from modalities
)

select * from final
