{#- Every value of these columns is found in its referenced model: dbt's relationships for
    several columns of a model in one query, one node of a build (each node costs dbt its own
    compile and run). A reference's `where` limits the model's rows it checks, as the
    relationships test's `where` config does. Fails one row per value not found. -#}
{% test relationships_columns(model, references) %}
    with tested as (
        select * from {{ model }}
    )
    {%- for reference in references %}
    select
        '{{ reference.column }}' as column_name,
        cast(tested.{{ reference.column }} as {{ dbt.type_string() }}) as value_not_found
    from tested
    where
        tested.{{ reference.column }} is not null
        {%- if reference.where %}
        and ({{ reference.where }})
        {%- endif %}
        and not exists (
            select 1 from {{ reference.to }} as referenced
            where referenced.{{ reference.field }} = tested.{{ reference.column }}
        )
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endtest %}
