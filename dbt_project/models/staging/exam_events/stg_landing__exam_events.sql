{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='key_hash',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ wmin.backfill_key_hash(this, ['trust_code', 'source_event_id']) }}",
            "{{ wmin.backfill_hash(this, 'exam_hash', ['trust_code', 'accession']) }}",
        ],
    )
}}
-- One row per event (trust + source_event_id): the latest delivery wins. Withdrawn events keep
-- their row (history) with is_withdrawn; every model that counts events takes the live ones.
-- An event is withdrawn when the exam's latest full delivery (stg_landing__exam_full_deliveries)
-- is newer than the event's own latest delivery, i.e. no longer carries it, except an earlier
-- occurrence of a repeatable wide event type (macros/rules/wide_events.sql) while that delivery's cell
-- holds a later time of the same type (the cell moved on to the next occurrence). A delta event
-- log or HL7 feed cannot withdraw: its deliveries are never full.
-- Incremental, latest delivery re-ranked (docs/incremental.md): the events of exams with a row
-- in a file loaded since the last build, or with a newer full delivery, are re-ranked and
-- judged again with every kept event of their exam.
with

source as (
    {{ wmin.landing_rows('exam_events') }}
),

renamed as (
    select
        trust_code,
        accession,
        -- a wide family lands its events without an id: the exam, the event type and, for a
        -- type that can recur, the time are the key (macros/rules/wide_events.sql)
        coalesce(source_event_id, {{ wmin.wide_event_key('accession', 'event', 'event_at') }})
            as source_event_id,
        source_event_id is null as from_wide_row,
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
        -- the key as one number: incremental runs find a key's kept row by it (macros/incremental/key_hash.sql)
        {{ wmin.key_hash(['trust_code', 'source_event_id']) }} as key_hash,
        -- the exam as one number: the events of changed exams are found by it
        {{ wmin.exam_hash() }} as exam_hash
    from renamed
),

{% if is_incremental() -%}
changed_exams as (
    select exam_hash from keyed
    union
    select key_hash from {{ ref('stg_landing__exam_full_deliveries') }}
    where file_id > {{ wmin.newest_file_id(this) }}
),
{%- endif %}

candidates as (
    {{ wmin.latest_delivery_candidates('keyed', backfilled=['key_hash', 'exam_hash'],
                                        derived=['delivery_rank', 'is_withdrawn', 'withdrawn_by_file_id',
                                                 'withdrawn_at_extract'],
                                        kept_exams='select exam_hash from changed_exams') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'source_event_id']) }} as delivery_rank
    from candidates
),

latest as (
    select
        ranked.*,
        -- carried by the exam's latest full delivery (or the exam never had one)
        full_deliveries.file_id is null
            or ranked.extract_at > full_deliveries.extract_at
            or (ranked.extract_at = full_deliveries.extract_at
                and ranked.file_id >= full_deliveries.file_id) as in_latest_full_delivery,
        full_deliveries.file_id as full_file_id,
        full_deliveries.extract_at as full_extract_at
    from ranked
    left join {{ ref('stg_landing__exam_full_deliveries') }} as full_deliveries
        on full_deliveries.trust_code = ranked.trust_code
        and full_deliveries.accession = ranked.accession
    where ranked.delivery_rank = 1
),

-- a repeatable wide type's time in the exam's latest full delivery: the cell's current value
latest_cells as (
    select trust_code, accession, event, max(event_at) as cell_at
    from latest
    where in_latest_full_delivery
        and from_wide_row
        and event in ('{{ wmin.repeatable_wide_events() | join("', '") }}')
    group by trust_code, accession, event
),

judged as (
    select
        latest.*,
        -- sqlfluff reads `not (` as a function call
        not (  -- noqa: LT01, LT06
            latest.in_latest_full_delivery
            -- an earlier occurrence, while the cell holds a later time (never when it is empty)
            or (latest.from_wide_row and coalesce(latest.event_at < latest_cells.cell_at, false))
        ) as is_withdrawn
    from latest
    left join latest_cells
        on latest_cells.trust_code = latest.trust_code
        and latest_cells.accession = latest.accession
        and latest_cells.event = latest.event
),

final as (
    select
        trust_code,
        accession,
        source_event_id,
        from_wide_row,
        event,
        event_at,
        appointment_at,
        actor_id,
        actor_outsourced,
        local_time_ambiguous,
        landing_dq_flags,
        file_id,
        source_line,
        extract_at,
        key_hash,
        exam_hash,
        delivery_rank,
        is_withdrawn,
        case when is_withdrawn then full_file_id end as withdrawn_by_file_id,
        case when is_withdrawn then full_extract_at end as withdrawn_at_extract
    from judged
)

select * from final
