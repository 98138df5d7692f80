{#- The DIDS pre-submission rules: (code, severity, description, failing condition). The record
    rules and their codes are those of exports/dids_checks.py (check_record), plus
    DUPLICATE_ACCESSION (accession + site repeated in the month's file); the layout-driven
    FORMAT / MANDATORY_MISSING checks run when the file is written (`wmin export dids`).
    tests/dbt/test_quality_dids.py proves SQL and Python agree. A condition reads the columns of
    int_dids_record_checks' `records` CTE; the rules whose condition needs what only the month
    knows (its submission date, the repeat count of an accession) are judged by
    dids_presubmission_checks; every other rule once per record, when the record changes. -#}
{% macro dids_presubmission_rules() -%}
    {{ return([
    ('NHS_NUMBER_INVALID', 'rejection', 'NHS number not 10 digits, or fails the modulus 11 check or the reversed-halves rule',
        "nhs <> '' and not (" ~ wmin.nhs_number_is_valid('nhs') ~ ")"),
    ('NHS_NUMBER_MISSING', 'rejection', 'no NHS number although its status is 01 (verified)', "nhs = '' and nhs_status = '01'"),
    ('NHS_NUMBER_MISSING', 'warning', 'no NHS number', "nhs = '' and nhs_status <> '01'"),
    ('NHS_STATUS_INVALID', 'rejection', 'NHS number status not 01-08',
        "nhs_status <> '' and nhs_status not in ('01','02','03','04','05','06','07','08')"),
    ('NHS_STATUS_MISSING', 'warning', 'NHS number sent without a status code', "nhs_status = '' and nhs <> ''"),
    ('BIRTH_DATE_TOO_EARLY', 'rejection', 'birth date before 1900-01-01', "birth_date < cast('1900-01-01' as date)"),
    ('BIRTH_AFTER_TEST', 'rejection', 'birth date after the test date', "birth_date > test_day"),
    ('GENDER_INVALID', 'rejection', 'gender code not 0, 1, 2 or 9', "sex <> '' and sex not in ('0','1','2','9')"),
    ('ETHNICITY_INVALID', 'warning', 'ethnic category not A-H, J-N, P, R, S, Z or 99',
        "ethnicity <> '' and ethnicity not in ('A','B','C','D','E','F','G','H','J','K','L','M','N','P','R','S','Z','99')"),
    ('NO_PATIENT_ITEM', 'rejection', 'none of the patient items (NHS number, status, birth date, ethnicity, gender, postcode, GP practice)',
        "nhs = '' and nhs_status = '' and birth_date is null and ethnicity = '' and sex = '' and postcode = '' and gp_practice = ''"),
    ('SOURCE_SETTING_MISSING', 'rejection', 'patient source setting missing', "source_setting = ''"),
    ('SOURCE_SETTING_INVALID', 'rejection', 'patient source setting not 01-07 (leading zero required)',
        "source_setting <> '' and source_setting not in ('01','02','03','04','05','06','07')"),
    ('REFERRER_CODE_FORMAT', 'rejection', 'referrer code not 8 letters or digits',
        "referrer <> '' and not (length(referrer) = 8 and length(translate(upper(referrer), "
        ~ "'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '')) = 0)"),
    ('REFERRER_CODE_MISSING', 'warning', 'no referrer code', "referrer = ''"),
    ('REQUEST_AFTER_RECEIVED', 'rejection', 'request date after the request received date', "request_day > received_day"),
    ('RECEIVED_AFTER_TEST', 'rejection', 'request received date after the test date', "received_day > test_day"),
    ('REQUEST_AFTER_TEST', 'rejection', 'request date after the test date', "request_day > test_day"),
    ('TEST_DATE_MISSING', 'rejection', 'no test date', "test_day is null"),
    ('TEST_AFTER_SUBMISSION', 'rejection', 'test date after the submission date', "test_day > submission_date"),
    ('TEST_OVER_6_MONTHS_OLD', 'rejection', 'test month over 6 months before the submission month', "months_before_submission > 6"),
    ('TEST_OVER_3_MONTHS_OLD', 'warning', 'test month over 3 months before the submission month', "months_before_submission between 4 and 6"),
    ('NO_PROCEDURE_CODE', 'rejection', 'neither a NICIP nor a SNOMED CT code', "nicip = '' and snomed = ''"),
    ('SNOMED_INVALID', 'rejection', 'SNOMED CT identifier not 6-18 digits or fails the Verhoeff check digit',
        "snomed <> '' and not coalesce(snomed_valid, false)"),
    ('REPORT_BEFORE_TEST', 'rejection', 'report issued before the test date', "report_day < test_day"),
    ('REPORT_OVER_1_MONTH', 'warning', 'report issued more than one month after the test',
        "report_day >= test_day and report_day > " ~ dbt.dateadd('month', 1, 'test_day')),
    ('SITE_CODE_MISSING', 'rejection', 'no site code', "site = ''"),
    ('ACCESSION_MISSING', 'rejection', 'no accession number', "accession_text = ''"),
    ('DUPLICATE_ACCESSION', 'rejection', 'accession + site repeat an earlier record of the month', "accession_text <> '' and site <> '' and accession_repeat > 1"),
]) }}
{%- endmacro %}

{#- Column names that make a rule a month rule (see above). -#}
{% macro dids_month_rule_columns() -%}
    {{ return(['submission_date', 'months_before_submission', 'accession_repeat']) }}
{%- endmacro %}

{% macro dids_is_month_rule(failing) -%}
    {%- for column in wmin.dids_month_rule_columns() -%}
        {%- if column in failing -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- The boolean column of int_dids_record_checks holding a record rule's outcome. -#}
{% macro dids_rule_column(code, severity) -%}
    {{ return('fails_' ~ code | lower ~ '_' ~ severity) }}
{%- endmacro %}
