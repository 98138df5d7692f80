{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_changed_exams(this, 'source_file_id') }}",
        post_hook="{{ wmin.stamp_as_of_end(this) }}",
    )
}}
-- One row per exam: coded record + event timeline + the docs/metrics.md conventions (local dates,
-- test time, intervals computed only when both ends exist and are in order, reporting target,
-- reporter type, age at test, working days). Identifiable columns are still here: the mart
-- fct_exams drops them.
-- Incremental, changed exams deleted then appended (docs/incremental.md; a table, so fct_exams
-- reads it rather than recomputing every exam): rebuilds only the exams with a record or event
-- in a file loaded since the last build or an event between the previous and the current as-of
-- end, whose old rows the pre-hook deletes; the post-hook records the as-of end.
{%- set is_eie = "(timeline.entered_in_error_at is not null or coalesce(coded.status, '') = 'entered_in_error')" %}
with

coded as (
    select * from {{ ref('int_exams_coded') }} as int_exams_coded
    {{ wmin.only_changed_exams('int_exams_coded', hash_column='key_hash', relation=ref('int_exams_coded')) }}
),

timeline as (
    select * from {{ ref('int_exam_events_pivoted') }} as int_exam_events_pivoted
    {{ wmin.only_changed_exams('int_exam_events_pivoted', relation=ref('int_exam_events_pivoted')) }}
),

targets as (
    select priority, target_hours from {{ ref(var('reporting_targets')) }}
),

calendar as (
    select date_day, working_day_number from {{ ref('int_calendar_days') }}
),

joined as (
    select
        coded.*,
        timeline.requested_at,
        timeline.request_received_at,
        timeline.vetted_at,
        timeline.booked_at,
        timeline.booked_for,
        coalesce(timeline.bookings, 0) as bookings,
        timeline.arrived_at,
        timeline.exam_started_at,
        timeline.exam_completed_at,
        timeline.reported_prelim_at,
        timeline.report_verified_at,
        timeline.verifier_actor_id,
        timeline.verifier_outsourced,
        coalesce(timeline.verifications, 0) as verifications,
        -- withdrawn as entered in error (an HL7 EIE event, or the feed's status word with the
        -- time in its cancelled column): recorded as such, never as a cancellation
        case when not {{ is_eie }} then timeline.cancelled_at end as cancelled_at,
        case when {{ is_eie }} then coalesce(timeline.entered_in_error_at, timeline.cancelled_at) end
            as entered_in_error_at,
        {{ is_eie }} as is_entered_in_error,
        coalesce(timeline.did_not_attend_count, 0) as did_not_attend_count,
        timeline.last_did_not_attend_at,
        coalesce(timeline.addenda_count, 0) as addenda_count,
        timeline.last_addendum_at,
        coalesce(timeline.exam_started_at, timeline.exam_completed_at) as test_at,
        greatest(coded.file_id, coalesce(timeline.events_file_id, coded.file_id)) as source_file_id,
        greatest(coded.extract_at, coalesce(timeline.events_extract_at, coded.extract_at))
            as source_extract_at
    from coded
    left join timeline
        on timeline.trust_code = coded.trust_code
        and timeline.accession = coded.accession
),

local_dates as (
    select
        joined.*,
        {{ wmin.local_date('requested_at') }} as request_date,
        coalesce({{ wmin.local_date('request_received_at') }}, {{ wmin.local_date('requested_at') }})
            as received_date,
        {{ wmin.local_date('test_at') }} as test_date,
        {{ wmin.local_date('report_verified_at') }} as report_date,
        {{ wmin.local_date('cancelled_at') }} as cancelled_date,
        coalesce(clock_start_date, {{ wmin.local_date('requested_at') }}) as effective_clock_start_date,
        {{ wmin.hours_between('test_at', 'report_verified_at') }} as raw_test_to_report_hours
    from joined
),

intervals as (
    select
        local_dates.*,
        {{ dbt.datediff('request_date', 'test_date', 'day') }} as raw_request_to_test_days,
        {{ dbt.datediff('test_date', 'report_date', 'day') }} as raw_test_to_report_days
    from local_dates
),

final as (
    select
        intervals.trust_code,
        intervals.accession,
        intervals.site_code,
        intervals.room,
        intervals.patient_key,
        intervals.nhs_number,
        intervals.nhs_number_status,
        intervals.birth_date,
        intervals.sex,
        intervals.postcode,
        intervals.ethnicity,
        intervals.gp_practice_code,
        intervals.referrer_code,
        intervals.referring_org_code,
        intervals.local_procedure_code,
        intervals.sent_nicip_code,
        intervals.nicip_code,
        intervals.snomed_ct_id,
        intervals.procedure_name,
        intervals.modality,
        intervals.sent_modality,
        intervals.body_region,
        intervals.dm01_test,
        intervals.is_unknown_procedure_code,
        intervals.is_modality_conflict,
        intervals.priority,
        intervals.patient_source_setting,
        intervals.activity_category,
        -- entered in error whatever else was sent; a feed that sends no status (HL7) gets the
        -- one its timeline implies, in the order the RIS would show it: cancelled, reported,
        -- attended, a DNA after the last booking
        case when intervals.is_entered_in_error then 'entered_in_error' else coalesce(
            intervals.status,
            case
                when intervals.cancelled_at is not null then 'cancelled'
                when intervals.report_verified_at is not null then 'reported'
                when coalesce(intervals.arrived_at, intervals.exam_started_at,
                              intervals.exam_completed_at) is not null then 'completed'
                when intervals.last_did_not_attend_at is not null
                     and (intervals.booked_at is null
                          or intervals.last_did_not_attend_at > intervals.booked_at)
                    then 'did_not_attend'
                when intervals.booked_at is not null then 'booked'
                when intervals.requested_at is not null then 'requested'
            end
        ) end as status,
        intervals.landing_dq_flags,
        intervals.rows_in_file,
        intervals.requested_at,
        intervals.request_received_at,
        intervals.vetted_at,
        intervals.effective_clock_start_date as clock_start_date,
        intervals.clock_start_date as sent_clock_start_date,
        intervals.booked_at,
        intervals.booked_for,
        intervals.bookings,
        intervals.arrived_at,
        intervals.exam_started_at,
        intervals.exam_completed_at,
        intervals.test_at,
        intervals.reported_prelim_at,
        intervals.report_verified_at,
        intervals.verifications,
        intervals.addenda_count,
        intervals.last_addendum_at,
        intervals.cancelled_at,
        intervals.entered_in_error_at,
        intervals.did_not_attend_count,
        intervals.last_did_not_attend_at,
        case
            when intervals.report_verified_at is null then null
            when intervals.verifier_outsourced then 'outsourced'
            when upper(intervals.verifier_actor_id) like 'RGR%'
              or upper(intervals.verifier_actor_id) like 'SON%' then 'radiographer'
            else 'radiologist'
        end as reporter_type,
        intervals.verifier_actor_id,
        intervals.request_date,
        intervals.received_date,
        intervals.test_date,
        intervals.report_date,
        intervals.cancelled_date,
        case
            when intervals.birth_date is not null and intervals.test_date >= intervals.birth_date
            then {{ dbt.datediff('intervals.birth_date', 'intervals.test_date', 'year') }}
                - case
                    when extract(month from intervals.test_date) * 100 + extract(day from intervals.test_date)
                       < extract(month from intervals.birth_date) * 100 + extract(day from intervals.birth_date)
                    then 1 else 0
                  end
        end as age_at_test,
        -- intervals: only when both ends exist and are in order (never zero for out-of-order)
        case when intervals.raw_request_to_test_days >= 0
             then intervals.raw_request_to_test_days end as request_to_test_days,
        case when intervals.raw_test_to_report_hours >= 0
             then intervals.raw_test_to_report_days end as test_to_report_days,
        case when intervals.raw_test_to_report_hours >= 0
             then intervals.raw_test_to_report_hours end as test_to_report_hours,
        case when intervals.raw_request_to_test_days >= 0
             then test_day.working_day_number - request_day.working_day_number
        end as request_to_test_working_days,
        case when intervals.raw_test_to_report_hours >= 0
             then report_day.working_day_number - test_day.working_day_number
        end as test_to_report_working_days,
        intervals.raw_request_to_test_days < 0 as is_request_after_test,
        intervals.raw_test_to_report_hours < 0 as is_report_before_test,
        intervals.received_date < intervals.request_date as is_received_before_request,
        targets.target_hours,
        case
            when intervals.report_verified_at is null then null
            when intervals.raw_test_to_report_hours >= 0
                 and intervals.raw_test_to_report_hours <= targets.target_hours then true
            else false
        end as reported_within_target,
        intervals.source_file_id,
        intervals.source_extract_at,
        intervals.key_hash as exam_hash
    from intervals
    left join targets on targets.priority = intervals.priority
    left join calendar as request_day on request_day.date_day = intervals.request_date
    left join calendar as test_day on test_day.date_day = intervals.test_date
    left join calendar as report_day on report_day.date_day = intervals.report_date
)

select * from final
