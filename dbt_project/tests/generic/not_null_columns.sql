{#- None of these columns holds a null: dbt's not_null for several columns of a model in one
    query, one node of a build (each node costs dbt its own compile and run). -#}
{% test not_null_columns(model, columns) %}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
