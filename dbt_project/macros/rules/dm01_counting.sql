{#- The patient's row that counts them once per DM01 test on a list at a census date (DOMAIN.md
    DM01): their longest wait, earliest clock start then the smallest exam_key so a tie picks
    one row. Per trust, because DM01 is returned per provider. -#}
{% macro is_counted_for_dm01(members='members') -%}
    {{ members }}.dm01_test is not null and row_number() over (
        partition by {{ members }}.census_date, {{ members }}.trust_code, {{ members }}.dm01_test,
            {{ members }}.counted_patient_key
        order by {{ members }}.clock_start_date nulls last, {{ members }}.exam_key nulls last
    ) = 1
{%- endmacro %}
