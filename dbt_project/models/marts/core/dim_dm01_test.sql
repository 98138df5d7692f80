-- One row per DM01 test (seed dm01_tests): the modality it is done on and the catalogue
-- procedures that count under it, so a planner can go from a modality (fct_exams.modality,
-- scheduling_capacity) to a DM01 test (waiting_list_census) and back. MRI and CT are every
-- procedure of their modality; NOUS, DEXA and BARIUM_ENEMA are only some.
with

tests as (
    select * from {{ ref('dm01_tests') }}
),

procedures as (
    select * from {{ ref('dim_procedure') }}
),

counted as (
    select
        dm01_test,
        count(*) as procedures,
        {{ wmin.sorted_list_text('nicip_code', "', '") }} as nicip_codes
    from procedures
    where dm01_test is not null
    group by dm01_test
),

by_modality as (
    select modality, count(*) as modality_procedures
    from procedures
    group by modality
),

final as (
    select
        tests.dm01_test,
        tests.dm01_test_name,
        tests.modality,
        tests.description,
        cast(coalesce(counted.procedures, 0) as bigint) as procedures,
        counted.nicip_codes,
        cast(coalesce(by_modality.modality_procedures, 0) as bigint) as modality_procedures,
        coalesce(counted.procedures = by_modality.modality_procedures, false) as is_whole_modality
    from tests
    left join counted on counted.dm01_test = tests.dm01_test
    left join by_modality on by_modality.modality = tests.modality
)

select * from final
