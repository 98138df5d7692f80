{#- int_waiting_list_members incrementally. Its rows (census date x exam on the list) were
    rebuilt whole every night: a range join of the waiting-list requests with every census
    date, the largest node of a nightly build. A row can only differ from the last build when
      * its exam changed (a newer delivery, or an event between the previous and the current
        as-of ends: changed_exams against the state the post-hook recorded), or another request
        of the same patient changed: which request counts a patient (is_counted_for_dm01) ranks
        all of the patient's requests, so every row of a patient with a changed exam is rebuilt,
        the patients before and after the change (an NHS number corrected moves a request);
      * its census date is new (the as-of date; a month end once the as-of date passes it) or
        gone (the previous as-of date when it was no month end).
    The pre-hook records both in build_state (rebuilt_patients, rebuilt_census_dates) and
    deletes those rows; the model's query rebuilds the patients at every census date and the
    other patients at the new census dates. Patients are found by a hash of
    counted_patient_key: patients sharing a hash are all rebuilt alike. Without a recorded
    state (first build after the model became incremental) every row is rebuilt. -#}
{% macro delete_rebuilt_census_members(relation) -%}
    {#- the models read in the incremental branch, named outside it for dbt's parse
        (declare_changed_exam_sources) -#}
    {%- do wmin.declare_changed_exam_sources() -%}
    {%- do ref('int_exams_enriched') -%}
    {%- if is_incremental() -%}
    {%- set name = wmin.model_state_name(relation) -%}
    {%- set state = wmin.recorded_build_state(relation) -%}
    delete from {{ wmin.rebuilt_census_dates() }} where model_name = '{{ name }}';
    insert into {{ wmin.rebuilt_census_dates() }} (model_name, census_date)
    select '{{ name }}', census.census_date
    from ({{ wmin.census_dates() }}) as census
    {%- if state is not none %}
    where census.census_date not in (select distinct built.census_date from {{ relation }} as built)
    {%- endif %};
    delete from {{ wmin.rebuilt_patients() }} where model_name = '{{ name }}';
    {%- if state is not none %}
    {#- the changed exams first into a table (the planner sizes it: as a subquery DuckDB hashed
        the big side of each semi-join, 1.3 s against 0.1 s on a network year) -#}
    delete from {{ wmin.changed_exams_table() }} where model_name = '{{ name }}';
    insert into {{ wmin.changed_exams_table() }} (model_name, exam_hash, exam_key)
    select '{{ name }}', {{ wmin.exam_hash('changed.trust_code', 'changed.accession') }},
        {{ wmin.exam_key('changed.trust_code', 'changed.accession') }}
    from ({{ wmin.changed_exams(state) }}) as changed;
    insert into {{ wmin.rebuilt_patients() }} (model_name, patient_hash)
    select distinct '{{ name }}', {{ wmin.key_hash(['patients.counted_patient_key']) }}
    from (
        {#- the patients before the change: the rows built for the changed exams #}
        select built.counted_patient_key
        from {{ relation }} as built
        where {{ wmin.matching_rows(relation, 'built', 'exam_key',
            'select exam_key from ' ~ wmin.changed_exams_table() ~ " where model_name = '" ~ name ~ "'") }}
        union all
        {#- and after it (fct_exams' patient, read by hash from the model it copies) #}
        select coalesce(exams.patient_key, {{ wmin.exam_key('exams.trust_code', 'exams.accession') }}) as counted_patient_key
        from {{ ref('int_exams_enriched') }} as exams
        where {{ wmin.matching_rows(ref('int_exams_enriched'), 'exams', 'exam_hash',
                                    wmin.changed_exam_hashes_of(relation)) }}
    ) as patients;
    delete from {{ relation }} as built
    where built.census_date not in (select census.census_date from ({{ wmin.census_dates() }}) as census)
        or {{ wmin.is_rebuilt_patient('built.counted_patient_key', relation) }}
    {%- else %}
    delete from {{ relation }}
    {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- Whether the patient `patient_key_expression` is one the pre-hook chose to rebuild. -#}
{% macro is_rebuilt_patient(patient_key_expression, relation=this) -%}
    {{ wmin.key_hash([patient_key_expression]) }} in (
        select patient_hash from {{ wmin.rebuilt_patients() }}
        where model_name = '{{ wmin.model_state_name(relation) }}'
    )
{%- endmacro %}

{% macro rebuilt_census_dates_of(relation) -%}
    select census_date from {{ wmin.rebuilt_census_dates() }}
    where model_name = '{{ wmin.model_state_name(relation) }}'
{%- endmacro %}
