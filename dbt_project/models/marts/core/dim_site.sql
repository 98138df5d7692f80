-- One row per imaging site (seed sites; site codes are synthetic).
with

sites as (
    select * from {{ ref('sites') }}
),

final as (
    select
        site_code,
        trust_code,
        site_name,
        latitude,
        longitude,
        postcode_district,
        is_synthetic_code
    from sites
)

select * from final
