"""The canonical vocabulary and the landing contract, as data.

Every reader produces these tables; the synthetic generator writes its ground truth in the
same vocabulary so that tests can compare the warehouse with what really happened.
Column order here is the column order of the tables.
Other engines read the same tables as Parquet: `wmin landing export` writes them in the layout
of docs/spark.md, "Landing as Parquet" (one folder a table, by trust, with a `_layout.json`).
"""

from __future__ import annotations

PRIORITIES = ("ed", "inpatient", "suspected_cancer", "urgent", "routine", "planned")
ACTIVITY_CATEGORIES = ("waiting_list", "planned", "unscheduled")
MODALITIES = ("XR", "US", "CT", "MR", "FL", "NM", "PET", "MG", "DEXA", "IR")
DM01_TESTS = ("MRI", "CT", "NOUS", "DEXA", "BARIUM_ENEMA")
# entered_in_error: the request was withdrawn as entered in error (HL7 ORC-16 `EIE`, or the
# feed's own word): it never existed, so it leaves every waiting-list census, past ones too,
# and counts as no activity (a cancellation only ends the request on its date).
STATUSES = (
    "requested",
    "booked",
    "completed",
    "reported",
    "cancelled",
    "did_not_attend",
    "entered_in_error",
)
PATIENT_SOURCE_SETTINGS = ("01", "02", "03", "04", "05", "06", "07")
SEXES = ("0", "1", "2", "9")
SLOT_STATES = ("free", "booked", "blocked")
FAMILIES = ("wide_csv", "event_csv", "hl7v2", "excel")

# SWIM-inspired event vocabulary, in workflow order.
EVENTS = (
    "requested",
    "request_received",
    "vetted",
    "booked",
    "arrived",
    "exam_started",
    "exam_completed",
    "reported_prelim",
    "report_verified",
    "cancelled",
    "did_not_attend",
    "addendum",
    "entered_in_error",  # the request withdrawn as entered in error (last: not a workflow step)
)

# --- Ground truth written by the generator (home/truth/*.parquet) -------------------------
# Timestamps are timezone-aware UTC; dates are plain dates (local calendar dates).

TRUTH_EXAMS: dict[str, str] = {
    "trust_code": "VARCHAR",
    "accession": "VARCHAR",
    "site_code": "VARCHAR",
    "room": "VARCHAR",
    "modality": "VARCHAR",
    "nicip_code": "VARCHAR",
    "local_procedure_code": "VARCHAR",  # the code the trust's feed sends (= nicip_code if none)
    "priority": "VARCHAR",
    "patient_source_setting": "VARCHAR",
    "activity_category": "VARCHAR",
    "referrer_code": "VARCHAR",
    "referring_org_code": "VARCHAR",
    "gp_practice_code": "VARCHAR",
    "nhs_number": "VARCHAR",
    "nhs_number_status": "VARCHAR",
    "birth_date": "DATE",
    "sex": "VARCHAR",
    "postcode": "VARCHAR",
    "ethnicity": "VARCHAR",
    "clock_start_date": "DATE",
    "status": "VARCHAR",  # status at the end of the window
}

TRUTH_EVENTS: dict[str, str] = {
    "trust_code": "VARCHAR",
    "accession": "VARCHAR",
    "event_id": "VARCHAR",  # unique per trust; stable across deliveries
    "event": "VARCHAR",
    "event_at": "TIMESTAMPTZ",
    "appointment_at": "TIMESTAMPTZ",  # booked events only
    "actor_id": "VARCHAR",
    "actor_outsourced": "BOOLEAN",
    # when the RIS took the event back (e.g. a report withdrawn), null if never: deliveries
    # extracted before it carry the event, later ones do not (ingest/synth/deliveries.py)
    "withdrawn_at": "TIMESTAMPTZ",
}

TRUTH_SLOTS: dict[str, str] = {
    "trust_code": "VARCHAR",
    "slot_id": "VARCHAR",
    "site_code": "VARCHAR",
    "room": "VARCHAR",
    "modality": "VARCHAR",
    "slot_start": "TIMESTAMPTZ",
    "slot_minutes": "INTEGER",
    "state": "VARCHAR",  # as at the end of the window
    "accession": "VARCHAR",  # the exam booked into it, if any
}

# --- Landing contract (schema `landing` in restricted.duckdb) ------------------------------
# Every landing row carries its file (file_id from load_manifest), its line in that file and the
# extract time of its delivery. Values are mapped to the canonical vocabulary by the reader
# through the feed spec's value maps; a value with no mapping is kept as sent and flagged.

_ROW_LINEAGE = {
    "file_id": "BIGINT",
    "source_line": "INTEGER",  # 1-based physical line (CSV), message number (HL7), sheet row (Excel)
    "extract_at": "TIMESTAMPTZ",
}

EXAM_RECORDS: dict[str, str] = {
    **_ROW_LINEAGE,
    "trust_code": "VARCHAR",
    "accession": "VARCHAR",
    "local_procedure_code": "VARCHAR",
    "nicip_code": "VARCHAR",  # only when the feed sends NICIP itself
    "procedure_name": "VARCHAR",
    "site_code": "VARCHAR",
    "room": "VARCHAR",
    "modality": "VARCHAR",
    "priority": "VARCHAR",
    "patient_source_setting": "VARCHAR",
    "activity_category": "VARCHAR",
    "referrer_code": "VARCHAR",
    "referring_org_code": "VARCHAR",
    "gp_practice_code": "VARCHAR",
    "nhs_number": "VARCHAR",  # normalised to 10 digits where the feed's quirks allow
    "nhs_number_status": "VARCHAR",
    "patient_key": "VARCHAR",  # HMAC-SHA256 pseudonym of nhs_number, computed at load
    "birth_date": "DATE",
    "sex": "VARCHAR",
    "postcode": "VARCHAR",
    "ethnicity": "VARCHAR",
    "clock_start_date": "DATE",
    "status": "VARCHAR",
    "dq_flags": "VARCHAR",  # comma-separated semantic flags, e.g. 'nhs_number_invalid'
}

EXAM_EVENTS: dict[str, str] = {
    **_ROW_LINEAGE,
    "trust_code": "VARCHAR",
    "accession": "VARCHAR",
    # Dedupe key within a trust: the feed's own event id (event log) or the HL7 message control
    # id. Null for wide families (one timestamp per event type per exam): their key is
    # accession:event, which staging derives rather than landing storing it (writing 4 unique
    # strings per exam was a fifth of a wide file's insert).
    "source_event_id": "VARCHAR",
    "event": "VARCHAR",
    "event_at": "TIMESTAMPTZ",
    "appointment_at": "TIMESTAMPTZ",
    "actor_id": "VARCHAR",
    "actor_outsourced": "BOOLEAN",
    "local_time_ambiguous": "BOOLEAN",  # wall-clock time fell in the repeated autumn hour
    "dq_flags": "VARCHAR",
}

CAPACITY_SLOTS: dict[str, str] = {
    **_ROW_LINEAGE,
    "trust_code": "VARCHAR",
    "slot_id": "VARCHAR",
    "site_code": "VARCHAR",
    "room": "VARCHAR",
    "modality": "VARCHAR",
    "slot_start": "TIMESTAMPTZ",
    "slot_minutes": "INTEGER",
    "state": "VARCHAR",
    "accession": "VARCHAR",
}

LOAD_MANIFEST: dict[str, str] = {
    "file_id": "BIGINT",
    "file_path": "VARCHAR",  # relative to home
    "sha256": "VARCHAR",
    "trust_code": "VARCHAR",
    "family": "VARCHAR",
    "content": "VARCHAR",  # exams | slots
    "extract_at": "TIMESTAMPTZ",
    "rows_read": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_rejected": "BIGINT",
    "started_at": "TIMESTAMPTZ",
    "finished_at": "TIMESTAMPTZ",
    "outcome": "VARCHAR",  # loaded | quarantined
    "message": "VARCHAR",
    # the feed spec's `mode` when the file was read: a snapshot delivery is authoritative for
    # the exams it carries (an event of theirs it no longer carries is withdrawn; staging,
    # stg_landing__exam_full_deliveries). Added after the first release: the loader adds the
    # column to an older landing schema and fills its rows from the specs (loader.create_landing).
    "feed_mode": "VARCHAR",  # delta | snapshot
}

REJECTED_ROWS: dict[str, str] = {
    "file_id": "BIGINT",
    "file_path": "VARCHAR",
    "line": "INTEGER",
    "field": "VARCHAR",
    "raw_text": "VARCHAR",
    "reason_code": "VARCHAR",
    "message": "VARCHAR",
}

# Reason codes for rejected rows and quarantined files (closed lists: tests check against them).
ROW_REJECT_REASONS = (
    "malformed_line",  # unbalanced quotes, undecodable bytes in the line, broken HL7 segment
    "wrong_column_count",
    "missing_key",  # accession (or slot id / event time) empty
    "unparseable_timestamp",
    "unparseable_date",
)
FILE_QUARANTINE_REASONS = (
    "truncated_file",
    "wrong_encoding",
    "missing_required_columns",
    "not_declared_format",
    "failed_expectation",  # a blocking Great Expectations check
    "unreadable",
)
# Semantic data-quality flags: loaded, never rejected.
DQ_FLAGS = (
    "nhs_number_invalid",
    "dates_out_of_order",
    "unknown_local_code",
    "unmapped_value",
    "duplicate_row",  # byte-identical repeat of an earlier row of the same file
    "event_after_extract",  # an event later than its delivery's extract time
)


def ddl(table: str, columns: dict[str, str]) -> str:
    """CREATE TABLE IF NOT EXISTS for one contract table."""
    cols = ",\n  ".join(f"{name} {dtype}" for name, dtype in columns.items())
    return f"create table if not exists {table} (\n  {cols}\n)"
