{#- NHS number check (DOMAIN.md): 10 digits; weights 10..2 on digits 1-9; check digit
    11 - (sum mod 11), 11 means 0 and 10 means invalid; the first five digits must not be the
    reverse of the last five. Null or non-digit input gives false. -#}
{% macro nhs_number_is_valid(expr) -%}
    case when {{ wmin.is_digits(expr, 10) }} then
        (case mod(
            {%- for i in range(1, 10) %}
            {{ 11 - i }} * cast(substr({{ expr }}, {{ i }}, 1) as {{ dbt.type_int() }}){{ ' +' if not loop.last }}
            {%- endfor %}
            , 11)
            when 0 then 0
            when 1 then -1
            else 11 - mod(
            {%- for i in range(1, 10) %}
            {{ 11 - i }} * cast(substr({{ expr }}, {{ i }}, 1) as {{ dbt.type_int() }}){{ ' +' if not loop.last }}
            {%- endfor %}
            , 11)
        end) = cast(substr({{ expr }}, 10, 1) as {{ dbt.type_int() }})
        and not (
            substr({{ expr }}, 1, 1) = substr({{ expr }}, 10, 1)
            and substr({{ expr }}, 2, 1) = substr({{ expr }}, 9, 1)
            and substr({{ expr }}, 3, 1) = substr({{ expr }}, 8, 1)
            and substr({{ expr }}, 4, 1) = substr({{ expr }}, 7, 1)
            and substr({{ expr }}, 5, 1) = substr({{ expr }}, 6, 1)
        )
    else false end
{%- endmacro %}
