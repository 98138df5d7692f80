{#- The build's as-of date: var `as_of_date` (YYYY-MM-DD; unit tests and hand-run builds set
    it), else environment variable WMIN_BUILD_AS_OF (pipeline/build.py sets it), else today's
    date on the machine running dbt. Resolved once in Jinja so every model of one build agrees.
    The pipeline passes the date in the environment, not as a var, and it is read only when dbt
    executes (never while parsing): a var that changes every night makes dbt parse the whole
    project again each night (cli vars are part of its partial-parse check), and an env_var
    read at parse time would mark every file using it for re-parsing too. -#}
{% macro as_of_date_literal() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if wmin.is_unset(value) and execute -%}
        {%- set value = env_var('WMIN_BUILD_AS_OF', '') -%}
    {%- endif -%}
    {%- if wmin.is_unset(value) -%}
        {%- set value = modules.datetime.date.today().isoformat() -%}
    {%- endif -%}
    {{ return(value | string | trim) }}
{%- endmacro %}

{% macro is_unset(value) -%}
    {{ return(value is none or value | string | trim in ('', 'None', 'none', 'null')) }}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ wmin.as_of_date_literal() }}' as date)
{%- endmacro %}

{#- End of the as-of day (local midnight after it), as an instant: events at or after it are
    not yet known to the build. -#}
{% macro as_of_end() -%}
    {{ wmin.local_midnight(dbt.dateadd('day', 1, wmin.as_of_date())) }}
{%- endmacro %}
