"""Names RIS extracts give the canonical fields, and words they use for canonical values: the
table `wmin feeds init` matches a sample's header and value words against. A name is compared
after `normalise` (upper case, letters and digits only), so `Accession No`, `ACCESSION_NO` and
`AccessionNo` are one entry. Add names here as trusts are onboarded.
"""

from __future__ import annotations

import re

FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "accession": ("ACCESSION", "ACCESSIONNUMBER", "ACCESSIONNO", "ACCESSIONNUM", "ACCNO", "ACCNUM",
                  "ACC", "ORDERACCESSION", "EXAMACCESSION", "ACCESSIONID", "FILLERORDERNUMBER"),
    "procedure_code": ("EXAMCODE", "EXAMCD", "EXAMINATIONCODE", "PROCCODE", "PROCCD", "PROCEDURECODE",
                       "NICIPCODE", "NICIP", "TESTCODE", "EXAMTYPECODE"),
    "procedure_name": ("EXAMNAME", "EXAMDESC", "EXAMDESCRIPTION", "EXAMTITLE", "EXAMINATION",
                       "PROCNAME", "PROCDESCRIPTION", "PROCEDURE", "PROCEDURENAME",
                       "PROCEDUREDESCRIPTION", "TESTNAME"),
    "modality": ("MODALITY", "MODALITYCODE", "MODCD", "MODALITYCD", "MOD"),
    "site_code": ("SITE", "SITECODE", "SITECD", "HOSPITAL", "HOSPITALCODE", "LOCCD", "LOCATION",
                  "DEPTSITE", "SITEID"),
    "room": ("ROOM", "ROOMCODE", "ROOMCD", "RESOURCE", "SCANNER", "ROOMID"),
    "priority": ("PRIORITY", "PRIORITYCODE", "PRIORITYCD", "PRICD", "ORDERPRIORITY", "URGENCY"),
    "patient_source_setting": ("PATIENTSOURCE", "PATIENTSOURCESETTING", "PATIENTTYPE", "PATIENTCATEGORY",
                               "PATIENTCLASS", "PATCAT", "PATCLASS", "PATSRC", "PATSOURCE",
                               "SOURCEOFREFERRAL"),
    "activity_category": ("ACTIVITYCATEGORY", "ACTIVITYTYPE", "ACTIVITY", "ACTCAT", "ACTIVITYCAT"),
    "referrer_code": ("REFERRER", "REFERRERCODE", "REFERRERCD", "REFCD", "REFDR", "REFERRINGPROV",
                      "REFERRINGCLINICIAN"),
    "referring_org_code": ("REFERRINGORG", "REFERRINGORGANISATION", "REFERRINGORGCODE", "REFORG",
                           "REFERRERORG"),
    "gp_practice_code": ("GP", "GPCODE", "GPPRACTICE", "GPPRAC", "GPPRACTICECODE", "PCPPRACTICE",
                         "PRACTICECODE"),
    "nhs_number": ("NHSNUMBER", "NHSNO", "NHSNUM", "NHS"),
    "nhs_number_status": ("NHSNUMBERSTATUS", "NHSNOSTATUS", "NHSSTATUS", "NHSNOSTS", "NHSNUMSTAT",
                          "NHSTRACESTATUS"),
    "birth_date": ("DOB", "BIRTHDATE", "DATEOFBIRTH", "BIRTHDT"),
    "sex": ("SEX", "GENDER", "SEXCD", "SEXCODE", "SEXC", "GENDERCODE"),
    "postcode": ("POSTCODE", "PCODE", "POSTALCODE", "ZIP"),
    "ethnicity": ("ETHNICITY", "ETHNICCATEGORY", "ETHNICORIGIN", "ETHNICGROUP", "ETHNICCD",
                  "ETHNICCODE", "ETHCD"),
    "clock_start_date": ("CLOCKSTART", "CLOCKSTARTDATE", "CLOCKSTARTDT", "CLKSTART", "RTTCLOCKSTART",
                         "WLCLOCKSTART"),
    "status": ("STATUS", "EXAMSTATUS", "EXAMSTAT", "EXAMSTS", "ORDERSTATUS", "CURRENTSTATUS"),
    "requested_at": ("REQUESTED", "REQUESTDATE", "DATEREQUESTED", "REQDT", "ORDERDATE", "ORDERINGDTTM",
                     "REQUESTDTTM"),
    "request_received_at": ("REQUESTRECEIVED", "RECEIVED", "RECEIVEDDATE", "DATERECEIVED", "RECDT",
                            "RECEIVEDDTTM"),
    "vetted_at": ("VETTED", "VETTEDDATE", "DATEVETTED", "VETDT", "PROTOCOLLEDDTTM", "PROTOCOLLED"),
    "booked_at": ("BOOKED", "BOOKEDDATE", "DATEBOOKED", "BKDDT", "BOOKINGDATE", "SCHEDULEDDTTM"),
    "appointment_at": ("APPOINTMENT", "APPOINTMENTDATE", "APPOINTMENTTIME", "APPTDT", "APPTDATE",
                       "APPTDTTM", "APPTTIME"),
    "arrived_at": ("ARRIVED", "ARRIVEDDATE", "DATEARRIVED", "ARRDT", "CHECKINDTTM", "ARRIVALDATE"),
    "exam_started_at": ("EXAMSTARTED", "EXAMSTART", "EXAMSTARTDATE", "STARTDT", "STARTED",
                        "BEGINEXAMDTTM"),
    "exam_completed_at": ("EXAMCOMPLETED", "EXAMEND", "EXAMENDDATE", "COMPDT", "COMPLETED",
                          "ENDEXAMDTTM", "EXAMDATE", "PERFORMED"),
    "reported_prelim_at": ("PRELIMREPORTED", "PRELIMREPORTDATE", "PRELIMDT", "PRELIMDATE", "DATEPRELIM",
                           "PRELIMDTTM", "PRELIMINARYREPORT", "PROVISIONALREPORT"),
    "prelim_reporter_id": ("PRELIMREPORTER", "PRELIMRAD", "PRELIMBY", "PRELIMPROV",
                           "PRELIMINARYREPORTER", "PROVISIONALREPORTER"),
    "report_verified_at": ("VERIFIED", "VERIFIEDDATE", "DATEVERIFIED", "VERDT", "AUTHORISEDDATE",
                           "FINALIZEDDTTM", "FINALREPORT", "VERIFIEDREPORT", "REPORTVERIFIED"),
    "verified_reporter_id": ("VERIFYINGREPORTER", "VERIFIEDBY", "VERRAD", "AUTHORISEDBY",
                             "FINALIZINGPROV", "FINALREPORTER"),
    "verified_outsourced": ("OUTSOURCED", "OUTSOURCEDREPORT", "VEROUTSRC", "TELERADIOLOGY",
                            "FINALOUTSOURCEDYN"),
    "cancelled_at": ("CANCELLED", "CANCELLEDDATE", "DATECANCELLED", "CANDT", "CANCELDTTM"),
    "did_not_attend_at": ("DNA", "DNADATE", "DATEDNA", "DNADT", "NOSHOWDTTM", "DIDNOTATTEND"),
    "addendum_at": ("ADDENDUM", "ADDENDUMDATE", "DATEADDENDUM", "ADDDT", "ADDENDUMDTTM"),
    "event_id": ("EVENTID", "EVTID", "EVENTREF", "AUDITID", "TRANSACTIONID"),
    "event": ("EVENT", "EVENTTYPE", "EVENTCODE", "EVTCD", "AUDITEVENT"),
    "event_at": ("EVENTTIME", "EVENTDTTM", "EVTDTTM", "EVENTDATE", "EVENTDATETIME", "AUDITTIME"),
    "actor_id": ("USER", "USERID", "USERCODE", "STAFFCD", "STAFFID", "ACTOR", "ACTORID"),
    "actor_outsourced": ("OUTSOURCED", "OUTSOURCEDFLAG", "OUTSRCIND", "ACTOROUTSOURCED"),
}

# Names of a column holding the extract time (spec `extract_time.column`).
EXTRACT_TIME_NAMES = ("EXTRACTDTTM", "EXTRACTDATE", "EXTRACTTIME", "EXTRACTDATETIME", "EXTRACTED",
                      "EXTRACTEDAT", "EXTRACTTS", "RUNDATE", "RUNDTTM", "EXPORTDATE", "EXPORTDTTM",
                      "EXPORTED")

# Local words -> canonical values, the common spellings (normalised words).
VALUE_WORDS: dict[str, dict[str, str]] = {
    "priority": {"ROUTINE": "routine", "ROUT": "routine", "R": "routine", "URGENT": "urgent",
                 "URG": "urgent", "U": "urgent", "2WW": "suspected_cancer", "CANCER": "suspected_cancer",
                 "SUSPECTEDCANCER": "suspected_cancer", "INPATIENT": "inpatient", "INPT": "inpatient",
                 "IP": "inpatient", "ED": "ed", "AE": "ed", "EMERGENCY": "ed", "EMER": "ed",
                 "PLANNED": "planned", "PLAN": "planned", "SURVEILLANCE": "planned"},
    "sex": {"M": "1", "MALE": "1", "F": "2", "FEMALE": "2", "U": "0", "UNKNOWN": "0",
            "NOTKNOWN": "0", "X": "9", "I": "9", "NOTSPECIFIED": "9", "INDETERMINATE": "9"},
    "status": {"REQUESTED": "requested", "ORDERED": "requested", "ORD": "requested",
               "BOOKED": "booked", "BKD": "booked", "SCHEDULED": "booked", "COMPLETED": "completed",
               "CMP": "completed", "COMPLETE": "completed", "REPORTED": "reported", "VERIFIED": "reported",
               "VER": "reported", "AUTHORISED": "reported", "CANCELLED": "cancelled", "CAN": "cancelled",
               "DNA": "did_not_attend", "DIDNOTATTEND": "did_not_attend"},
    "event": {"REQUESTED": "requested", "ORDERED": "requested", "ORD": "requested",
              "RECEIVED": "request_received", "REC": "request_received", "VETTED": "vetted", "VET": "vetted",
              "BOOKED": "booked", "BKD": "booked", "ARRIVED": "arrived", "ARR": "arrived",
              "STARTED": "exam_started", "STA": "exam_started", "COMPLETED": "exam_completed",
              "CMP": "exam_completed", "PRELIM": "reported_prelim", "VERIFIED": "report_verified",
              "VER": "report_verified", "CANCELLED": "cancelled", "CAN": "cancelled",
              "DNA": "did_not_attend", "ADDENDUM": "addendum", "ADD": "addendum"},
    "activity_category": {"WAITINGLIST": "waiting_list", "WL": "waiting_list", "PLANNED": "planned",
                          "UNSCHEDULED": "unscheduled", "UNSCHED": "unscheduled"},
    "verified_outsourced": {"Y": "true", "YES": "true", "N": "false", "NO": "false",
                            "TRUE": "true", "FALSE": "false"},
    "actor_outsourced": {"Y": "true", "YES": "true", "N": "false", "NO": "false",
                         "TRUE": "true", "FALSE": "false"},
}


def normalise(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(name).upper())


_BY_NAME: dict[str, list[str]] = {}
for _field, _names in FIELD_NAMES.items():
    for _n in _names:
        _BY_NAME.setdefault(_n, []).append(_field)


def fields_named(column: str) -> list[str]:
    """The canonical fields a column name is a known name of (most have one; `Outsourced` two)."""
    return list(_BY_NAME.get(normalise(column), ()))


def is_extract_time_name(column: str) -> bool:
    return normalise(column) in EXTRACT_TIME_NAMES
