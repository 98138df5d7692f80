-- Who is on the waiting list at the end of each census date C (METRICS.md):
-- activity_category = 'waiting_list', clock_start_date <= C, no test date <= C and no
-- cancellation on or before C (a DNA does not remove a patient). Weeks waited =
-- floor((C - clock_start_date) / 7). All modalities are kept here: the DM01 census keeps
-- exams with a DM01 test, scheduling_capacity uses every modality.
with

exams as (
    select * from {{ ref('fct_exams') }}
    where activity_category = 'waiting_list'
        and clock_start_date is not null
),

census_dates as (
    select report_date as census_date from {{ ref('int_report_dates') }} where is_census_date
),

members as (
    select
        census_dates.census_date,
        exams.exam_key,
        exams.trust_code,
        exams.modality,
        exams.dm01_test,
        exams.clock_start_date,
        exams.booked_for,
        {{ dbt.datediff('exams.clock_start_date', 'census_dates.census_date', 'day') }} as days_waited
    from exams
    inner join census_dates
        on exams.clock_start_date <= census_dates.census_date
        and (exams.test_date is null or exams.test_date > census_dates.census_date)
        and (exams.cancelled_date is null or exams.cancelled_date > census_dates.census_date)
),

final as (
    select
        members.*,
        {{ wmin.whole_weeks('days_waited') }} as weeks_waited
    from members
)

select * from final
