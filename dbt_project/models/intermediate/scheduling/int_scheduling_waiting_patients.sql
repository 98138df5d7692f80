{{ config(materialized='table') }}
-- The waiting patients scheduling offers are sought for, one row each (docs/offers.md): on the
-- DM01 waiting list at the end of the as-of date (int_waiting_list_members: tested, cancelled
-- or entered in error by then = not on the list), the row that counts them for the test at
-- their trust (their longest wait), waiting `offers_min_weeks_waited` weeks or more or at
-- least their priority's target (seed waiting_targets). With where they live (postcode
-- district and its centroid; empty when the postcode or the district is unknown) and their
-- own option: the booked appointment's date if booked after the as-of day, else the trust's
-- earliest free slot of the modality at any of its sites; with neither inside the horizon,
-- the day after the horizon (weeks saved against it are a lower bound).
with

as_of as (
    select
        {{ wmin.as_of_date() }} as as_of_date,
        cast({{ dbt.dateadd('day', 7 * var('scheduling_weeks') + 1, wmin.as_of_date()) }} as date)
            as after_horizon_date
),

targets as (
    select priority, target_weeks from {{ ref('waiting_targets') }}
),

members as (
    select * from {{ ref('int_waiting_list_members') }}
    where census_date = {{ wmin.as_of_date() }}
        and is_counted_for_dm01
),

exams as (
    select exam_key, priority, nicip_code from {{ ref('fct_exams') }}
),

-- the outward code (district) of the patient's postcode, with or without its space
homes as (
    select
        {{ wmin.exam_key('trust_code', 'accession') }} as exam_key,
        case
            when length(replace(upper(trim(postcode)), ' ', '')) between 5 and 7
                then substring(replace(upper(trim(postcode)), ' ', ''), 1,
                               length(replace(upper(trim(postcode)), ' ', '')) - 3)
        end as postcode_district
    from {{ ref('int_exams_enriched') }}
    -- the members are waiting-list requests: no other exam's postcode is read (or hashed)
    where activity_category = 'waiting_list'
),

centroids as (
    select postcode_district, latitude, longitude from {{ ref('postcode_district_centroids') }}
),

procedures as (
    select nicip_code, typical_duration_minutes from {{ ref('dim_procedure') }}
),

trust_next_free as (
    select trust_code, modality, min(slot_date) as slot_date
    from {{ ref('int_scheduling_free_slots') }}
    group by trust_code, modality
),

final as (
    select
        as_of.as_of_date,
        members.exam_key,
        members.counted_patient_key as patient_key,
        members.trust_code,
        members.dm01_test,
        members.modality,
        members.clock_start_date,
        members.weeks_waited,
        exams.priority,
        procedures.typical_duration_minutes as procedure_minutes,
        homes.postcode_district,
        centroids.latitude as home_latitude,
        centroids.longitude as home_longitude,
        case
            when members.booked_for >= {{ wmin.as_of_end() }} then 'booked'
            when trust_next_free.slot_date is not null then 'own_free_slot'
            else 'none_in_horizon'
        end as own_option,
        case
            when members.booked_for >= {{ wmin.as_of_end() }} then {{ wmin.local_date('members.booked_for') }}
            else coalesce(trust_next_free.slot_date, as_of.after_horizon_date)
        end as own_option_date
    from members
    cross join as_of
    left join exams on exams.exam_key = members.exam_key
    left join targets on targets.priority = exams.priority
    left join procedures on procedures.nicip_code = exams.nicip_code
    left join homes on homes.exam_key = members.exam_key
    left join centroids on centroids.postcode_district = homes.postcode_district
    left join trust_next_free
        on trust_next_free.trust_code = members.trust_code
        and trust_next_free.modality = members.modality
    where members.weeks_waited >= {{ var('offers_min_weeks_waited', 4) }}
        or members.weeks_waited >= targets.target_weeks
)

select * from final
