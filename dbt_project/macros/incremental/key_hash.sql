{#- A staging key (a list of columns) as one number, to find rows by: DuckDB's 64-bit hash;
    elsewhere the md5 text of the joined key (slower, same use). Never an identity on its own:
    two keys may share a hash (see latest_delivery_candidates). -#}
{% macro key_hash(columns) -%}
    {{ return(adapter.dispatch('key_hash', 'wmin')(columns)) }}
{%- endmacro %}

{% macro default__key_hash(columns) -%}
    {{ dbt.hash(dbt.concat(wmin.key_hash_parts(columns))) }}
{%- endmacro %}

{% macro key_hash_parts(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append(column) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{% macro duckdb__key_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro key_hash_type() -%}
    {{ return(adapter.dispatch('key_hash_type', 'wmin')()) }}
{%- endmacro %}

{% macro default__key_hash_type() -%}{{ dbt.type_string() }}{%- endmacro %}

{% macro duckdb__key_hash_type() -%}ubigint{%- endmacro %}

{#- An exam (trust + accession) as one number: the staging records' key_hash. Never an
    identity on its own (see only_changed_exams). -#}
{% macro exam_hash(trust_code='trust_code', accession='accession') -%}
    {{ wmin.key_hash([trust_code, accession]) }}
{%- endmacro %}
