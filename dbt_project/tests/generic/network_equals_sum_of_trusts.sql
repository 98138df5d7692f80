{#- NETWORK rows carry the sum of the trust rows for every other grain column:
    `value_column` summed over trusts equals the NETWORK row's value. -#}
{% test network_equals_sum_of_trusts(model, value_column, grain_columns) %}
    {%- set grain = grain_columns | join(', ') %}
    with by_grain as (
        select {{ grain }},
               sum(case when trust_code = 'NETWORK' then {{ value_column }} else 0 end) as network_value,
               sum(case when trust_code = 'NETWORK' then 0 else {{ value_column }} end) as trusts_value
        from {{ model }}
        group by {{ grain }}
    )
    select * from by_grain where network_value <> trusts_value
{% endtest %}
