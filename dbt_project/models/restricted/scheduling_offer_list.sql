-- RESTRICTED, never published: scheduling_offers with who the patient is (NHS number,
-- accession, postcode district), for `wmin export offers --trust ODS` (exports/offers.py),
-- which gives each trust its own patients only. One row per exam x offered site.
with

offers as (
    select * from {{ ref('scheduling_offers') }}
),

exams as (
    select
        {{ wmin.exam_key('trust_code', 'accession') }} as exam_key,
        accession,
        nhs_number,
        nhs_number_status,
        nicip_code,
        procedure_name
    from {{ ref('int_exams_enriched') }}
),

patients as (
    select exam_key, postcode_district from {{ ref('int_scheduling_waiting_patients') }}
),

sites as (
    select site_code, site_name from {{ ref('dim_site') }}
),

final as (
    select
        offers.as_of_date,
        offers.trust_code,
        exams.accession,
        exams.nhs_number,
        exams.nhs_number_status,
        offers.dm01_test,
        offers.modality,
        exams.nicip_code,
        exams.procedure_name,
        offers.priority,
        offers.clock_start_date,
        offers.weeks_waited,
        offers.own_option,
        offers.own_option_date,
        patients.postcode_district,
        offers.offered_site_code,
        sites.site_name as offered_site_name,
        offers.offered_trust_code,
        offers.offered_slot_at,
        offers.offered_slot_minutes,
        offers.procedure_minutes,
        offers.days_saved,
        offers.weeks_saved,
        offers.distance_km,
        offers.is_allocated,
        offers.allocated_slot_at,
        offers.allocated_slot_id,
        offers.exam_key
    from offers
    inner join exams on exams.exam_key = offers.exam_key
    left join patients on patients.exam_key = offers.exam_key
    left join sites on sites.site_code = offers.offered_site_code
)

select * from final
