{#- A build-time switch: var `name` when true, else environment variable `env_name` = 'true',
    read only while executing (see as_of_date_literal for why not a var). -#}
{% macro build_flag(name, env_name) -%}
    {%- if var(name, false) -%}{{ return(true) }}{%- endif -%}
    {{ return(execute and env_var(env_name, '') | trim | lower == 'true') }}
{%- endmacro %}
