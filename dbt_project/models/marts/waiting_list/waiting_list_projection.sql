-- The DM01 waiting list projected by weeks-waited band for each of the next
-- `projection_weeks` planning weeks per trust x DM01 test, NHSRtt-style (docs/metrics.md
-- "Waiting-list projection"): from the list at the as-of date and rates calibrated on the last
-- `planning_window_weeks` weeks of int_waiting_list_weekly:
--   * survival s_w of weeks-waited w: of the patients waiting w whole weeks at a week end, the
--     share still waiting a week later (w+1 weeks), pooled over the window; 13+ weeks share one;
--   * renewals: the mean number of patients waiting 0 whole weeks at a week end (added in the
--     week and still waiting at its end).
-- A patient waiting w weeks now is projected to wait w+h weeks in h weeks with probability
-- s_w x ... x s_(w+h-1); each future week adds the renewals, aged alike. The band around each
-- figure is +-1.96 x the standard deviation of the band's one-week-ahead errors over the window
-- x sqrt(weeks ahead), floored at 0; the whole list's and its 6+ week waiters' bands alike from
-- the sums of the bands' errors (repeated on each band's row of the trust, test and week).
-- reporting/planning.py reads this mart's baseline for "add K slots a week" scenarios (K more
-- of the longest waiters tested each week): the projection lives here only.
with

stock as (
    select
        week_end_date,
        trust_code,
        dm01_test,
        least(weeks_waited, 14) as weeks_waited,
        sum(patients) as patients
    from {{ ref('int_waiting_list_weekly') }}
    where week_end_date >= {{ dbt.dateadd('day', -7 * var('planning_window_weeks'), wmin.as_of_date()) }}
    group by all
),

lists as (
    select distinct trust_code, dm01_test from stock
),

-- the band of weeks waited: 0..12, 13 = 13+
bands as (
    select cast(w as integer) as band from range(0, 14) as r (w)
),

-- the window's week ends: t = as-of - k weeks, k = 0..window (k >= 1 are calibration weeks)
window_weeks as (
    select
        cast({{ dbt.dateadd('day', '-7 * r.k', wmin.as_of_date()) }} as date) as week_end_date,
        cast(r.k as integer) as weeks_back
    from range(0, {{ var('planning_window_weeks') + 1 }}) as r (k)
),

-- x_t[band]: patients in the band at each week end (13+ pooled), zero where none
band_stock as (
    select
        lists.trust_code,
        lists.dm01_test,
        bands.band,
        window_weeks.week_end_date,
        window_weeks.weeks_back,
        coalesce(sum(stock.patients), 0) as patients
    from lists
    cross join bands
    cross join window_weeks
    left join stock
        on stock.trust_code = lists.trust_code and stock.dm01_test = lists.dm01_test
        and stock.week_end_date = window_weeks.week_end_date
        and least(stock.weeks_waited, 13) = bands.band
    group by all
),

-- of x_t[band], those still waiting at t+1 (band + 1 weeks, or 14+ for 13+)
survivors as (
    select
        trust_code,
        dm01_test,
        cast({{ dbt.dateadd('day', -7, 'week_end_date') }} as date) as week_end_date,
        case when weeks_waited = 14 then 13 else weeks_waited - 1 end as band,
        sum(patients) as patients
    from stock
    where weeks_waited >= 1
    group by all
),

transitions as (
    select
        band_stock.trust_code,
        band_stock.dm01_test,
        band_stock.band,
        band_stock.week_end_date,
        band_stock.patients as exposed,
        coalesce(survivors.patients, 0) as survived
    from band_stock
    left join survivors
        on survivors.trust_code = band_stock.trust_code and survivors.dm01_test = band_stock.dm01_test
        and survivors.week_end_date = band_stock.week_end_date and survivors.band = band_stock.band
    where band_stock.weeks_back >= 1
),

renewals as (
    select trust_code, dm01_test, sum(patients) * {{ wmin.double_literal('1.0') }} / {{ var('planning_window_weeks') }} as renewals
    from band_stock
    where band = 0 and weeks_back < {{ var('planning_window_weeks') }}
    group by all
),

survival as (
    select
        trust_code,
        dm01_test,
        band,
        case when sum(exposed) > 0 then least({{ wmin.double_literal('1.0') }}, sum(survived) * {{ wmin.double_literal('1.0') }} / sum(exposed)) else {{ wmin.double_literal('0.0') }} end
            as survival
    from transitions
    group by all
),

horizons as (
    select cast(h as integer) as weeks_ahead from range(1, {{ var('projection_weeks') + 1 }}) as r (h)
),

current_list as (
    select trust_code, dm01_test, weeks_waited, sum(patients) as patients
    from {{ ref('int_waiting_list_weekly') }}
    where week_end_date = {{ wmin.as_of_date() }}
    group by all
),

-- each cohort (now waiting w0 weeks, or added in future week j) at each horizon
cohorts as (
    select 'on the list' as cohort, current_list.trust_code, current_list.dm01_test, horizons.weeks_ahead,
        current_list.weeks_waited as from_weeks, current_list.weeks_waited + horizons.weeks_ahead as to_weeks,
        current_list.patients * {{ wmin.double_literal('1.0') }} as patients
    from current_list
    cross join horizons
    union all
    select 'added in week ' || arrival.j as cohort, renewals.trust_code, renewals.dm01_test, horizons.weeks_ahead,
        0 as from_weeks, horizons.weeks_ahead - arrival.j as to_weeks, renewals.renewals as patients
    from renewals
    cross join horizons
    inner join range(1, {{ var('projection_weeks') + 1 }}) as arrival (j) on arrival.j <= horizons.weeks_ahead
),

-- the chance to wait on from `from_weeks` to `to_weeks`: s_from x ... x s_(to-1), every week
-- from 13 on at the 13+ rate
cohort_reach as (
    select
        cohorts.trust_code,
        cohorts.dm01_test,
        cohorts.weeks_ahead,
        cohorts.to_weeks,
        cohorts.patients
            * coalesce({{ wmin.product('below_13.survival') }}, {{ wmin.double_literal('1.0') }})
            * power(any_value(top.survival), greatest(0, cohorts.to_weeks - greatest(cohorts.from_weeks, 13)))
            as patients
    from cohorts
    inner join survival as top
        on top.trust_code = cohorts.trust_code and top.dm01_test = cohorts.dm01_test and top.band = 13
    left join survival as below_13
        on below_13.trust_code = cohorts.trust_code and below_13.dm01_test = cohorts.dm01_test
        and below_13.band >= cohorts.from_weeks and below_13.band < least(cohorts.to_weeks, 13)
    group by cohorts.cohort, cohorts.trust_code, cohorts.dm01_test, cohorts.weeks_ahead,
        cohorts.from_weeks, cohorts.to_weeks, cohorts.patients
),

projected as (
    select trust_code, dm01_test, weeks_ahead, least(to_weeks, 13) as band,
        sum(patients) as patients
    from cohort_reach
    group by all
    union all
    select trust_code, dm01_test, 0 as weeks_ahead, least(weeks_waited, 13) as band, sum(patients) as patients
    from current_list
    group by all
),

-- one-week-ahead errors over the window: x_(t+1)[band] against s x (the band below at t)
-- (+ s_13 x the 13+ band at t for 13+), or against the renewals for band 0
one_week_errors as (
    select
        later.trust_code,
        later.dm01_test,
        later.band,
        later.weeks_back,
        later.patients - case
            when later.band = 0 then renewals.renewals
            else below_rate.survival * below.patients
                + case when later.band = 13 then top_rate.survival * top.patients else 0 end
        end as error
    from band_stock as later
    inner join renewals on renewals.trust_code = later.trust_code and renewals.dm01_test = later.dm01_test
    left join band_stock as below
        on below.trust_code = later.trust_code and below.dm01_test = later.dm01_test
        and below.weeks_back = later.weeks_back + 1 and below.band = later.band - 1
    left join survival as below_rate
        on below_rate.trust_code = later.trust_code and below_rate.dm01_test = later.dm01_test
        and below_rate.band = later.band - 1
    left join band_stock as top
        on top.trust_code = later.trust_code and top.dm01_test = later.dm01_test
        and top.weeks_back = later.weeks_back + 1 and top.band = 13
    left join survival as top_rate
        on top_rate.trust_code = later.trust_code and top_rate.dm01_test = later.dm01_test
        and top_rate.band = 13
    where later.weeks_back < {{ var('planning_window_weeks') }}
),

spread as (
    select trust_code, dm01_test, band, coalesce(stddev_samp(error), 0) as error_sd
    from one_week_errors
    group by all
),

-- the same for the whole list and for its 6+ week waiters (the bands' errors added each week)
list_spread as (
    select
        trust_code,
        dm01_test,
        coalesce(stddev_samp(total_error), 0) as total_sd,
        coalesce(stddev_samp(breach_error), 0) as breach_sd
    from (
        select trust_code, dm01_test, weeks_back, sum(error) as total_error,
            sum(case when band >= {{ var('dm01_target_weeks') }} then error else 0 end) as breach_error
        from one_week_errors
        group by all
    ) as weekly_errors
    group by all
),

list_projected as (
    select
        trust_code,
        dm01_test,
        weeks_ahead,
        sum(patients) as total,
        sum(case when band >= {{ var('dm01_target_weeks') }} then patients else 0 end) as breach
    from projected
    group by all
),

final as (
    select
        {{ wmin.as_of_date() }} as projected_from,
        cast({{ dbt.dateadd('day', '7 * projected.weeks_ahead', wmin.as_of_date()) }} as date) as week_end_date,
        projected.weeks_ahead,
        projected.trust_code,
        projected.dm01_test,
        case when projected.band = 13 then '13+' else cast(projected.band as {{ dbt.type_string() }}) end as weeks_band,
        cast(projected.band as integer) as min_weeks_waited,
        cast(projected.patients as {{ wmin.type_double() }}) as projected_patients,
        cast(greatest(0, projected.patients - 1.96 * spread.error_sd * sqrt(projected.weeks_ahead))
            as {{ wmin.type_double() }}) as patients_low,
        cast(projected.patients + 1.96 * spread.error_sd * sqrt(projected.weeks_ahead)
            as {{ wmin.type_double() }}) as patients_high,
        cast(survival.survival as {{ wmin.type_double() }}) as weekly_survival,
        cast(renewals.renewals as {{ wmin.type_double() }}) as weekly_renewals,
        {%- for measure, sd in [('total', 'total_sd'), ('breach', 'breach_sd')] %}
        {%- set name = 'waiting' if measure == 'total' else 'waiting_6_plus_weeks' %}
        cast(list_projected.{{ measure }} as {{ wmin.type_double() }}) as {{ name }}_projected,
        cast(greatest(0, list_projected.{{ measure }} - 1.96 * list_spread.{{ sd }} * sqrt(projected.weeks_ahead))
            as {{ wmin.type_double() }}) as {{ name }}_low,
        cast(list_projected.{{ measure }} + 1.96 * list_spread.{{ sd }} * sqrt(projected.weeks_ahead)
            as {{ wmin.type_double() }}) as {{ name }}_high{{ ',' if not loop.last }}
        {%- endfor %}
    from projected
    inner join survival
        on survival.trust_code = projected.trust_code and survival.dm01_test = projected.dm01_test
        and survival.band = projected.band
    inner join spread
        on spread.trust_code = projected.trust_code and spread.dm01_test = projected.dm01_test
        and spread.band = projected.band
    inner join renewals
        on renewals.trust_code = projected.trust_code and renewals.dm01_test = projected.dm01_test
    inner join list_spread
        on list_spread.trust_code = projected.trust_code and list_spread.dm01_test = projected.dm01_test
    inner join list_projected
        on list_projected.trust_code = projected.trust_code and list_projected.dm01_test = projected.dm01_test
        and list_projected.weeks_ahead = projected.weeks_ahead
)

select * from final
