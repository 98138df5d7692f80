{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='key_hash',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.backfill_key_hash(this, ['trust_code', 'accession']) }}",
    )
}}
-- One row per exam (trust + accession): the latest delivery wins (latest extract_at, then the
-- later file and line). Rename, cast and light cleaning only.
-- Incremental, latest delivery re-ranked (docs/incremental.md): only exams with a row in a file
-- loaded since the last build are re-ranked, against the row kept for them last time.
with

source as (
    {{ wmin.landing_rows('exam_records') }}
),

renamed as (
    select
        cast(trust_code as {{ dbt.type_string() }}) as trust_code,
        cast(accession as {{ dbt.type_string() }}) as accession,
        upper(trim(local_procedure_code)) as local_procedure_code,
        upper(trim(nicip_code)) as sent_nicip_code,
        procedure_name as sent_procedure_name,
        site_code,
        room,
        modality as sent_modality,
        priority,
        patient_source_setting,
        activity_category,
        referrer_code,
        referring_org_code,
        gp_practice_code,
        nhs_number,
        nhs_number_status,
        patient_key,
        cast(birth_date as date) as birth_date,
        sex,
        postcode,
        ethnicity,
        cast(clock_start_date as date) as clock_start_date,
        status,
        dq_flags as landing_dq_flags,
        file_id,
        source_line,
        extract_at,
        -- the key as one number: incremental runs find a key's kept row by it (macros/incremental/key_hash.sql)
        {{ wmin.key_hash(['trust_code', 'accession']) }} as key_hash
    from source
),

counted as (
    select
        *,
        count(*) over (partition by trust_code, accession, file_id) as rows_in_file
    from renamed
),

candidates as (
    {{ wmin.latest_delivery_candidates('counted', backfilled=['key_hash']) }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['trust_code', 'accession']) }} as delivery_rank
    from candidates
),

final as (
    select * from ranked where delivery_rank = 1
)

select * from final
