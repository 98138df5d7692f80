{#- Seed rows on Spark, overriding dbt-spark's macro of this name (dbt prefers the root
    project's). dbt-spark's session method splices each bound value into the SQL as '<value>'
    unescaped, so an apostrophe (Queen's Hospital) breaks the insert and an empty cell arrives
    as the text 'None'. Here every value is written as an escaped literal, an empty cell as null;
    the rest is dbt-spark's macro (batches, column types, the SQL kept for the compiled file). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ wmin.seed_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{#- One seed cell as a Spark SQL literal: null for an empty cell, else quoted text with
    backslashes and apostrophes escaped (Spark's string literals take backslash escapes), cast
    to the column's type by the caller. -#}
{% macro seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
