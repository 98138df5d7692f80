{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_changed_exams(this, 'source_file_id') }}",
        post_hook="{{ wmin.stamp_as_of_end(this) }}",
    )
}}
-- One row per tested exam with the DIDS items (RESTRICTED: NHS number, birth date, postcode,
-- accession). Read by `wmin export dids` from the restricted database only; never published.
-- Identifiers and codes from int_exams_coded, dates from fct_exams (no second events pivot).
-- Incremental like fct_exams (docs/incremental.md): the changed exams' rows are deleted by
-- the pre-hook and rebuilt (an exam no longer tested loses its row).
with

coded as (
    select
        {{ wmin.exam_key('trust_code', 'accession') }} as exam_key,
        accession,
        nhs_number,
        nhs_number_status,
        birth_date,
        ethnicity,
        postcode,
        gp_practice_code,
        referrer_code,
        referring_org_code,
        sent_nicip_code,
        snomed_ct_id,
        key_hash as exam_hash
    from {{ ref('int_exams_coded') }} as int_exams_coded
    {{ wmin.only_changed_exams('int_exams_coded', hash_column='key_hash', relation=ref('int_exams_coded')) }}
),

exams as (
    select
        fct_exams.*,
        coded.accession,
        coded.nhs_number,
        coded.nhs_number_status,
        coded.birth_date,
        coded.ethnicity,
        coded.postcode,
        coded.gp_practice_code,
        coded.referrer_code,
        coded.referring_org_code,
        coded.sent_nicip_code,
        coded.snomed_ct_id,
        coded.exam_hash
    from {{ ref('fct_exams') }} as fct_exams
    inner join coded on coded.exam_key = fct_exams.exam_key
    where fct_exams.test_date is not null
        and {{ wmin.is_live_request('fct_exams.status') }}
),

final as (
    select
        trust_code,
        site_code,
        accession,
        nhs_number,
        nhs_number_status,
        birth_date,
        ethnicity,
        sex,
        postcode,
        gp_practice_code,
        patient_source_setting,
        referrer_code,
        referring_org_code,
        request_date,
        received_date as request_received_date,
        test_date,
        coalesce(nicip_code, sent_nicip_code) as nicip_code,
        snomed_ct_id,
        report_date as report_issue_date,
        requested_at,
        test_at as test_started_at,
        report_verified_at,
        clock_start_date,
        activity_category,
        modality,
        priority,
        source_file_id,
        exam_hash
    from exams
)

select * from final
