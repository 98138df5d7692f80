{#- An exam's published key: the hash of trust and accession (one definition for every model). -#}
{% macro exam_key(trust_code, accession) -%}
    cast({{ dbt.hash(dbt.concat([trust_code, "'|'", accession])) }} as {{ dbt.type_string() }})
{%- endmacro %}
