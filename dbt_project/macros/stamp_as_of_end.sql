{#- Post-hook of the exam-keyed incremental models: after a build every row is right for the
    current as-of end (see fct_exams), so record it as the model's state, read by the next
    build (exam_build_state) to know the previous as-of. Only the rows a build rewrote carry its
    as-of end in their built_as_of_end column: stamping all of them cost a rewrite of millions
    of rows a night (1.6 s for int_exam_events_pivoted on a network year). With `newest_file`,
    the newest staged file is recorded too: the month marts (macros/month_partitions.sql) have no
    file column of their own to find what changed since they were built. -#}
{% macro stamp_as_of_end(relation, newest_file=false) -%}
    delete from {{ wmin.model_as_of() }} where model_name = '{{ wmin.model_state_name(relation) }}';
    insert into {{ wmin.model_as_of() }} (model_name, built_as_of_end, built_file_id)
    values ('{{ wmin.model_state_name(relation) }}', {{ wmin.as_of_end() }},
            {{ wmin.newest_staged_file() if newest_file else 'null' }})
{%- endmacro %}

{% macro model_as_of() -%}
    {{ wmin.build_state_schema() }}.model_as_of
{%- endmacro %}

{% macro model_state_name(relation) -%}
    {{ relation.schema }}.{{ relation.identifier }}
{%- endmacro %}

{#- on-run-start: the state table exists before any model reads it. -#}
{% macro create_build_state() -%}
    create schema if not exists {{ wmin.build_state_schema() }};
    create table if not exists {{ wmin.model_as_of() }} (
        model_name {{ dbt.type_string() }},
        built_as_of_end {{ wmin.type_instant() }}
    );
    {#- added after the table first shipped: a table without it gains it once -#}
    alter table {{ wmin.model_as_of() }} add column if not exists built_file_id {{ dbt.type_bigint() }};
    {#- the months a month mart's last build rebuilt (macros/month_partitions.sql) -#}
    create table if not exists {{ wmin.rebuilt_months() }} (
        model_name {{ dbt.type_string() }},
        month date
    );
    {#- the exams each exam-keyed model rebuilds this run (macros/incremental.sql) -#}
    create table if not exists {{ wmin.changed_exams_table() }} (
        model_name {{ dbt.type_string() }},
        exam_hash {{ wmin.key_hash_type() }}
    );
    {#- a model keyed by the published exam_key finds its rows by it (int_waiting_list_members) -#}
    alter table {{ wmin.changed_exams_table() }} add column if not exists exam_key {{ dbt.type_string() }};
    {#- the patients and census dates int_waiting_list_members rebuilds (macros/census_members.sql) -#}
    create table if not exists {{ wmin.rebuilt_patients() }} (
        model_name {{ dbt.type_string() }},
        patient_hash {{ wmin.key_hash_type() }}
    );
    create table if not exists {{ wmin.rebuilt_census_dates() }} (
        model_name {{ dbt.type_string() }},
        census_date date
    )
{%- endmacro %}
