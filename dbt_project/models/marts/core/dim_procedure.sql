-- One row per NICIP(-style) procedure code (seed procedures).
with

procedures as (
    select * from {{ ref('procedures') }}
),

final as (
    select
        nicip_code,
        procedure_name,
        modality,
        body_region,
        nullif(dm01_test, '') as dm01_test,
        snomed_ct_id,
        typical_duration_minutes,
        is_synthetic
    from procedures
)

select * from final
