{#- One row per date from start to end inclusive, column `date_day`. -#}
{% macro date_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_series', 'wmin')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date) -%}
    select cast(d as date) as date_day
    from generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp),
                         interval '1 day') as g(d)
{%- endmacro %}

{% macro duckdb__date_series(start_date, end_date) -%}
    select cast(generate_series as date) as date_day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)
{%- endmacro %}

{% macro spark__date_series(start_date, end_date) -%}
    select explode(sequence(to_date({{ start_date }}), to_date({{ end_date }}), interval 1 day)) as date_day
{%- endmacro %}

{#- ISO day of the week of a date: 1 Monday .. 7 Sunday. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'wmin')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    extract(isodow from {{ date_expr }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expr) -%}
    extract(dayofweek_iso from {{ date_expr }})
{%- endmacro %}
