{#- Month marts rebuilt by month (tat_monthly, did_activity_monthly). A night changes a few
    thousand exams of a network year, most of them in the last months, yet the whole mart was
    recomputed (a quantile per group over every exam). Incrementally, only the months that can
    differ are deleted (pre-hook) and recomputed from the source; the others are kept.

    The source is fct_exams. The model names its partitioning in its config, `rebuild_by_month`:
      date     - the source's date column whose month is the mart's `month`;
      members  - the condition a source row meets to count in the mart;
      built    - an aggregate over the mart's rows of one month giving how many source rows it
                 counts (e.g. the NETWORK rows' exam count);
      as_of_reach_days (optional) - how many days before the as-of date a row's figures depend
                 on the as-of date (e.g. "over 28 days unreported"): when the as-of date moves,
                 the months that far back from either date are rebuilt too.

    A month is rebuilt when
      * an exam that changed since the mart was built now counts in it - this covers exams that
        arrive, change, or move into the month. Changed against the mart's own recorded state
        (the newest staged file and the as-of end, stamp_as_of_end): a source row whose
        source_file_id (its record's or latest event's file) is newer than that file, or an
        exam with an event between that as-of end and this one;
      * its number of counted source rows differs from what the mart counts - an exam that moved
        out of a month (or stopped counting) leaves it one short, and nothing else can change
        that number without an exam arriving, which the first rule catches;
      * the as-of date moved and the month is within reach of it.
    Without a recorded state (first build after the mart became incremental) every month is
    rebuilt. -#}

{#- Pre-hook: record the months to rebuild in build_state.rebuilt_months (one query, before
    anything is written), then remove them from the mart; the model's query reads the same
    list (in_rebuilt_months). -#}
{% macro delete_rebuilt_months(relation) -%}
    {%- if is_incremental() -%}
    delete from {{ wmin.rebuilt_months() }} where model_name = '{{ wmin.model_state_name(relation) }}';
    insert into {{ wmin.rebuilt_months() }} (model_name, month)
    {{ wmin.months_to_rebuild(relation) }};
    delete from {{ relation }} where month in ({{ wmin.rebuilt_months_of(relation) }})
    {%- endif -%}
{%- endmacro %}

{#- The condition (to follow a where) keeping the source rows of the months the pre-hook chose. -#}
{% macro in_rebuilt_months(date_column) -%}
    cast({{ dbt.date_trunc('month', date_column) }} as date) in ({{ wmin.rebuilt_months_of(this) }})
{%- endmacro %}

{% macro rebuilt_months_of(relation) -%}
    select month from {{ wmin.rebuilt_months() }}
    where model_name = '{{ wmin.model_state_name(relation) }}'
{%- endmacro %}

{#- The query giving the months to rebuild (model_name, month): every month of the source and
    the mart when nothing is recorded. -#}
{% macro months_to_rebuild(relation) -%}
    {%- set spec = config.get('rebuild_by_month') -%}
    {%- set state = wmin.recorded_build_state(relation) -%}
    {%- set month_of_date = 'cast(' ~ dbt.date_trunc('month', 'counted.' ~ spec.date) ~ ' as date)' -%}
    with
    {% if state is not none -%}
    {#- exams whose view the as-of move changed (changed_exams' window; the few exams with an
        event between the previous and the current as-of end) -#}
    as_of_moved as (
        select distinct {{ wmin.exam_key('trust_code', 'accession') }} as exam_key
        from {{ ref('stg_landing__exam_events') }}
        where {{ wmin.between_as_of_ends(state.as_of_date) }}
    ),
    {% endif -%}
    counted_now as (
        select
            {{ month_of_date }} as month,
            count(*) as members,
            {#- an exam changed by a newer delivery has a newer source file (its record's or its
                latest event's) #}
            max(case when {{ 'true' if state is none else 'counted.source_file_id > ' ~ state.file_id }}
                then 1 else 0 end) as has_changed_exam
        from {{ ref('fct_exams') }} as counted
        where {{ spec.members }}
        group by 1
    ),
    counted_built as (
        select month, {{ spec.built }} as members
        from {{ relation }}
        group by month
    )
    select '{{ wmin.model_state_name(relation) }}', coalesce(counted_now.month, counted_built.month)
    from counted_now
    full outer join counted_built
        on counted_built.month = counted_now.month
    where counted_now.has_changed_exam = 1
        or coalesce(counted_now.members, 0) <> coalesce(counted_built.members, 0)
        {%- if state is none %}
        or true
        {%- else %}
        or coalesce(counted_now.month, counted_built.month) in (
            select {{ month_of_date }}
            from {{ ref('fct_exams') }} as counted
            where {{ spec.members }}
                and counted.exam_key in (select exam_key from as_of_moved))
        {%- if spec.as_of_reach_days and state.as_of_date | string != wmin.as_of_date_literal() %}
        {%- set earlier = "least(cast('" ~ state.as_of_date ~ "' as date), " ~ wmin.as_of_date() ~ ")" %}
        {%- set later = "greatest(cast('" ~ state.as_of_date ~ "' as date), " ~ wmin.as_of_date() ~ ")" %}
        or (coalesce(counted_now.month, counted_built.month)
                >= {{ dbt.date_trunc('month', dbt.dateadd('day', -spec.as_of_reach_days, earlier)) }}
            and coalesce(counted_now.month, counted_built.month) <= {{ later }})
        {%- endif %}
        {%- endif %}
{%- endmacro %}
