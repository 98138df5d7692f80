{#- Pre-hook of the staging models: a table built before it had key_hash gets the column, filled
    for every row, before the incremental run looks rows up by it (once; then a no-op). -#}
{% macro backfill_key_hash(relation, key_columns) -%}
    {{ wmin.backfill_hash(relation, 'key_hash', key_columns) }}
{%- endmacro %}

{#- The same for any hash column of key_columns (e.g. exam_hash). -#}
{% macro backfill_hash(relation, hash_column, key_columns) -%}
    {%- if is_incremental() and wmin.lacks_column(relation, hash_column) -%}
    alter table {{ relation }} add column {{ hash_column }} {{ wmin.key_hash_type() }};
    update {{ relation }} set {{ hash_column }} = {{ wmin.key_hash(key_columns) }}
    {%- endif -%}
{%- endmacro %}

{% macro lacks_column(relation, column_name) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower == column_name -%}{{ return(false) }}{%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}
