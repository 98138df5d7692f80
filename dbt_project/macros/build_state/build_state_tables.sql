{#- The build_state schema: what the incremental models record about their last build, read by
    the next one (docs/incremental.md). It lives in the restricted database beside the models and
    is never published. -#}
{% macro build_state_schema() -%}build_state{%- endmacro %}

{#- on-run-start: the state tables exist before any model reads them. -#}
{% macro create_build_state() -%}
    {%- if wmin.builds_incrementally() %}
    create schema if not exists {{ wmin.build_state_schema() }};
    create table if not exists {{ wmin.model_as_of() }} (
        model_name {{ dbt.type_string() }},
        built_as_of_end {{ wmin.type_instant() }}
    );
    {#- added after the table first shipped: a table without it gains it once -#}
    alter table {{ wmin.model_as_of() }} add column if not exists built_file_id {{ dbt.type_bigint() }};
    {#- the exams each exam-keyed model rebuilds this run (incremental/changed_exam_rows.sql) -#}
    create table if not exists {{ wmin.changed_exams_table() }} (
        model_name {{ dbt.type_string() }},
        exam_hash {{ wmin.key_hash_type() }}
    );
    {#- a model keyed by the published exam_key finds its rows by it (int_waiting_list_members) -#}
    alter table {{ wmin.changed_exams_table() }} add column if not exists exam_key {{ dbt.type_string() }};
    {#- the patients and census dates int_waiting_list_members rebuilds (incremental/census_rebuild.sql) -#}
    create table if not exists {{ wmin.rebuilt_patients() }} (
        model_name {{ dbt.type_string() }},
        patient_hash {{ wmin.key_hash_type() }}
    );
    create table if not exists {{ wmin.rebuilt_census_dates() }} (
        model_name {{ dbt.type_string() }},
        census_date date
    )
    {%- endif -%}
{%- endmacro %}

{% macro model_state_name(relation) -%}
    {{ relation.schema }}.{{ relation.identifier }}
{%- endmacro %}

{% macro model_as_of() -%}
    {{ wmin.build_state_schema() }}.model_as_of
{%- endmacro %}

{% macro changed_exams_table() -%}
    {{ wmin.build_state_schema() }}.changed_exams
{%- endmacro %}

{% macro rebuilt_patients() -%}
    {{ wmin.build_state_schema() }}.rebuilt_patients
{%- endmacro %}

{% macro rebuilt_census_dates() -%}
    {{ wmin.build_state_schema() }}.rebuilt_census_dates
{%- endmacro %}
