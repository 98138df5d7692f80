-- One row per trust of the network (seed trusts).
with

trusts as (
    select * from {{ ref('trusts') }}
),

final as (
    select
        trust_code,
        trust_name,
        icb_name,
        latitude,
        longitude,
        trust_type,
        membership_confirmed
    from trusts
)

select * from final
