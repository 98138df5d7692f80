{{
    config(
        materialized=wmin.incremental_materialization(),
        unique_key=['trust_code', 'accession', 'event_at'],
        incremental_strategy='delete+insert',
    )
}}
-- The first delivery of each verified report (trust, accession, report time): the earliest
-- extract that carried it, for dq_scorecard_monthly's report-date lag. Every delivery counts
-- (a rolling snapshot repeating the report does not make it later). The scorecard keeps
-- reports first delivered before the as-of end: the earliest extract before it is the earliest
-- of all whenever that one is before it, so no as-of date is needed here.
-- Incremental: the reports in newly loaded files, merged with the first delivery kept for
-- them (the earlier of the two wins).
with

arrived as (
    select trust_code, accession, event_at, extract_at, file_id
    from {{ ref('stg_landing__delivered_exam_events') }} as events
    where event = 'report_verified'
        and event_at is not null
        {%- if is_incremental() %}
        and file_id > {{ wmin.newest_file_id(this) }}
        {%- endif %}
),

candidates as (
    select trust_code, accession, event_at, extract_at, file_id from arrived
    {% if is_incremental() -%}
    union all
    select kept.trust_code, kept.accession, kept.event_at, kept.first_delivered_at, kept.file_id
    from {{ this }} as kept
    where exists (
        select 1 from arrived
        where arrived.trust_code = kept.trust_code
            and arrived.accession = kept.accession
            and arrived.event_at = kept.event_at
    )
    {%- endif %}
)

select
    trust_code,
    accession,
    event_at,
    min(extract_at) as first_delivered_at,
    max(file_id) as file_id
from candidates
group by trust_code, accession, event_at
