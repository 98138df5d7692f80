{{
    config(
        materialized=wmin.incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ wmin.delete_rebuilt_census_members(this) }}",
        post_hook="{{ wmin.stamp_as_of_end(this, newest_file=true) }}",
    )
}}
-- A table: three marts read it (census, bands, scheduling) and it is a range join.
-- Incremental by census (docs/incremental.md): a night rebuilds the rows of the patients with a
-- changed exam (one request's change can move which of the patient's requests counts) and
-- the census dates that are new (the as-of date); the other rows cannot differ.
-- Who is on the waiting list at the end of each census date C (docs/metrics.md):
-- activity_category = 'waiting_list', clock_start_date <= C, no test date <= C and no
-- cancellation on or before C (a DNA does not remove a patient); a request withdrawn as
-- entered in error never existed, so it is on no list at any census date, past ones too
-- (macros/rules/entered_in_error.sql; an EIE arriving later changes the exam, so the incremental
-- build rebuilds its patient at every census date). Weeks waited =
-- floor((C - clock_start_date) / 7). All modalities are kept here: the DM01 census keeps
-- exams with a DM01 test, scheduling_capacity uses every modality.
-- One row per exam on the list; the marts count patients (DOMAIN.md DM01: "each patient counted
-- once per test"), so each row carries who the patient is and whether it is the row that counts
-- them for its DM01 test:
-- * counted_patient_key: patient_key, or the exam_key when the feed sent no usable NHS number
--   (such a request cannot be matched with the patient's others, so it counts on its own);
-- * is_counted_for_dm01: the patient's longest wait (earliest clock start, then the smallest
--   exam_key so a tie picks one row) among their requests for the same DM01 test at the same
--   trust on the list at C. Per trust, because DM01 is returned per provider: a patient waiting
--   at two trusts is on both lists, and NETWORK rows stay the sum of the trusts.
with

exams as (
    select * from {{ ref('fct_exams') }}
    where activity_category = 'waiting_list'
        and clock_start_date is not null
        and {{ wmin.is_live_request() }}
        -- most requests leave the list (tested or cancelled) before any census date: by the
        -- end of their clock start's month, or by the as-of date if earlier (every census date
        -- after a clock start is one of those or later). Left out before the range join.
        and coalesce(least(test_date, cancelled_date), test_date, cancelled_date,
                     cast('9999-12-31' as date))
            > least(cast({{ dbt.last_day('clock_start_date', 'month') }} as date), {{ wmin.as_of_date() }})
),

census_dates as (
    {{ wmin.census_dates() }}
),

{% if is_incremental() -%}
{#- the pre-hook chose them and deleted their rows: the rebuilt patients at every census date,
    everyone else at the new census dates (disjoint, so each patient's rows rank together) -#}
marked_exams as (
    select
        exams.*,
        {{ wmin.is_rebuilt_patient('coalesce(exams.patient_key, exams.exam_key)') }} as is_rebuilt
    from exams
),

rebuilt_exams as (
    select * from marked_exams where is_rebuilt
),

other_exams as (
    select * from marked_exams where not is_rebuilt
),

new_census_dates as (
    select census_date from census_dates
    where census_date in ({{ wmin.rebuilt_census_dates_of(this) }})
),

members as (
    {{ wmin.census_members('rebuilt_exams', 'census_dates') }}
    union all
    {{ wmin.census_members('other_exams', 'new_census_dates') }}
),
{%- else -%}
members as (
    {{ wmin.census_members('exams', 'census_dates') }}
),
{%- endif %}

final as (
    select
        members.*,
        {{ wmin.whole_weeks('days_waited') }} as weeks_waited,
        {{ wmin.is_counted_for_dm01('members') }} as is_counted_for_dm01
    from members
)

select * from final
