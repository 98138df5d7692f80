{#- Data tests of a nightly incremental build on the big tables test only the rows this run
    added or rebuilt (issue #4: their cost must not grow with history). The rows left alone
    were tested by the run that wrote them; a full refresh, CI and `wmin build` test every row.
    Which models, and the column that grows with each newly loaded file: var `new_rows_column`.
    Scoping is on when var `test_new_rows_only` is true, or environment variable
    WMIN_BUILD_TEST_NEW_ROWS_ONLY is 'true' (pipeline/build.py sets it for the nightly), and
    the build is not a full refresh. Meant for `dbt build` (models and their tests
    in one run): a separate `dbt test` run would record the watermarks after the models were
    built and test nothing. Plain SQL: portable as is. -#}

{#- on-run-start: remember each scoped model's newest file id before the run builds it. -#}
{% macro record_test_watermarks() -%}
    {%- if execute and wmin.test_new_rows_only() and not flags.FULL_REFRESH
          and wmin.builds_incrementally() -%}
    {%- set names = var('new_rows_column', {}) -%}
    create schema if not exists {{ wmin.build_state_schema() }};
    create table if not exists {{ wmin.test_watermarks() }} (
        invocation_id {{ dbt.type_string() }},
        model_name {{ dbt.type_string() }},
        watermark {{ dbt.type_bigint() }}
    );
    delete from {{ wmin.test_watermarks() }};
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name in names %}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema,
                                            identifier=node.alias) %}
    {%- if relation is not none %}
    insert into {{ wmin.test_watermarks() }}
    select '{{ invocation_id }}', '{{ node.name }}', max({{ names[node.name] }}) from {{ relation }};
    {%- endif %}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{% macro test_new_rows_only() -%}
    {{ return(wmin.build_flag('test_new_rows_only', 'WMIN_BUILD_TEST_NEW_ROWS_ONLY')) }}
{%- endmacro %}

{% macro test_watermarks() -%}
    {{ wmin.build_state_schema() }}.test_watermarks
{%- endmacro %}

{#- dbt's own hook for a test's `where` config, extended: on a nightly run a test of a scoped
    model sees only the rows whose file column is above the model's watermark (all rows when
    the model had none: it was built from scratch). -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set names = var('new_rows_column', {}) -%}
    {%- if wmin.test_new_rows_only() and not flags.FULL_REFRESH
          and relation.identifier in names -%}
        {%- do conditions.append(
            names[relation.identifier] ~ ' > coalesce((select max(watermark) from '
            ~ wmin.test_watermarks() ~ " where invocation_id = '" ~ invocation_id
            ~ "' and model_name = '" ~ relation.identifier ~ "'), -1)") -%}
    {%- endif -%}
    {%- if conditions -%}
        {#- the relation is aliased: Spark would read `<relation> where (...)` as the alias
            `where` with a column list -#}
        {%- do return('(select * from ' ~ relation ~ ' as tested_rows where '
                      ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
