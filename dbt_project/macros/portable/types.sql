{#- 8-byte floating point. dbt.type_float() is a 4-byte REAL on DuckDB, too coarse for hours
    and percentages, so this project uses its own. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'wmin')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}

{#- An instant (timestamp with time zone): dbt.type_timestamp() is a local, zone-less timestamp
    on DuckDB. -#}
{% macro type_instant() -%}
    {{ return(adapter.dispatch('type_instant', 'wmin')()) }}
{%- endmacro %}

{% macro default__type_instant() -%}timestamp with time zone{%- endmacro %}

{% macro spark__type_instant() -%}timestamp{%- endmacro %}
