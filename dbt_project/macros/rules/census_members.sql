{#- Each exam of `exams` on the list at the end of each date of `census_dates` (docs/metrics.md):
    clock started on or before it, not tested and not cancelled by then. `carry`: more columns
    of `exams` to keep on each member row (no join back to the exams for them). -#}
{% macro census_members(exams, census_dates, carry=[]) -%}
    select
        {{ census_dates }}.census_date,
        {{ exams }}.exam_key,
        {{ exams }}.trust_code,
        coalesce({{ exams }}.patient_key, {{ exams }}.exam_key) as counted_patient_key,
        {{ exams }}.modality,
        {{ exams }}.dm01_test,
        {{ exams }}.clock_start_date,
        {{ exams }}.booked_for,
        {%- for column in carry %}
        {{ exams }}.{{ column }},
        {%- endfor %}
        {{ dbt.datediff(exams ~ '.clock_start_date', census_dates ~ '.census_date', 'day') }} as days_waited
    from {{ exams }}
    inner join {{ census_dates }}
        on {{ exams }}.clock_start_date <= {{ census_dates }}.census_date
        and ({{ exams }}.test_date is null or {{ exams }}.test_date > {{ census_dates }}.census_date)
        and ({{ exams }}.cancelled_date is null or {{ exams }}.cancelled_date > {{ census_dates }}.census_date)
{%- endmacro %}

{#- The census dates of the build (int_report_dates). -#}
{% macro census_dates() -%}
    select report_date as census_date from {{ ref('int_report_dates') }} where is_census_date
{%- endmacro %}
