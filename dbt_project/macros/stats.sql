{#- Continuous quantile (linear interpolation), METRICS.md: medians and p90s. -#}
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


{#- 100 * numerator / denominator, null when the denominator is 0 or null. -#}
{% macro pct(numerator, denominator) -%}
    case when {{ denominator }} > 0
         then 100.0 * {{ numerator }} / {{ denominator }} end
{%- endmacro %}


{#- Whole weeks in a non-negative number of days (floor). -#}
{% macro whole_weeks(days) -%}
    cast(floor({{ days }} / 7.0) as {{ dbt.type_int() }})
{%- endmacro %}


{#- trust_code of a grouping-sets row: the trust, or NETWORK on the network total. -#}
{% macro trust_or_network(column='trust_code') -%}
    case when grouping({{ column }}) = 1 then 'NETWORK' else {{ column }} end
{%- endmacro %}
