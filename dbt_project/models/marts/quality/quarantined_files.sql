-- Files quarantined whole by the loader (landing.load_manifest outcome = quarantined).
-- The reason code is the text before the first colon of the manifest message.
with

manifest as (
    select * from {{ ref('stg_landing__load_manifest') }}
    where outcome = 'quarantined'
),

final as (
    select
        trust_code,
        {{ wmin.file_name('file_path') }} as file_name,
        trim(split_part(coalesce(message, ''), ':', 1)) as reason_code,
        message,
        finished_at as quarantined_at,
        file_id,
        extract_at
    from manifest
)

select * from final
