{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_changed_exams(this, 'events_file_id', records=false) }}",
        post_hook="{{ wmin.stamp_as_of_end(this) }}",
    )
}}
-- One row per exam (trust + accession) with its workflow timeline: live (not withdrawn) events
-- known by the end of the as-of day, pivoted. First of each event, except the booking (the
-- latest one, with its appointment) and the verified report (the FIRST verification: addenda
-- never reset it). A wide feed's repeated events are occurrences here too (macros/rules/wide_events.sql).
-- Incremental, changed exams deleted then appended (docs/incremental.md): re-pivots only exams
-- with an event in a file loaded (or withdrawn by a file loaded) since the last build or
-- between the previous and the current as-of end, whose old rows the pre-hook deletes; every
-- other row is then right for the current as-of end too, which the post-hook records.
with

events as (
    select *
    from {{ ref('stg_landing__exam_events') }} as stg_events
    where event_at < {{ wmin.as_of_end() }}
        and is_withdrawn is not true  -- live events only (stg_landing__exam_events)
    {% if is_incremental() -%}
    and {{ wmin.matching_rows(ref('stg_landing__exam_events'), 'stg_events', 'exam_hash',
                             wmin.changed_exam_hashes_of(this)) }}
    {%- endif %}
),

first_verification as (
    select
        trust_code,
        accession,
        event_at as report_verified_at,
        actor_id as verifier_actor_id,
        actor_outsourced as verifier_outsourced
    from (
        select
            *,
            row_number() over (
                partition by trust_code, accession
                order by event_at nulls last, source_event_id nulls last
            ) as verification_order
        from events
        where event = 'report_verified'
    ) as verifications
    where verification_order = 1
),

latest_booking as (
    select
        trust_code,
        accession,
        event_at as booked_at,
        appointment_at as booked_for
    from (
        select
            *,
            row_number() over (
                partition by trust_code, accession
                order by event_at desc nulls last, source_event_id desc nulls last
            ) as booking_order
        from events
        where event = 'booked'
    ) as bookings
    where booking_order = 1
),

pivoted as (
    select
        trust_code,
        accession,
        min(case when event = 'requested' then event_at end) as requested_at,
        min(case when event = 'request_received' then event_at end) as request_received_at,
        min(case when event = 'vetted' then event_at end) as vetted_at,
        count(case when event = 'booked' then 1 end) as bookings,
        min(case when event = 'arrived' then event_at end) as arrived_at,
        min(case when event = 'exam_started' then event_at end) as exam_started_at,
        min(case when event = 'exam_completed' then event_at end) as exam_completed_at,
        min(case when event = 'reported_prelim' then event_at end) as reported_prelim_at,
        min(case when event = 'cancelled' then event_at end) as cancelled_at,
        min(case when event = 'entered_in_error' then event_at end) as entered_in_error_at,
        count(case when event = 'did_not_attend' then 1 end) as did_not_attend_count,
        max(case when event = 'did_not_attend' then event_at end) as last_did_not_attend_at,
        count(case when event = 'addendum' then 1 end) as addenda_count,
        max(case when event = 'addendum' then event_at end) as last_addendum_at,
        count(case when event = 'report_verified' then 1 end) as verifications,
        max(file_id) as events_file_id,
        max(extract_at) as events_extract_at
    from events
    group by trust_code, accession
),

final as (
    select
        pivoted.trust_code,
        pivoted.accession,
        pivoted.requested_at,
        pivoted.request_received_at,
        pivoted.vetted_at,
        latest_booking.booked_at,
        latest_booking.booked_for,
        pivoted.bookings,
        pivoted.arrived_at,
        pivoted.exam_started_at,
        pivoted.exam_completed_at,
        pivoted.reported_prelim_at,
        first_verification.report_verified_at,
        first_verification.verifier_actor_id,
        first_verification.verifier_outsourced,
        pivoted.verifications,
        pivoted.cancelled_at,
        pivoted.entered_in_error_at,
        pivoted.did_not_attend_count,
        pivoted.last_did_not_attend_at,
        pivoted.addenda_count,
        pivoted.last_addendum_at,
        pivoted.events_file_id,
        pivoted.events_extract_at,
        {{ wmin.exam_hash('pivoted.trust_code', 'pivoted.accession') }} as exam_hash
    from pivoted
    left join latest_booking
        on latest_booking.trust_code = pivoted.trust_code
        and latest_booking.accession = pivoted.accession
    left join first_verification
        on first_verification.trust_code = pivoted.trust_code
        and first_verification.accession = pivoted.accession
)

select * from final
