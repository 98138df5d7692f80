{#- Local (Europe/London) time, across clock changes. Timestamps are stored as instants
    (timestamptz, UTC); a "date" in docs/metrics.md is the local calendar date of an instant.
    Engine-specific SQL lives here behind adapter.dispatch (DESIGN.md "Beyond one machine"). -#}
{% macro local_timestamp(ts) -%}
    {{ return(adapter.dispatch('local_timestamp', 'wmin')(ts)) }}
{%- endmacro %}

{% macro default__local_timestamp(ts) -%}
    ({{ ts }} at time zone '{{ var("local_timezone") }}')
{%- endmacro %}

{% macro duckdb__local_timestamp(ts) -%}
    timezone('{{ var("local_timezone") }}', {{ ts }})
{%- endmacro %}

{% macro spark__local_timestamp(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("local_timezone") }}')
{%- endmacro %}

{#- The local calendar date of an instant: 23:30 UTC on a BST day is the next local date. -#}
{% macro local_date(ts) -%}
    cast({{ wmin.local_timestamp(ts) }} as date)
{%- endmacro %}

{#- The instant of local midnight at the start of a date. -#}
{% macro local_midnight(date_expr) -%}
    {{ return(adapter.dispatch('local_midnight', 'wmin')(date_expr)) }}
{%- endmacro %}

{% macro default__local_midnight(date_expr) -%}
    (cast({{ date_expr }} as timestamp) at time zone '{{ var("local_timezone") }}')
{%- endmacro %}

{% macro duckdb__local_midnight(date_expr) -%}
    timezone('{{ var("local_timezone") }}', cast({{ date_expr }} as timestamp))
{%- endmacro %}

{% macro spark__local_midnight(date_expr) -%}
    to_utc_timestamp(cast({{ date_expr }} as timestamp), '{{ var("local_timezone") }}')
{%- endmacro %}

{#- Exact elapsed hours between two instants (b - a), fractional. -#}
{% macro hours_between(a, b) -%}
    {{ return(adapter.dispatch('hours_between', 'wmin')(a, b)) }}
{%- endmacro %}

{% macro default__hours_between(a, b) -%}
    (extract(epoch from ({{ b }} - {{ a }})) / 3600.0)
{%- endmacro %}

{% macro duckdb__hours_between(a, b) -%}
    ((epoch({{ b }}) - epoch({{ a }})) / 3600.0)
{%- endmacro %}

{% macro spark__hours_between(a, b) -%}
    (cast(unix_micros({{ b }}) - unix_micros({{ a }}) as double) / 3600000000)
{%- endmacro %}
