{#- The key of an event a wide row sent (wide CSV, Excel: one cell per event type, holding the
    latest time of that type; landing has no event id for it). An event type that can happen
    again to the same exam (REPEATABLE_WIDE_EVENTS) is keyed by its time as well, so a cell that
    moves forward between deliveries adds an occurrence (a second DNA) instead of replacing the
    first; any other type is keyed by the exam and the type, so a changed cell is a correction
    and the latest delivery wins (stg_landing__exam_events says which earlier occurrences stay). -#}
{% macro repeatable_wide_events() -%}
    {{ return(['booked', 'did_not_attend', 'addendum']) }}
{%- endmacro %}

{% macro wide_event_key(accession, event, event_at) -%}
    case
        when lower(trim({{ event }})) in ('{{ wmin.repeatable_wide_events() | join("', '") }}')
            then {{ dbt.concat([accession, "':'", event, "':'", wmin.instant_text(event_at)]) }}
        else {{ dbt.concat([accession, "':'", event]) }}
    end
{%- endmacro %}
