{#- True when a text value is exactly n digits. -#}
{% macro is_digits(expr, n) -%}
    {{ return(adapter.dispatch('is_digits', 'wmin')(expr, n)) }}
{%- endmacro %}

{% macro default__is_digits(expr, n) -%}
    ({{ expr }} ~ '^[0-9]{ {{- n -}} }$')
{%- endmacro %}

{% macro duckdb__is_digits(expr, n) -%}
    regexp_full_match({{ expr }}, '[0-9]{ {{- n -}} }')
{%- endmacro %}

{% macro spark__is_digits(expr, n) -%}
    ({{ expr }} rlike '^[0-9]{ {{- n -}} }$')
{%- endmacro %}

{#- The last path component of a '/'-separated path. -#}
{% macro file_name(path) -%}
    {{ return(adapter.dispatch('file_name', 'wmin')(path)) }}
{%- endmacro %}

{% macro default__file_name(path) -%}
    regexp_replace({{ path }}, '^.*/', '')
{%- endmacro %}

{#- An instant as text that does not depend on the session's time zone. -#}
{% macro instant_text(column) -%}
    {{ return(adapter.dispatch('instant_text', 'wmin')(column)) }}
{%- endmacro %}

{% macro default__instant_text(column) -%}
    cast(cast(extract(epoch from {{ column }}) as bigint) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__instant_text(column) -%}
    strftime({{ column }} at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ')
{%- endmacro %}

{#- Spark formats an instant in the session's zone, which the profile pins to UTC. -#}
{% macro spark__instant_text(column) -%}
    date_format({{ column }}, "yyyy-MM-dd'T'HH:mm:ss'Z'")
{%- endmacro %}

{#- The group's values of `expr` in ascending order, joined by `delimiter` (a SQL string
    literal); nulls left out. dbt-spark's listagg drops the order. -#}
{% macro sorted_list_text(expr, delimiter) -%}
    {{ return(adapter.dispatch('sorted_list_text', 'wmin')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_list_text(expr, delimiter) -%}
    {{ dbt.listagg(expr, delimiter, 'order by ' ~ expr) }}
{%- endmacro %}

{% macro spark__sorted_list_text(expr, delimiter) -%}
    array_join(array_sort(collect_list({{ expr }})), {{ delimiter }})
{%- endmacro %}
