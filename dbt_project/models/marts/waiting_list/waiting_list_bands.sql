-- DM01 waiting list by weeks-waited band (seed weeks_bands: 0..12 and 13+) at each census
-- date x trust x DM01 test; only bands with patients. NETWORK rows from the patients.
-- Each patient counted once per test, in the band of their longest wait (is_counted_for_dm01,
-- as waiting_list_census), so the bands add up to total_waiting.
with

members as (
    select * from {{ ref('int_waiting_list_members') }}
    where is_counted_for_dm01
),

bands as (
    select * from {{ ref('weeks_bands') }}
),

banded as (
    select
        members.census_date,
        members.trust_code,
        members.dm01_test,
        bands.weeks_band
    from members
    inner join bands
        on bands.min_weeks <= members.weeks_waited
        and (bands.max_weeks is null or bands.max_weeks >= members.weeks_waited)
),

aggregated as (
    select
        census_date,
        {{ wmin.trust_or_network() }} as trust_code,
        dm01_test,
        weeks_band,
        count(*) as patients
    from banded
    group by grouping sets (  -- noqa: PRS
        (census_date, trust_code, dm01_test, weeks_band),
        (census_date, dm01_test, weeks_band)
    )
),

final as (
    select
        aggregated.census_date,
        aggregated.trust_code,
        aggregated.dm01_test,
        aggregated.weeks_band,
        cast(aggregated.patients as bigint) as patients,
        cast(bands.sort_order as integer) as band_sort_order,
        calendar.is_month_end
    from aggregated
    inner join bands on bands.weeks_band = aggregated.weeks_band
    -- the calendar says which census dates are month ends (the as-of date may be one or not)
    inner join {{ ref('dim_date') }} as calendar on calendar.date_day = aggregated.census_date
)

select * from final
