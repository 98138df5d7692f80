{#- What an exam-keyed model was last built from: the newest file id of its `file_column` and the
    as-of date its rows are right for (stamp_as_of_end records it in build_state.model_as_of).
    Read when the model compiles, so that its pre-hook and its query see the same values. -#}
{% macro exam_build_state(relation, file_column) -%}
    {%- set state = {'file_id': -1, 'as_of_date': none} -%}
    {#- built_as_of_end is the local midnight after the as-of day: the as-of date is the day
        before its local date (taking its own date put the previous end a day late, so the
        window of changed_exams missed the events of the new as-of day in older files) -#}
    {#- a table built before it carried these columns (e.g. first run after a mart became
        incremental) is rebuilt whole: every exam counts as changed -#}
    {%- set have = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do have.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if execute and file_column | lower in have -%}
        {#- the recorded as-of end; a table built before it was recorded had it on every row -#}
        {%- set as_of_end -%}
        coalesce(
            (select max(built_as_of_end) from {{ wmin.model_as_of() }}
             where model_name = '{{ wmin.model_state_name(relation) }}')
            {%- if 'built_as_of_end' in have %},
            (select max(built_as_of_end) from {{ relation }})
            {%- endif %})
        {%- endset -%}
        {%- set row = run_query(
            'select coalesce(max(' ~ file_column ~ '), -1), '
            ~ 'cast(' ~ dbt.dateadd('day', -1, 'cast(' ~ wmin.local_timestamp(as_of_end) ~ ' as date)')
            ~ ' as date) from ' ~ relation
        ).rows[0] -%}
        {#- no as-of known: the model is rebuilt whole -#}
        {%- if row[1] is not none -%}
        {%- do state.update({'file_id': row[0], 'as_of_date': row[1]}) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}

{#- The exams (trust_code, accession) whose row built from files up to `state.file_id` and as of
    `state.as_of_date` may differ now: a record (with `records`) or an event in a newer file, an
    event withdrawn by a newer file, or an event between the previous and the current as-of end
    (its view depends on the as-of date, in either direction). -#}
{% macro changed_exams(state, records=true) -%}
    {%- if records %}
    select trust_code, accession
    from {{ ref('stg_landing__exam_records') }}
    where file_id > {{ state.file_id }}
    union
    {% endif -%}
    select trust_code, accession
    from {{ ref('stg_landing__exam_events') }}
    where file_id > {{ state.file_id }}
        or withdrawn_by_file_id > {{ state.file_id }}
    {%- if state.as_of_date is not none %}
        or {{ wmin.between_as_of_ends(state.as_of_date) }}
    {%- endif %}
{%- endmacro %}

{#- An event between the end of the previous as-of date and the end of the current one (either
    way round): its exam's view changed with the as-of date. -#}
{% macro between_as_of_ends(previous_as_of_date, column='event_at') -%}
    {%- set previous_end = wmin.local_midnight(dbt.dateadd('day', 1, "cast('" ~ previous_as_of_date ~ "' as date)")) -%}
    ({{ column }} >= least({{ previous_end }}, {{ wmin.as_of_end() }})
        and {{ column }} < greatest({{ previous_end }}, {{ wmin.as_of_end() }}))
{%- endmacro %}

{#- The exam hashes of changed_exams (see only_changed_exams). -#}
{% macro changed_exam_hashes(state, records=true) -%}
    select {{ wmin.exam_hash('changed.trust_code', 'changed.accession') }} as exam_hash
    from ({{ wmin.changed_exams(state, records) }}) as changed
{%- endmacro %}
