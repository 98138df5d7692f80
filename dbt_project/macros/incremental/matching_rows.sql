{#- The condition `alias.column in (values)` on `relation`, for a few of its rows. On DuckDB the
    matching row ids are found first, scanning `column` alone, then only those rows are read:
    filtered on the column, the scan decompressed every other column it reads for the whole
    table (reading every column of a 39 M-row table to keep 0.3% of it took twice as long; the
    patients of 60 k changed exams in a 5 M-row table, 0.37 s against 0.06 s). -#}
{% macro matching_rows(relation, alias, column, values) -%}
    {{ return(adapter.dispatch('matching_rows', 'wmin')(relation, alias, column, values)) }}
{%- endmacro %}

{% macro default__matching_rows(relation, alias, column, values) -%}
    {{ alias }}.{{ column }} in ({{ values }})
{%- endmacro %}

{% macro duckdb__matching_rows(relation, alias, column, values) -%}
    {{ alias }}.rowid in (
        select matched.rowid from {{ relation }} as matched
        where matched.{{ column }} in ({{ values }})
    )
{%- endmacro %}
