{{
    config(
        materialized=wmin.incremental_materialization(),
        unique_key=['trust_code', 'accession'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}
-- One row per exam with its procedure coded to NICIP and the catalogue's modality, body region
-- and DM01 test. Order of trust: the NICIP code the feed sent (if in the catalogue), the trust's
-- local code through local_procedure_codes, a local code that is itself a NICIP code. A code
-- found nowhere is flagged unknown; the exam keeps the feed's modality and has no DM01 test.
-- Incremental, exams with a newer record (docs/incremental.md): recodes only exams whose latest
-- record came in a file loaded since the last build; a change to the code seeds (procedures,
-- local_procedure_codes) needs a full refresh.
with

exam_records as (
    select * from {{ ref('stg_landing__exam_records') }}
    {% if is_incremental() -%}
    where file_id > {{ wmin.newest_file_id(this) }}
    {%- endif %}
),

local_codes as (
    select trust_code, upper(local_code) as local_code, nicip_code
    from {{ ref('local_procedure_codes') }}
),

procedures as (
    select * from {{ ref('procedures') }}
),

mapped as (
    select
        exam_records.*,
        coalesce(sent_as_nicip.nicip_code, via_local_code.nicip_code, local_as_nicip.nicip_code)
            as mapped_nicip_code
    from exam_records
    left join procedures as sent_as_nicip
        on sent_as_nicip.nicip_code = exam_records.sent_nicip_code
    left join local_codes as via_local_code
        on via_local_code.trust_code = exam_records.trust_code
        and via_local_code.local_code = exam_records.local_procedure_code
    left join procedures as local_as_nicip
        on local_as_nicip.nicip_code = exam_records.local_procedure_code
),

final as (
    select
        mapped.*,
        procedures.nicip_code,
        coalesce(procedures.procedure_name, mapped.sent_procedure_name) as procedure_name,
        coalesce(procedures.modality, mapped.sent_modality) as modality,
        procedures.body_region,
        nullif(procedures.dm01_test, '') as dm01_test,
        procedures.snomed_ct_id,
        mapped.mapped_nicip_code is null as is_unknown_procedure_code,
        procedures.modality is not null
            and mapped.sent_modality is not null
            and procedures.modality <> mapped.sent_modality as is_modality_conflict
    from mapped
    left join procedures
        on procedures.nicip_code = mapped.mapped_nicip_code
)

select * from final
