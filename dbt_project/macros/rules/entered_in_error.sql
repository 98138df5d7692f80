{#- A request withdrawn as entered in error (status entered_in_error: HL7 ORC-16 EIE, or the
    feed's own word) never existed (docs/metrics.md): it is on no waiting list, past censuses
    included, and counts in no activity, turnaround, backlog, utilisation or DID figure. An
    ordinary cancellation is no such thing: it ends the request on its date. The marts keep the
    exams for which this is true; fct_exams keeps every exam, recorded as it is. -#}
{% macro is_live_request(status_column='status') -%}
    {{ status_column }} is distinct from 'entered_in_error'
{%- endmacro %}
