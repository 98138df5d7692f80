{#- Incremental models (the nightly run): landing is append-only and the loader numbers files in
    load order (landing.load_manifest.file_id), so what arrived since a model's last build is
    the rows of files newer than the newest file the model has taken in. A file seen twice
    (e.g. a late delivery that loses to a newer extract) is only work done twice, never a wrong
    row, so the newest file a model kept is a safe watermark. Plain SQL: portable as is. -#}

{#- The newest file id `relation` has taken in (-1 when empty): a scalar subquery. -#}
{% macro newest_file_id(relation, column='file_id') -%}
    (select coalesce(max({{ column }}), -1) from {{ relation }})
{%- endmacro %}

{#- A landing table's rows: all of them on a full build, those of newly loaded files on an
    incremental one. -#}
{% macro landing_rows(table) -%}
    select * from {{ source('landing', table) }}
    {% if is_incremental() -%}
    where file_id > {{ wmin.newest_file_id(this) }}
    {%- endif %}
{%- endmacro %}

{#- Post-hook of a model whose rows are not one per exam (only failing exams have rows): every
    row records the newest file staging had taken in when it was built, so the model's
    watermark (exam_build_state) is that file even when no row of a newer file was made. -#}
{% macro stamp_newest_file(relation, file_column='source_file_id') -%}
    {%- if wmin.builds_incrementally() -%}
    {%- set newest = wmin.newest_staged_file() -%}
    update {{ relation }}
    set {{ file_column }} = {{ newest }}
    where {{ file_column }} is distinct from {{ newest }}
    {%- endif -%}
{%- endmacro %}

{#- The newest file staging has taken in (records or events): a scalar subquery. -#}
{% macro newest_staged_file() -%}
    (select max(file_id) from (
        select max(file_id) as file_id from {{ ref('stg_landing__exam_records') }}
        union all
        select max(file_id) from {{ ref('stg_landing__exam_events') }}
    ) as staged)
{%- endmacro %}
