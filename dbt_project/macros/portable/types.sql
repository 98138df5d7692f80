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

{#- A decimal number written in SQL, e.g. '7.0' in `days / 7.0`, as an 8-byte float. Spark
    reads such a literal as a DECIMAL and computes in decimal from there (95.416667, not
    95.41666666666667). DuckDB keeps the literal as written: its decimal arithmetic is exact
    and ends in a double at each division, so the DuckDB build's figures stay as they were. -#}
{% macro double_literal(value) -%}
    {{ return(adapter.dispatch('double_literal', 'wmin')(value)) }}
{%- endmacro %}

{% macro default__double_literal(value) -%}
    cast({{ value }} as {{ wmin.type_double() }})
{%- endmacro %}

{% macro duckdb__double_literal(value) -%}
    {{ value }}
{%- endmacro %}
