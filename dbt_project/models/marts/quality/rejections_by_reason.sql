-- Rows rejected by the loader by trust and reason code (landing.rejected_rows), all time.
with

rejected as (
    select * from {{ ref('stg_landing__rejected_rows') }}
),

manifest as (
    select file_id, trust_code from {{ ref('stg_landing__load_manifest') }}
),

final as (
    select
        manifest.trust_code,
        rejected.reason_code,
        cast(count(*) as bigint) as rows
    from rejected
    inner join manifest on manifest.file_id = rejected.file_id
    group by manifest.trust_code, rejected.reason_code
)

select * from final
