-- Weekly throughput (ISO weeks starting Monday) x trust x modality: exams tested in the week,
-- first verified reports issued in the week (and how many by outsourced reporters), and the
-- change in backlog (tested - verified). NETWORK rows from the exams.
with

exams as (
    select * from {{ ref('fct_exams') }}
    where modality is not null
        and {{ wmin.is_live_request() }}
),

tested_exams as (
    select
        cast({{ dbt.date_trunc('week', 'test_date') }} as date) as week,
        trust_code,
        modality
    from exams
    where test_date is not null
),

verified_exams as (
    select
        cast({{ dbt.date_trunc('week', 'report_date') }} as date) as week,
        trust_code,
        modality,
        reporter_type
    from exams
    where report_date is not null
),

tested as (
    select
        week,
        {{ wmin.trust_or_network() }} as trust_code,
        modality,
        count(*) as exams_tested
    from tested_exams
    group by grouping sets ((week, trust_code, modality), (week, modality))  -- noqa: PRS
),

verified as (
    select
        week,
        {{ wmin.trust_or_network() }} as trust_code,
        modality,
        count(*) as reports_verified,
        sum(case when reporter_type = 'outsourced' then 1 else 0 end) as reports_outsourced
    from verified_exams
    group by grouping sets ((week, trust_code, modality), (week, modality))  -- noqa: PRS
),

final as (
    select
        coalesce(tested.week, verified.week) as week,
        coalesce(tested.trust_code, verified.trust_code) as trust_code,
        coalesce(tested.modality, verified.modality) as modality,
        cast(coalesce(tested.exams_tested, 0) as bigint) as exams_tested,
        cast(coalesce(verified.reports_verified, 0) as bigint) as reports_verified,
        cast(coalesce(verified.reports_outsourced, 0) as bigint) as reports_outsourced,
        cast(coalesce(tested.exams_tested, 0) - coalesce(verified.reports_verified, 0) as bigint)
            as backlog_change
    from tested
    full outer join verified
        on verified.week = tested.week
        and verified.trust_code = tested.trust_code
        and verified.modality = tested.modality
)

select * from final
