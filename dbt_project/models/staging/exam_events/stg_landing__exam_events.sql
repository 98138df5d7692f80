-- One row per event (trust + source_event_id): the latest delivery wins.
with

source as (
    select * from {{ source('landing', 'exam_events') }}
),

renamed as (
    select
        trust_code,
        accession,
        source_event_id,
        lower(trim(event)) as event,
        event_at,
        appointment_at,
        actor_id,
        coalesce(actor_outsourced, false) as actor_outsourced,
        coalesce(local_time_ambiguous, false) as local_time_ambiguous,
        dq_flags as landing_dq_flags,
        file_id,
        source_line,
        extract_at
    from source
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'source_event_id']) }} as delivery_rank
    from renamed
),

final as (
    select * from ranked where delivery_rank = 1
)

select * from final
