{#- Post-hook of the exam-keyed incremental models: after a build every row is right for the
    current as-of end (see fct_exams), so record it as the model's state, read by the next
    build (exam_build_state) to know the previous as-of. Only the rows a build rewrote carry its
    as-of end in their built_as_of_end column: stamping all of them cost a rewrite of millions
    of rows a night (1.6 s for int_exam_events_pivoted on a network year). -#}
{% macro stamp_as_of_end(relation) -%}
    delete from {{ wmin.model_as_of() }} where model_name = '{{ wmin.model_state_name(relation) }}';
    insert into {{ wmin.model_as_of() }} (model_name, built_as_of_end)
    values ('{{ wmin.model_state_name(relation) }}', {{ wmin.as_of_end() }})
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
    )
{%- endmacro %}
