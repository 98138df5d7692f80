-- Scheduling offers per site x DM01 test (docs/offers.md): the site's free slots of the test's
-- modality in the horizon, the waiting patients of other trusts it could scan sooner
-- (int_scheduling_offer_candidates), and how many of those offers its free slots absorb when
-- the network allocates greedily by longest wait (int_scheduling_offer_allocation): a slot
-- goes to one patient, and a patient to one site, so the sites' absorbed offers add up.
with

as_of as (
    select {{ wmin.as_of_date() }} as as_of_date
),

tests as (
    select dm01_test, modality from {{ ref('dm01_tests') }}
),

free_slots as (
    select
        free.site_code,
        free.trust_code,
        tests.dm01_test,
        count(*) as free_slots
    from {{ ref('int_scheduling_free_slots') }} as free
    inner join tests on tests.modality = free.modality
    group by free.site_code, free.trust_code, tests.dm01_test
),

offered as (
    select
        offered_site_code as site_code,
        dm01_test,
        count(*) as patients_offered
    from {{ ref('int_scheduling_offer_candidates') }}
    group by offered_site_code, dm01_test
),

absorbed as (
    select
        allocation.site_code,
        patients.dm01_test,
        count(*) as offers_absorbed,
        sum({{ dbt.datediff('allocation.slot_date', 'patients.own_option_date', 'day') }}) as days_saved
    from {{ ref('int_scheduling_offer_allocation') }} as allocation
    inner join {{ ref('int_scheduling_waiting_patients') }} as patients
        on patients.exam_key = allocation.exam_key
    group by allocation.site_code, patients.dm01_test
),

final as (
    select
        as_of.as_of_date,
        free_slots.site_code,
        free_slots.dm01_test,
        free_slots.trust_code,
        cast(free_slots.free_slots as bigint) as free_slots,
        cast(coalesce(offered.patients_offered, 0) as bigint) as patients_offered,
        cast(coalesce(absorbed.offers_absorbed, 0) as bigint) as offers_absorbed,
        cast(round(coalesce(absorbed.days_saved, 0) / {{ wmin.double_literal('7.0') }}, 1) as {{ wmin.type_double() }})
            as weeks_saved_absorbed
    from free_slots
    cross join as_of
    left join offered
        on offered.site_code = free_slots.site_code
        and offered.dm01_test = free_slots.dm01_test
    left join absorbed
        on absorbed.site_code = free_slots.site_code
        and absorbed.dm01_test = free_slots.dm01_test
)

select * from final
