{#- Freshness by group: every group (e.g. each trust) has a row whose timestamp is within
    `max_hours` of the end of the as-of day. Used as a warning on the load manifest's exam
    files: a trust whose feed stopped shows up here even while other trusts keep landing
    fresh. -#}
{% test recent_by_group(model, column_name, group_by, max_hours) %}
    with latest as (
        select {{ group_by }} as group_value, max({{ column_name }}) as latest_at
        from {{ model }}
        where {{ column_name }} < {{ wmin.as_of_end() }}
        group by {{ group_by }}
    )
    select group_value, latest_at
    from latest
    where {{ wmin.hours_between('latest_at', wmin.as_of_end()) }} > {{ max_hours }}
{% endtest %}
