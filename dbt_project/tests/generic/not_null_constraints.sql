{#- No row has a null in a column that the model's contract declares not_null: the constraint
    as a data test, on an engine whose tables cannot enforce it (plain Parquet on Spark). Where
    the engine enforces it as the table is written (DuckDB), the test is disabled. -#}
{% test not_null_constraints(model) %}
    {{ config(enabled=not wmin.enforces_not_null()) }}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                       | selectattr('alias', 'equalto', model.identifier) | first -%}
        {%- for column in node.columns.values() -%}
            {%- if 'not_null' in column.constraints | map(attribute='type') | list -%}
                {%- do columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% else %}false{% endfor %}
{% endtest %}
