{#- Post-hook of the exam-keyed incremental models: after a build every row is right for the
    current as-of end (see fct_exams), so record it as the model's state, read by the next
    build (exam_build_state) to know the previous as-of. Only the rows a build rewrote carry its
    as-of end in their built_as_of_end column: stamping all of them cost a rewrite of millions
    of rows a night (1.6 s for int_exam_events_pivoted on a network year). With `newest_file`,
    the newest staged file is recorded too: int_waiting_list_members has no file column of its
    own to find what changed since it was built. -#}
{% macro stamp_as_of_end(relation, newest_file=false) -%}
    {%- if wmin.builds_incrementally() %}
    delete from {{ wmin.model_as_of() }} where model_name = '{{ wmin.model_state_name(relation) }}';
    insert into {{ wmin.model_as_of() }} (model_name, built_as_of_end, built_file_id)
    values ('{{ wmin.model_state_name(relation) }}', {{ wmin.as_of_end() }},
            {{ wmin.newest_staged_file() if newest_file else 'null' }})
    {%- endif -%}
{%- endmacro %}

{#- What stamp_as_of_end recorded for `relation`: {'file_id', 'as_of_date'}, or none when
    nothing (or no file, recorded before it was) is known. -#}
{% macro recorded_build_state(relation) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set row = run_query(
        'select max(built_file_id), cast(' ~ dbt.dateadd('day', -1,
            'cast(' ~ wmin.local_timestamp('max(built_as_of_end)') ~ ' as date)')
        ~ ' as date) from ' ~ wmin.model_as_of()
        ~ " where model_name = '" ~ wmin.model_state_name(relation) ~ "'"
    ).rows[0] -%}
    {%- if row[0] is none or row[1] is none -%}{{ return(none) }}{%- endif -%}
    {{ return({'file_id': row[0], 'as_of_date': row[1]}) }}
{%- endmacro %}
