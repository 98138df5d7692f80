-- One row per rejected landing row, with its reason code.
with

source as (
    select * from {{ source('landing', 'rejected_rows') }}
),

final as (
    select
        file_id,
        file_path,
        line,
        field,
        reason_code,
        message
    from source
)

select * from final
