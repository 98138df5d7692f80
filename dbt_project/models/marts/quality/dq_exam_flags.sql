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
-- Data-quality flags per exam (latest delivery): loaded, never rejected; counted on the Data
-- quality page. A flag is set by this model's own rule or by the loader's landing dq_flags.
-- The record-level facts come from int_exams_coded, the timeline from fct_exams (not
-- re-pivoted here: the events pivot is the expensive part of a build).
-- Incremental like fct_exams (docs/incremental.md): only the exams changed since this
-- model's own last build are re-flagged; every exam of fct_exams has a row, so delete+insert
-- replaces them all.
with

coded as (
    select
        {{ wmin.exam_key('trust_code', 'accession') }} as exam_key,
        nhs_number,
        landing_dq_flags,
        rows_in_file,
        is_unknown_procedure_code,
        is_modality_conflict
    from {{ ref('int_exams_coded') }} as int_exams_coded
    {{ wmin.only_changed_exams('int_exams_coded', hash_column='key_hash', relation=ref('int_exams_coded')) }}
),

exams as (
    select
        fct_exams.*,
        coded.nhs_number,
        coded.landing_dq_flags,
        coded.rows_in_file,
        coded.is_modality_conflict,
        fct_exams.received_date < fct_exams.request_date as is_received_before_request
    from {{ ref('fct_exams') }} as fct_exams
    inner join coded on coded.exam_key = fct_exams.exam_key
),

flagged as (
    select
        exam_key,
        trust_code,
        site_code,
        modality,
        test_date,
        cast({{ dbt.date_trunc('month', 'coalesce(test_date, request_date)') }} as date) as month,
        (nhs_number is not null and not ({{ wmin.nhs_number_is_valid('nhs_number') }}))
            or coalesce(landing_dq_flags, '') like '%nhs_number_invalid%' as nhs_number_invalid,
        nhs_number is null as nhs_number_missing,
        coalesce(is_request_after_test, false)
            or coalesce(is_report_before_test, false)
            or coalesce(is_received_before_request, false)
            or coalesce(landing_dq_flags, '') like '%dates_out_of_order%' as dates_out_of_order,
        is_unknown_procedure_code
            or coalesce(landing_dq_flags, '') like '%unknown_local_code%' as unknown_local_code,
        rows_in_file > 1 as duplicate_accession,
        coalesce(is_modality_conflict, false) as modality_conflict,
        coalesce(landing_dq_flags, '') like '%unmapped_value%' as unmapped_value,
        coalesce(landing_dq_flags, '') like '%event_after_extract%' as event_after_extract,
        (status in ('completed', 'reported') and test_at is null) as missing_test_time,
        (status = 'reported' and report_verified_at is null) as missing_report_time,
        source_file_id
    from exams
),

final as (
    select
        flagged.*,
        cast(
            case when nhs_number_invalid then 1 else 0 end
            + case when dates_out_of_order then 1 else 0 end
            + case when unknown_local_code then 1 else 0 end
            + case when duplicate_accession then 1 else 0 end
            + case when modality_conflict then 1 else 0 end
            + case when unmapped_value then 1 else 0 end
            + case when event_after_extract then 1 else 0 end
            + case when missing_test_time then 1 else 0 end
            + case when missing_report_time then 1 else 0 end
            as integer) as flag_count
    from flagged
)

select * from final
