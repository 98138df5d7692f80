{{ config(materialized='table') }}
-- Every site of another trust that could scan a waiting patient (int_scheduling_waiting_patients)
-- sooner than their own option, within `offers_max_km` of where they live (docs/offers.md).
-- One row per patient x site: the site's earliest free slot of the patient's modality
-- (int_scheduling_free_slots), on or before `offer_by_date`: the own option less
-- `offers_min_days_saved` days, so a patient is never asked to travel to gain a day or two.
-- Slots are matched on modality only: the appointment books carry no procedure type, and the
-- trusts book each exam into one slot of its modality whatever its length (the slot's and the
-- procedure's minutes are kept for the booking team to judge).
with

patients as (
    select
        *,
        cast(
            {{ dbt.dateadd('day', '-' ~ var('offers_min_days_saved', 7), 'own_option_date') }}
            as date
        ) as offer_by_date
    from {{ ref('int_scheduling_waiting_patients') }}
    where home_latitude is not null
        and home_longitude is not null
),

sites as (
    select site_code, trust_code, latitude, longitude from {{ ref('dim_site') }}
    where latitude is not null
        and longitude is not null
),

-- each site's earliest free slot of each modality (ties on the start: the smallest slot id)
site_next_free as (
    select
        site_code,
        modality,
        slot_start,
        slot_date,
        slot_minutes,
        row_number() over (partition by site_code, modality order by slot_start nulls last, slot_id nulls last) as slot_rank
    from {{ ref('int_scheduling_free_slots') }}
),

-- great-circle distance on a sphere of the Earth's mean radius (the haversine formula)
distances as (
    select
        patients.exam_key,
        sites.site_code,
        sites.trust_code as site_trust_code,
        2 * 6371.0088 * asin(sqrt(
            power(sin(radians(sites.latitude - patients.home_latitude) / 2), 2)
            + cos(radians(patients.home_latitude)) * cos(radians(sites.latitude))
            * power(sin(radians(sites.longitude - patients.home_longitude) / 2), 2)
        )) as distance_km
    from patients
    inner join sites
        on sites.trust_code <> patients.trust_code
),

offers as (
    select
        patients.as_of_date,
        patients.exam_key,
        patients.patient_key,
        patients.trust_code,
        patients.dm01_test,
        patients.modality,
        patients.clock_start_date,
        patients.weeks_waited,
        patients.priority,
        patients.procedure_minutes,
        patients.own_option,
        patients.own_option_date,
        patients.offer_by_date,
        distances.site_code as offered_site_code,
        distances.site_trust_code as offered_trust_code,
        site_next_free.slot_start as offered_slot_at,
        site_next_free.slot_date as offered_slot_date,
        site_next_free.slot_minutes as offered_slot_minutes,
        distances.distance_km
    from patients
    inner join distances on distances.exam_key = patients.exam_key
    inner join site_next_free
        on site_next_free.site_code = distances.site_code
        and site_next_free.modality = patients.modality
        and site_next_free.slot_rank = 1
    where distances.distance_km <= {{ var('offers_max_km', 40) }}
        and site_next_free.slot_date <= patients.offer_by_date
),

final as (
    select
        *,
        {{ dbt.datediff('offered_slot_date', 'own_option_date', 'day') }} as days_saved
    from offers
)

select * from final
