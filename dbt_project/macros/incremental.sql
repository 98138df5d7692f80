{#- Incremental models (the nightly run): landing is append-only and the loader numbers files in
    load order (landing.load_manifest.file_id), so what arrived since a model's last build is
    the rows of files newer than the newest file the model has taken in. A file seen twice
    (e.g. a late delivery that loses to a newer extract) is only work done twice, never a wrong
    row, so the newest file a model kept is a safe watermark. Plain SQL: portable as is. -#}

{#- The newest file id `relation` has taken in (-1 when empty): a scalar subquery. -#}
{% macro newest_file_id(relation, column='file_id') -%}
    (select coalesce(max({{ column }}), -1) from {{ relation }})
{%- endmacro %}


{#- A landing table's rows: all of them on a full build, those of newly loaded files on an
    incremental one. -#}
{% macro landing_rows(table) -%}
    select * from {{ source('landing', table) }}
    {% if is_incremental() -%}
    where file_id > {{ wmin.newest_file_id(this) }}
    {%- endif %}
{%- endmacro %}


{#- Latest delivery wins, incrementally. `new_rows` (a CTE) holds the landing rows of files
    newer than this model's watermark; in an incremental run the row this model kept for each of
    their keys joins them, so ranking the union gives the same winner as ranking every delivery
    (the kept row is the winner of all older deliveries). A full build ranks `new_rows` alone,
    which is then every landing row. -#}
{% macro latest_delivery_candidates(new_rows, key_columns) -%}
    {%- if is_incremental() -%}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- if column.name | lower != 'delivery_rank' -%}
            {%- do columns.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    select {{ columns | join(', ') }} from {{ new_rows }}
    union all
    select {{ columns | join(', ') }}
    from {{ this }} as kept
    where exists (
        select 1 from {{ new_rows }} as arrived
        where {% for key in key_columns -%}
            arrived.{{ key }} = kept.{{ key }}{{ ' and ' if not loop.last }}
        {%- endfor %}
    )
    {%- else -%}
    select * from {{ new_rows }}
    {%- endif -%}
{%- endmacro %}


{#- What an exam-keyed model was last built from: the newest file id of its `file_column` and the
    as-of date its rows are right for (stamped on every row by stamp_as_of_end). Read when the
    model compiles, so that its pre-hook and its query see the same values. -#}
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
    {%- if execute and file_column | lower in have and 'built_as_of_end' in have -%}
        {%- set row = run_query(
            'select coalesce(max(' ~ file_column ~ '), -1), '
            ~ 'cast(' ~ dbt.dateadd('day', -1, 'cast(max(' ~ wmin.local_timestamp('built_as_of_end') ~ ') as date)')
            ~ ' as date) from ' ~ relation
        ).rows[0] -%}
        {%- do state.update({'file_id': row[0], 'as_of_date': row[1]}) -%}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}


{#- The exams (trust_code, accession) whose row built from files up to `state.file_id` and as of
    `state.as_of_date` may differ now: a record (with `records`) or an event in a newer file, or
    an event between the previous and the current as-of end (its view depends on the as-of
    date, in either direction). -#}
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
    {%- if state.as_of_date is not none %}
    {%- set previous_end = wmin.local_midnight(dbt.dateadd('day', 1, "cast('" ~ state.as_of_date ~ "' as date)")) %}
        or (event_at >= least({{ previous_end }}, {{ wmin.as_of_end() }})
            and event_at < greatest({{ previous_end }}, {{ wmin.as_of_end() }}))
    {%- endif %}
{%- endmacro %}


{#- Pre-hook of an exam-keyed model built with the append strategy: remove the rows of the
    changed exams first, so an exam that no longer has a row (all its events now after the
    as-of end) loses the old one; delete+insert would only replace the exams it inserts. -#}
{% macro delete_changed_exams(relation, file_column, records=true) -%}
    {%- if is_incremental() -%}
    delete from {{ relation }} as built
    {{ wmin.only_changed_exams('built', relation, file_column, records) }}
    {%- endif -%}
{%- endmacro %}


{#- On an incremental run, the filter that keeps only the changed exams' rows of `alias`
    (a relation with trust_code and accession); nothing on a full build. -#}
{% macro only_changed_exams(alias, relation, file_column, records=true) -%}
    {%- if is_incremental() -%}
    where exists (
        select 1
        from ({{ wmin.changed_exams(wmin.exam_build_state(relation, file_column), records) }}) as changed
        where changed.trust_code = {{ alias }}.trust_code
            and changed.accession = {{ alias }}.accession
    )
    {%- endif -%}
{%- endmacro %}


{#- dids_presubmission_checks, incrementally by trust x month of test. An exam changed since the
    mart's last build may have moved between months: its new month holds its dids_records row,
    and its old month, unless another changed exam entered it, now counts a different number
    of records than the mart's records_checked. So a trust-month is rebuilt when a changed exam
    is in it, when its record count differs from the built one (gone months included), or when
    its submission date (capped at the as-of date) may move with the as-of date. -#}
{% macro presubmission_month(alias) -%}
    cast({{ dbt.date_trunc('month', 'coalesce(' ~ alias ~ '.test_date, '
                            ~ wmin.local_date(alias ~ '.test_started_at') ~ ')') }} as date)
{%- endmacro %}

{% macro presubmission_months_to_rebuild(relation) -%}
    {%- set state = wmin.exam_build_state(relation, 'source_file_id') -%}
    {%- set last_submission_day = dbt.last_day(dbt.dateadd('month', 1, 'records_now.month'), 'month') -%}
    with records_now as (
        select trust_code, month, count(*) as records
        from (
            select trust_code, {{ wmin.presubmission_month('dids_now') }} as month
            from {{ ref('dids_records') }} as dids_now
        ) as months
        where month is not null
        group by trust_code, month
    ),
    records_built as (
        select trust_code, month, max(records_checked) as records
        from {{ relation }}
        group by trust_code, month
    )
    select dids_changed.trust_code, {{ wmin.presubmission_month('dids_changed') }} as month
    from {{ ref('dids_records') }} as dids_changed
    inner join ({{ wmin.changed_exams(state) }}) as changed
        on changed.trust_code = dids_changed.trust_code
        and changed.accession = dids_changed.accession
    union
    select coalesce(records_now.trust_code, records_built.trust_code),
        coalesce(records_now.month, records_built.month)
    from records_now
    full outer join records_built
        on records_built.trust_code = records_now.trust_code
        and records_built.month = records_now.month
    where records_now.records is distinct from records_built.records
    union
    select trust_code, month
    from records_now
    {%- if state.as_of_date is not none %}
    where {{ last_submission_day }} >= least(cast('{{ state.as_of_date }}' as date), {{ wmin.as_of_date() }})
    {%- endif %}
{%- endmacro %}

{% macro delete_presubmission_months(relation) -%}
    {%- if is_incremental() -%}
    delete from {{ relation }} as built_checks
    where exists (
        select 1 from ({{ wmin.presubmission_months_to_rebuild(relation) }}) as rebuild
        where rebuild.trust_code = built_checks.trust_code
            and rebuild.month = built_checks.month
    )
    {%- endif -%}
{%- endmacro %}


{#- dq_failure_examples, incrementally by trust x month: dq_exam_flags' month of an exam (of
    the test date, else the request date) from a relation with those columns. -#}
{% macro dq_exam_month(alias) -%}
    cast({{ dbt.date_trunc('month', 'coalesce(' ~ alias ~ '.test_date, ' ~ alias ~ '.request_date)') }} as date)
{%- endmacro %}

{#- The trust-months of dq_failure_examples that may have changed since its last build: where a
    changed exam now is; where an exam left (the month's exam count differs from the one its
    rows recorded; a month entered is where a changed exam now is); and the months of extract
    of files loaded since, or crossing between the previous and the current as-of end (the
    duplicate-row examples). -#}
{% macro example_months_to_rebuild(relation) -%}
    {%- set state = wmin.exam_build_state(relation, 'source_file_id') -%}
    select flags.trust_code, flags.month
    from {{ ref('dq_exam_flags') }} as flags
    inner join (
        select cast({{ dbt.hash(dbt.concat(['trust_code', "'|'", 'accession'])) }} as {{ dbt.type_string() }}) as exam_key
        from ({{ wmin.changed_exams(state) }}) as changed_keys
    ) as changed
        on changed.exam_key = flags.exam_key
    where flags.month is not null
    union
    select manifest.trust_code,
        cast({{ dbt.date_trunc('month', wmin.local_date('manifest.extract_at')) }} as date) as month
    from {{ ref('stg_landing__load_manifest') }} as manifest
    where manifest.trust_code is not null
        and (manifest.file_id > {{ state.file_id }}
    {%- if state.as_of_date is not none %}
    {%- set previous_end = wmin.local_midnight(dbt.dateadd('day', 1, "cast('" ~ state.as_of_date ~ "' as date)")) %}
            or (manifest.extract_at >= least({{ previous_end }}, {{ wmin.as_of_end() }})
                and manifest.extract_at < greatest({{ previous_end }}, {{ wmin.as_of_end() }}))
    {%- endif %})
    {%- if state.as_of_date is not none %}
    union
    select built.trust_code, built.month
    from (
        select trust_code, month, max(exams_in_month) as exams_in_month
        from {{ relation }}
        group by trust_code, month
    ) as built
    left join (
        select trust_code, month, count(*) as exams_in_month
        from {{ ref('dq_exam_flags') }}
        where month is not null
        group by trust_code, month
    ) as now
        on now.trust_code = built.trust_code
        and now.month = built.month
    where coalesce(now.exams_in_month, 0) <> built.exams_in_month
    {%- endif %}
{%- endmacro %}

{#- Post-hook of dq_failure_examples: the placeholder rows only carried a month's deletion; every
    row then records the newest file the build knew (the state, as stamp_as_of_end does). -#}
{% macro drop_example_placeholders(relation) -%}
    delete from {{ relation }} where measure is null;
    update {{ relation }}
    set source_file_id = (select max(file_id) from {{ ref('stg_landing__load_manifest') }})
    where source_file_id is distinct from (select max(file_id) from {{ ref('stg_landing__load_manifest') }})
{%- endmacro %}
