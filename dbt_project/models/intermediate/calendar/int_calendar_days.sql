{{ config(materialized='table') }}
-- One row per calendar date (vars calendar_start..calendar_end) with its working-day status
-- (not Saturday or Sunday, not an England and Wales bank holiday) and a running working-day
-- number, so working days between two dates is a subtraction.
with

days as (
    {{ wmin.date_series("'" ~ var('calendar_start') ~ "'", "'" ~ var('calendar_end') ~ "'") }}
),

bank_holidays as (
    select distinct holiday_date from {{ ref('bank_holidays') }}
),

flagged as (
    select
        days.date_day,
        {{ wmin.iso_day_of_week("days.date_day") }} as iso_day_of_week,
        bank_holidays.holiday_date is not null as is_bank_holiday
    from days
    left join bank_holidays on bank_holidays.holiday_date = days.date_day
),

final as (
    select
        date_day,
        cast(iso_day_of_week as {{ dbt.type_int() }}) as iso_day_of_week,
        is_bank_holiday,
        iso_day_of_week < 6 and not is_bank_holiday as is_working_day,
        cast(sum(case when iso_day_of_week < 6 and not is_bank_holiday then 1 else 0 end)
            over (order by date_day nulls last rows between unbounded preceding and current row)
            as {{ dbt.type_int() }}) as working_day_number
    from flagged
)

select * from final
