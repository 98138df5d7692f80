{#- The product of a group's non-null values; null when it has none. Spark SQL has no product
    aggregate: the values are collected and multiplied in turn. -#}
{% macro product(expr) -%}
    {{ return(adapter.dispatch('product', 'wmin')(expr)) }}
{%- endmacro %}

{% macro default__product(expr) -%}
    product({{ expr }})
{%- endmacro %}

{% macro spark__product(expr) -%}
    case when count({{ expr }}) > 0
        then aggregate(collect_list(cast({{ expr }} as double)), cast(1 as double), (acc, value) -> acc * value)
    end
{%- endmacro %}
