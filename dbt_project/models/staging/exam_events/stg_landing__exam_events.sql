{{ config(unique_key='key_hash', pre_hook=[
    "{{ wmin.backfill_key_hash(this, ['trust_code', 'source_event_id']) }}",
    "{{ wmin.backfill_hash(this, 'exam_hash', ['trust_code', 'accession']) }}"]) }}
-- One row per event (trust + source_event_id): the latest delivery wins.
-- Incremental: only events with a row in a file loaded since the last build are re-ranked,
-- against the row kept for them last time (macros/incremental.sql).
with

source as (
    {{ wmin.landing_rows('exam_events') }}
),

renamed as (
    select
        trust_code,
        accession,
        -- a wide family lands its events without an id: one time per event type per exam,
        -- so the exam and the event type are the key (ingest/contract.py)
        coalesce(source_event_id, {{ dbt.concat(['accession', "':'", 'event']) }}) as source_event_id,
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

keyed as (
    select
        *,
        -- the key as one number: incremental runs find a key's kept row by it (macros/incremental.sql)
        {{ wmin.key_hash(['trust_code', 'source_event_id']) }} as key_hash,
        -- the exam as one number: the events of changed exams are found by it
        {{ wmin.exam_hash() }} as exam_hash
    from renamed
),

candidates as (
    {{ wmin.latest_delivery_candidates('keyed', backfilled=['key_hash', 'exam_hash']) }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'source_event_id']) }} as delivery_rank
    from candidates
),

final as (
    select * from ranked where delivery_rank = 1
)

select * from final
