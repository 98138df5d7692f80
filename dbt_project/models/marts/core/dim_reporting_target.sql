-- One row per priority: the report turnaround target in hours (seed reporting_targets), published
-- so that the app, the board pack and planners draw the same target lines.
with

targets as (
    select * from {{ ref('reporting_targets') }}
),

final as (
    select
        priority,
        target_hours,
        source as target_source
    from targets
)

select * from final
