-- Unreported exams at the end of each report date D (int_report_dates: month ends plus the
-- last days up to the as-of date) x trust x modality: tested on or before D, not cancelled on
-- or before D, no verified report on or before D. Age = D - test date, banded by the seed
-- backlog_age_bands. NETWORK rows from the exams.
-- An exam is unreported from its test date until the earlier of its cancellation and report
-- dates, so exams are first counted by (trust, modality, test date, end date): the range join
-- with the report dates then pairs groups, not exams (a tenth of the rows; same counts).
with

exams as (
    select
        trust_code,
        modality,
        test_date,
        case
            when cancelled_date is null then report_date
            when report_date is null then cancelled_date
            when cancelled_date < report_date then cancelled_date
            else report_date
        end as unreported_until,
        count(*) as exams
    from {{ ref('fct_exams') }}
    where test_date is not null
        and modality is not null
        and {{ wmin.is_live_request() }}
    group by 1, 2, 3, 4
),

report_dates as (
    select report_date as as_of_date from {{ ref('int_report_dates') }}
),

age_bands as (
    select * from {{ ref('backlog_age_bands') }}
),

unreported as (
    select
        report_dates.as_of_date,
        exams.trust_code,
        exams.modality,
        exams.exams,
        {{ dbt.datediff('exams.test_date', 'report_dates.as_of_date', 'day') }} as age_days
    from exams
    inner join report_dates
        on report_dates.as_of_date >= exams.test_date
        and (exams.unreported_until is null or report_dates.as_of_date < exams.unreported_until)
),

banded as (
    select
        unreported.*,
        age_bands.column_name as age_column
    from unreported
    left join age_bands
        on age_bands.min_days <= unreported.age_days
        and (age_bands.max_days is null or age_bands.max_days >= unreported.age_days)
),

aggregated as (
    select
        as_of_date,
        {{ wmin.trust_or_network() }} as trust_code,
        modality,
        sum(exams) as unreported_exams,
        {%- for band in ['age_0_2_days', 'age_3_7_days', 'age_8_14_days', 'age_15_28_days', 'age_over_28_days'] %}
        sum(case when age_column = '{{ band }}' then exams else 0 end) as {{ band }},
        {%- endfor %}
        max(age_days) as oldest_age_days
    from banded
    group by grouping sets ((as_of_date, trust_code, modality), (as_of_date, modality))  -- noqa: PRS, AM06
),

final as (
    select
        as_of_date,
        trust_code,
        modality,
        cast(unreported_exams as bigint) as unreported_exams,
        cast(age_0_2_days as bigint) as age_0_2_days,
        cast(age_3_7_days as bigint) as age_3_7_days,
        cast(age_8_14_days as bigint) as age_8_14_days,
        cast(age_15_28_days as bigint) as age_15_28_days,
        cast(age_over_28_days as bigint) as age_over_28_days,
        cast(oldest_age_days as integer) as oldest_age_days
    from aggregated
)

select * from final
