{#- on-run-end: after a run that loaded every seed successfully, record the digest of the seed
    files it loaded (environment variable WMIN_SEEDS_DIGEST, set by pipeline/build.py), so the
    next incremental build can leave unchanged seeds out (pipeline/seed_state.py). A run
    without all seeds (a nightly that skipped them, a selection) leaves the record as it is. -#}
{% macro record_seeds_loaded(results) -%}
    {%- set digest = env_var('WMIN_SEEDS_DIGEST', '') if execute else '' -%}
    {%- set seeds = graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed') | list if execute else [] -%}
    {%- set loaded = [] -%}
    {%- for result in results if result.node.resource_type == 'seed' and result.status == 'success' -%}
        {%- do loaded.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- if digest and seeds and loaded | length == seeds | length and wmin.builds_incrementally() -%}
    create table if not exists {{ wmin.build_state_schema() }}.seeds_loaded (
        digest {{ dbt.type_string() }}
    );
    delete from {{ wmin.build_state_schema() }}.seeds_loaded;
    insert into {{ wmin.build_state_schema() }}.seeds_loaded values ('{{ digest }}')
    {%- endif -%}
{%- endmacro %}
