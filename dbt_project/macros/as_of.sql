{#- The build's as-of date: var `as_of_date` (YYYY-MM-DD), else today's date on the machine
    running dbt. Resolved once in Jinja so every model of one build agrees. -#}
{% macro as_of_date_literal() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value is none or value | string | trim in ('', 'None', 'none', 'null') -%}
        {%- set value = modules.datetime.date.today().isoformat() -%}
    {%- endif -%}
    {{ return(value | string | trim) }}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ wmin.as_of_date_literal() }}' as date)
{%- endmacro %}

{#- End of the as-of day (local midnight after it), as an instant: events at or after it are
    not yet known to the build. -#}
{% macro as_of_end() -%}
    {{ wmin.local_midnight(dbt.dateadd('day', 1, wmin.as_of_date())) }}
{%- endmacro %}
