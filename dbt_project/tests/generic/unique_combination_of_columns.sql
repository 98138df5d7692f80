{#- The grain of a model: no two rows share the same values of these columns
    (a compound key; dbt_utils' test of the same name, written here: no dbt packages). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as rows_in_grain
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
