{#- Latest delivery wins: rank the deliveries of each key, newest extract first, then the later
    file and the later line of it. One rule for every landing table (exam records, events,
    slots), so a corrected re-delivery and a rolling snapshot are handled the same way. -#}
{% macro latest_delivery_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by extract_at desc nulls last, file_id desc nulls last, source_line desc nulls last
    )
{%- endmacro %}
