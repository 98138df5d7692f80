{#- Every row satisfies a SQL boolean expression (rows where it is false are failures;
    null counts as a failure unless the expression handles it). -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
