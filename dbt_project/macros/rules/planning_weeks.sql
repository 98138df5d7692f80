{#- Planning weeks (waiting_list_pressure, waiting_list_projection): seven-day weeks that end
    on the as-of date's weekday, so the latest week ends on the as-of date and its census is
    the as-of census of waiting_list_census. -#}

{#- The last day of the planning week that holds `date_expr`. -#}
{% macro planning_week_end(date_expr) -%}
    cast({{ date_expr }} + cast(((({{ dbt.datediff(date_expr, wmin.as_of_date(), 'day') }}) % 7) + 7) % 7 as integer) as date)
{%- endmacro %}


{#- One row per planning week end (`census_date`), the as-of date and the `planning_history_weeks`
    weeks before it. -#}
{% macro planning_week_ends() -%}
    select cast({{ dbt.dateadd('day', '-7 * weeks_back.k', wmin.as_of_date()) }} as date) as census_date
    from range(0, {{ var('planning_history_weeks') + 1 }}) as weeks_back(k)
{%- endmacro %}
