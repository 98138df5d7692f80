{#- After an incremental build of fct_exams every row is correct for the current as-of end
    (see the model): record it on all rows, so the next build knows the previous as-of. -#}
{% macro stamp_as_of_end(relation) -%}
    update {{ relation }}
    set built_as_of_end = {{ wmin.as_of_end() }}
    where built_as_of_end is distinct from {{ wmin.as_of_end() }}
{%- endmacro %}
