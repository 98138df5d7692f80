-- Each calendar day's start and end as instants (local midnight, Europe/London), so a local
-- date is found by comparing instants instead of converting every row to local time.
select
    date_day,
    {{ wmin.local_midnight('date_day') }} as day_start,
    {{ wmin.local_midnight(dbt.dateadd('day', 1, 'date_day')) }} as next_midnight
from {{ ref('dim_date') }}
