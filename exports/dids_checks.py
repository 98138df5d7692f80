"""Pre-submission checks of a DIDS record (DOMAIN.md: NHS Digital's DPS validation and the v1.0
schema). Pure functions on one record; `exports.dids` applies them to a file.

Severity: `reject` - NHS England would reject (the file is marked as would-be-rejected);
`warning` - accepted but worth correcting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
REJECT, WARNING = "reject", "warning"
NHS_STATUS = {f"{i:02d}" for i in range(1, 9)}
GENDER = {"0", "1", "2", "9"}
SOURCE_SETTINGS = {f"{i:02d}" for i in range(1, 8)}
ETHNIC = set("ABCDEFGHJKLMNPRSZ") | {"99"}
EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True)
class Finding:
    row: int  # 1-based data row of the file (the header is line 1, so line = row + 1)
    accession: str
    site_code: str
    rule: str
    severity: str
    item: str
    message: str


# --------------------------------------------------------------------------- identifiers
def nhs_number_problem(value: str) -> str | None:
    """None when `value` is a valid NHS number, else why not (mod 11, reversed halves)."""
    if not re.fullmatch(r"\d{10}", value):
        return "not 10 digits"
    digits = [int(c) for c in value]
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
    check = 0 if check == 11 else check
    if check == 10 or check != digits[9]:
        return "fails the modulus 11 check"
    if value[:5] == value[5:][::-1]:
        return "first five digits are the reverse of the last five"
    return None


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_ok(digits: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def snomed_problem(value: str) -> str | None:
    if not re.fullmatch(r"\d{6,18}", value):
        return "not 6-18 digits"
    if not verhoeff_ok(value):
        return "fails the Verhoeff check digit"
    return None


# --------------------------------------------------------------------------- formats
_FORMAT = re.compile(r"^(max )?(an|n)(\d+)(?:-(\d+))?$")


def format_problem(fmt: str, text: str) -> str | None:
    """Check a formatted value against a layout format (n10, an2, max an8, n6-18, date,
    timestamp, map:...). Empty values are not checked here (see mandatory)."""
    if text == "":
        return None
    fmt = fmt.strip()
    if fmt == "date":
        return None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else "not CCYY-MM-DD"
    if fmt == "timestamp":
        ok = re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+01:00|\+00:00|-00:00|Z)", text)
        return None if ok else "not CCYY-MM-DDThh:mm:ss with an offset +01:00/+00:00"
    if fmt.startswith("map:"):
        allowed = {kv.split("=", 1)[1] for kv in fmt[4:].split("|")}
        return None if text in allowed else f"not one of {sorted(allowed)}"
    m = _FORMAT.match(fmt)
    if not m:
        return None  # unknown format: not checked (the layout file documents it)
    is_max, kind, lo, hi = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    if kind == "n" and not text.isdigit():
        return f"not numeric ({fmt})"
    if kind == "an" and not re.fullmatch(r"[A-Za-z0-9 ]+", text):
        return f"not alphanumeric ({fmt})"
    n = len(text)
    if hi is not None:
        return None if lo <= n <= int(hi) else f"length {n}, expected {lo}-{hi} ({fmt})"
    if is_max:
        return None if n <= lo else f"length {n}, maximum {lo} ({fmt})"
    return None if n == lo else f"length {n}, expected {lo} ({fmt})"


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from the month of `earlier` to the month of `later`."""
    return (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month)


def add_one_month(d: date) -> date:
    y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    import calendar

    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def as_date(v: object) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return (v.astimezone(LONDON) if v.tzinfo else v).date()
    if isinstance(v, date):
        return v
    return None


def text(v: object) -> str:
    return "" if v is None else str(v).strip()


# --------------------------------------------------------------------------- record rules
_Found = tuple[str, str, str, str]  # rule, severity, source column, message


def check_record(rec: dict, submission_date: date) -> list[_Found]:
    """The record-level rules of DOMAIN.md: (rule, severity, source column, message) per finding.

    `rec` holds the `dids_records` columns. Dates are checked on the local (Europe/London) dates;
    the test date is `test_date`, else the local date of `test_started_at`."""
    test = as_date(rec.get("test_date")) or as_date(rec.get("test_started_at"))
    nhs = text(rec.get("nhs_number")).replace(" ", "")
    status = text(rec.get("nhs_number_status"))
    return [
        *_nhs_number_rules(nhs, status),
        *_patient_rules(rec, nhs, status, test),
        *_referral_rules(rec),
        *_request_date_rules(rec, test),
        *_test_date_rules(test, submission_date),
        *_procedure_code_rules(rec),
        *_report_date_rules(rec, test),
        *_key_rules(rec),
    ]


def _nhs_number_rules(nhs: str, status: str) -> list[_Found]:
    out: list[_Found] = []
    if nhs:
        problem = nhs_number_problem(nhs)
        if problem:
            out.append(("NHS_NUMBER_INVALID", REJECT, "nhs_number", f"NHS number {problem}"))
    elif status == "01":
        out.append(
            ("NHS_NUMBER_MISSING", REJECT, "nhs_number", "status 01 (verified) but no NHS number")
        )
    else:
        out.append(("NHS_NUMBER_MISSING", WARNING, "nhs_number", "no NHS number"))
    if status and status not in NHS_STATUS:
        out.append(
            ("NHS_STATUS_INVALID", REJECT, "nhs_number_status", f"status {status!r} is not 01-08")
        )
    elif not status and nhs:
        out.append(("NHS_STATUS_MISSING", WARNING, "nhs_number_status", "no status code"))
    return out


def _patient_rules(rec: dict, nhs: str, status: str, test: date | None) -> list[_Found]:
    out: list[_Found] = []
    birth = as_date(rec.get("birth_date"))
    if birth is not None:
        if birth < EARLIEST_BIRTH:
            out.append(
                ("BIRTH_DATE_TOO_EARLY", REJECT, "birth_date", "birth date before 1900-01-01")
            )
        if test is not None and birth > test:
            out.append(("BIRTH_AFTER_TEST", REJECT, "birth_date", "birth date after the test date"))
    sex = text(rec.get("sex"))
    if sex and sex not in GENDER:
        out.append(("GENDER_INVALID", REJECT, "sex", f"gender code {sex!r} is not 0, 1, 2 or 9"))
    eth = text(rec.get("ethnicity"))
    if eth and eth not in ETHNIC:
        out.append(
            ("ETHNICITY_INVALID", WARNING, "ethnicity", f"ethnic category {eth!r} not recognised")
        )
    patient_items = [
        nhs,
        status,
        birth,
        eth,
        sex,
        text(rec.get("postcode")),
        text(rec.get("gp_practice_code")),
    ]
    if not any(patient_items):
        out.append(
            ("NO_PATIENT_ITEM", REJECT, "nhs_number", "none of the patient items (M*) is present")
        )
    return out


def _referral_rules(rec: dict) -> list[_Found]:
    out: list[_Found] = []
    src = text(rec.get("patient_source_setting"))
    if not src:
        out.append(
            (
                "SOURCE_SETTING_MISSING",
                REJECT,
                "patient_source_setting",
                "patient source setting missing",
            )
        )
    elif src not in SOURCE_SETTINGS:
        out.append(
            (
                "SOURCE_SETTING_INVALID",
                REJECT,
                "patient_source_setting",
                f"patient source setting {src!r} is not 01-07 (leading zero required)",
            )
        )
    ref = text(rec.get("referrer_code"))
    if ref and not re.fullmatch(r"[A-Za-z0-9]{8}", ref):
        out.append(
            (
                "REFERRER_CODE_FORMAT",
                REJECT,
                "referrer_code",
                "referrer code is not an8 (8 letters/digits)",
            )
        )
    elif not ref:
        out.append(("REFERRER_CODE_MISSING", WARNING, "referrer_code", "no referrer code"))
    return out


def _request_date_rules(rec: dict, test: date | None) -> list[_Found]:
    out: list[_Found] = []
    req = as_date(rec.get("request_date")) or as_date(rec.get("requested_at"))
    rec_d = as_date(rec.get("request_received_date"))
    if req and rec_d and req > rec_d:
        out.append(
            (
                "REQUEST_AFTER_RECEIVED",
                REJECT,
                "request_date",
                "request date after the received date",
            )
        )
    if rec_d and test and rec_d > test:
        out.append(
            (
                "RECEIVED_AFTER_TEST",
                REJECT,
                "request_received_date",
                "received date after the test date",
            )
        )
    if req and test and req > test:
        out.append(
            ("REQUEST_AFTER_TEST", REJECT, "request_date", "request date after the test date")
        )
    return out


def _test_date_rules(test: date | None, submission_date: date) -> list[_Found]:
    """The test date is there, not after the submission, and at most 6 months before it (over 3
    is a warning)."""
    if test is None:
        return [("TEST_DATE_MISSING", REJECT, "test_date", "no test date")]
    out: list[_Found] = []
    if test > submission_date:
        out.append(
            (
                "TEST_AFTER_SUBMISSION",
                REJECT,
                "test_date",
                f"test date after the submission date {submission_date.isoformat()}",
            )
        )
    gap = months_between(test, submission_date)
    if gap > 6:
        out.append(
            (
                "TEST_OVER_6_MONTHS_OLD",
                REJECT,
                "test_date",
                f"test month is {gap} months before the submission month (over 6: rejected)",
            )
        )
    elif gap > 3:
        out.append(
            (
                "TEST_OVER_3_MONTHS_OLD",
                WARNING,
                "test_date",
                f"test month is {gap} months before the submission month (over 3: warning)",
            )
        )
    return out


def _procedure_code_rules(rec: dict) -> list[_Found]:
    out: list[_Found] = []
    nicip, snomed = text(rec.get("nicip_code")), text(rec.get("snomed_ct_id"))
    if not nicip and not snomed:
        out.append(
            ("NO_PROCEDURE_CODE", REJECT, "nicip_code", "neither a NICIP nor a SNOMED CT code")
        )
    if snomed:
        problem = snomed_problem(snomed)
        if problem:
            out.append(
                ("SNOMED_INVALID", REJECT, "snomed_ct_id", f"SNOMED CT identifier {problem}")
            )
    return out


def _report_date_rules(rec: dict, test: date | None) -> list[_Found]:
    report = as_date(rec.get("report_issue_date")) or as_date(rec.get("report_verified_at"))
    if not (report and test):
        return []
    if report < test:
        return [
            (
                "REPORT_BEFORE_TEST",
                REJECT,
                "report_issue_date",
                "report issued before the test date",
            )
        ]
    if report > add_one_month(test):
        return [
            (
                "REPORT_OVER_1_MONTH",
                WARNING,
                "report_issue_date",
                "report issued more than one month after the test",
            )
        ]
    return []


def _key_rules(rec: dict) -> list[_Found]:
    out: list[_Found] = []
    if not text(rec.get("site_code")):
        out.append(("SITE_CODE_MISSING", REJECT, "site_code", "no site code"))
    if not text(rec.get("accession")):
        out.append(("ACCESSION_MISSING", REJECT, "accession", "no accession number"))
    return out
