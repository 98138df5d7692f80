{#- 100 * numerator / denominator, null when the denominator is 0 or null. -#}
{% macro pct(numerator, denominator) -%}
    case when {{ denominator }} > 0
         then {{ wmin.double_literal('100.0') }} * {{ numerator }} / {{ denominator }} end
{%- endmacro %}

{#- Whole weeks in a non-negative number of days (floor). -#}
{% macro whole_weeks(days) -%}
    cast(floor({{ days }} / {{ wmin.double_literal('7.0') }}) as {{ dbt.type_int() }})
{%- endmacro %}

{#- trust_code of a grouping-sets row: the trust, or NETWORK on the network total. -#}
{% macro trust_or_network(column='trust_code') -%}
    case when grouping({{ column }}) = 1 then 'NETWORK' else {{ column }} end
{%- endmacro %}
