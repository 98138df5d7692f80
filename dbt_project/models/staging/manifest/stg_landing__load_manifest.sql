-- One row per file the loader read (loaded or quarantined).
with

source as (
    select * from {{ source('landing', 'load_manifest') }}
),

final as (
    select
        file_id,
        file_path,
        sha256,
        trust_code,
        family,
        content,
        extract_at,
        coalesce(rows_read, 0) as rows_read,
        coalesce(rows_loaded, 0) as rows_loaded,
        coalesce(rows_rejected, 0) as rows_rejected,
        started_at,
        finished_at,
        outcome,
        message
    from source
)

select * from final
