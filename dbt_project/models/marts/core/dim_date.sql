-- One row per calendar date: month, ISO week (Monday), working day (bank holidays seed).
with

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

final as (
    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week,
        cast(extract(year from date_day) as integer) as year,
        iso_day_of_week,
        is_bank_holiday,
        is_working_day,
        working_day_number,
        cast({{ dbt.last_day('date_day', 'month') }} as date) = date_day as is_month_end
    from calendar
)

select * from final
