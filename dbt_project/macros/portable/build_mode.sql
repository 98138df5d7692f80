{#- Whether the engine builds the incremental models incrementally (docs/incremental.md).
    DuckDB does: delete+insert, and hooks that delete, update and record build state row by row.
    Plain Parquet tables on Spark take no DELETE or UPDATE, so there every model is rebuilt
    whole (a table) and no build state is kept (docs/spark.md). -#}
{% macro builds_incrementally() -%}
    {{ return(adapter.dispatch('builds_incrementally', 'wmin')()) }}
{%- endmacro %}

{% macro default__builds_incrementally() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__builds_incrementally() -%}
    {{ return(false) }}
{%- endmacro %}

{#- The materialization of an incremental model: `incremental`, or `table` on an engine that
    rebuilds every model whole. -#}
{% macro incremental_materialization() -%}
    {{ return('incremental' if wmin.builds_incrementally() else 'table') }}
{%- endmacro %}

{#- Whether the engine enforces a contract's not_null constraint as it writes a table. dbt-spark
    cannot on plain Parquet tables: there the not_null_constraints data test checks it. -#}
{% macro enforces_not_null() -%}
    {{ return(adapter.dispatch('enforces_not_null', 'wmin')()) }}
{%- endmacro %}

{% macro default__enforces_not_null() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__enforces_not_null() -%}
    {{ return(false) }}
{%- endmacro %}
