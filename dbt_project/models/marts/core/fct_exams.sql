{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='exam_key',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.record_changed_exams(this, 'source_file_id') }}",
        post_hook="{{ wmin.stamp_as_of_end(this) }}",
    )
}}
-- One row per exam (trust + accession), published: no NHS number, birth date, full postcode or
-- accession. Incremental, changed exams (docs/incremental.md): a build reprocesses only exams
-- with a delivery in a file loaded since the last build and exams with an event between the
-- previous and the current as-of ends. Every exam keeps a row (it has a record), so
-- delete+insert replaces them all; every other row is then also right for the current as-of
-- end, which the post-hook records. Changing a seed (procedures, targets) needs a full refresh.
with

exams_to_build as (
    select * from {{ ref('int_exams_enriched') }} as exams
    {{ wmin.only_changed_exams('exams', relation=ref('int_exams_enriched')) }}
),

final as (
    select
        {{ wmin.exam_key('trust_code', 'accession') }} as exam_key,
        trust_code,
        site_code,
        patient_key,
        cast(age_at_test as {{ dbt.type_int() }}) as age_at_test,
        sex,
        modality,
        nicip_code,
        procedure_name,
        body_region,
        dm01_test,
        priority,
        patient_source_setting,
        activity_category,
        status,
        requested_at,
        request_received_at,
        clock_start_date,
        booked_for,
        exam_started_at,
        exam_completed_at,
        report_verified_at,
        cancelled_at,
        reporter_type,
        test_date,
        cast(request_to_test_days as {{ dbt.type_int() }}) as request_to_test_days,
        cast(test_to_report_days as {{ dbt.type_int() }}) as test_to_report_days,
        cast(test_to_report_hours as {{ wmin.type_double() }}) as test_to_report_hours,
        reported_within_target,
        -- additional columns (docs/metrics.md: add freely, rename never)
        room,
        local_procedure_code,
        is_unknown_procedure_code,
        request_date,
        received_date,
        report_date,
        cancelled_date,
        entered_in_error_at,
        test_at,
        booked_at,
        arrived_at,
        reported_prelim_at,
        did_not_attend_count,
        addenda_count,
        cast(target_hours as {{ dbt.type_int() }}) as target_hours,
        cast(request_to_test_working_days as {{ dbt.type_int() }}) as request_to_test_working_days,
        cast(test_to_report_working_days as {{ dbt.type_int() }}) as test_to_report_working_days,
        is_request_after_test,
        is_report_before_test,
        source_file_id,
        source_extract_at,
        -- the instants planners read, as Europe/London wall-clock time (UTC columns unchanged)
        {{ wmin.local_timestamp('requested_at') }} as requested_at_local,
        {{ wmin.local_timestamp('booked_for') }} as booked_for_local,
        {{ wmin.local_timestamp('exam_started_at') }} as exam_started_at_local,
        {{ wmin.local_timestamp('exam_completed_at') }} as exam_completed_at_local,
        {{ wmin.local_timestamp('report_verified_at') }} as report_verified_at_local,
        {{ wmin.local_timestamp('test_at') }} as test_at_local
    from exams_to_build
)

select * from final
