-- Every delivered row of landing.exam_events as the loader wrote it, all deliveries (landing is
-- append-only): for the models that count or list deliveries rather than keep the latest one.
-- A view: a reader's filter on file_id (its watermark) reaches the landing table's scan.
select * from {{ source('landing', 'exam_events') }}
