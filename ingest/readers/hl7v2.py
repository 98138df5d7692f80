"""Family `hl7v2`: a batch of HL7 v2.4 ORM/ORU messages, one message per event.

The batch is split into messages, segments, fields and components in bulk (hl7_split), its
timestamps read in bulk (hl7_time); a message that cannot be loaded is rejected with its number,
the field and what to do."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest import quirks
from ingest.contract import CAPACITY_SLOTS, EXAM_EVENTS
from ingest.feeds.spec import FeedSpec
from ingest.readers.base import (
    Ctx,
    QuarantineError,
    ReadResult,
    Rejects,
    arrow_frame,
    empty_frame,
    exam_attributes,
    join_flags,
    map_values,
)
from ingest.readers.event_records import event_records
from ingest.readers.hl7_split import (
    Batch,
    Fields,
    first_bad_segments,
    split_batch,
    unescape_all,
)
from ingest.readers.hl7_time import parse_dates, parse_ts_array

_FALLBACK_EVENT = {"P": "reported_prelim", "F": "report_verified", "A": "addendum"}

_TEXT = (
    "accession",
    "procedure_code",
    "procedure_name",
    "modality",
    "site_code",
    "room",
    "priority",
    "patient_source_setting",
    "activity_category",
    "referrer_code",
    "referring_org_code",
    "nhs_number",
    "sex",
    "postcode",
    "ethnicity",
)

# Why a message is not loaded, in the order the checks apply (the first that fails is given).
_OK, _BAD_BYTES, _NO_MSH, _BAD_SEGMENT = 0, 1, 2, 3
_NO_ACCESSION, _NO_TIME, _BAD_TIME, _BAD_APPOINTMENT, _BAD_BIRTH = 4, 5, 6, 7, 8


def is_entered_in_error(order_control: pa.Array, control_reason: pa.Array) -> pa.Array:
    """A cancel message (ORC-1 `CA`) whose order control code reason (ORC-16) is `EIE`: the
    request was entered in error and withdrawn, which is not an ordinary cancellation."""
    return pc.and_(
        pc.equal(pc.utf8_upper(pc.fill_null(order_control, "")), "CA"),
        pc.equal(pc.utf8_upper(pc.fill_null(control_reason, "")), "EIE"),
    )


def read(
    path: Path,
    spec: FeedSpec,
    *,
    extract_at: datetime | None = None,
    local_codes: set[str] | None = None,
    file_path: str | None = None,
    data: bytes | None = None,
) -> ReadResult:
    file_path = file_path or str(path)
    data = Path(path).read_bytes() if data is None else data
    text, bad_bytes = _decode(data, spec, file_path)
    batch = split_batch(text)
    heads = batch.heads()
    reason = np.zeros(batch.messages, dtype=np.int8)
    raw = batch.raw()
    if bad_bytes:
        reason[pc.match_substring(raw, "\ufffd").to_numpy(zero_copy_only=False)] = _BAD_BYTES
    nbad_bytes = int((reason == _BAD_BYTES).sum())
    if batch.messages and nbad_bytes >= 3 and nbad_bytes > 0.2 * batch.messages:
        raise QuarantineError(
            "wrong_encoding",
            f"{file_path}: {nbad_bytes} messages are not valid "
            f"{spec.encoding}; ask the trust to resend or correct 'encoding' in the spec",
        )
    msh = pc.and_(pc.starts_with(heads, "MSH"), pc.greater_equal(pc.utf8_length(heads), 8))
    _first(reason, ~msh.to_numpy(zero_copy_only=False), _NO_MSH)
    bad_seg = first_bad_segments(batch, pc.utf8_slice_codeunits(heads, 3, 4))
    _first(reason, bad_seg >= 0, _BAD_SEGMENT)
    cols = _extract_all(batch, heads, np.flatnonzero(reason == _OK), spec)
    ok = np.flatnonzero(reason == _OK)
    reason[ok] = cols.pop("reason")
    rejects = _rejects(file_path, spec, batch, raw, reason, bad_seg, cols, ok)
    keep = reason[ok] == _OK
    cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
    loaded = ok[keep]
    n = len(loaded)
    lines = loaded + 1
    dup_a = _repeats(raw.take(pa.array(loaded)))
    ctx = Ctx(spec, file_path, extract_at, local_codes)
    raw_cols = {k: cols[k] for k in _TEXT}
    raw_cols["birth_date"] = cols["birth_date"]
    data_, flags, _ = exam_attributes(ctx, raw_cols, n, None, lines)
    ev, ev_um = map_values(spec, "event", cols["event"])
    # ORC-16 EIE names the event itself, whatever ORC-5 (the order status word) says
    eie = cols["entered_in_error"].to_numpy(zero_copy_only=False)
    if eie.any():
        ev = pc.if_else(pa.array(eie), pa.scalar("entered_in_error"), ev)
        ev_um = ev_um & ~eie
    src = pa.array(lines.astype(np.int32))
    edata = {
        "trust_code": spec.trust_code,
        "extract_at": extract_at,
        "source_line": src,
        "accession": data_["accession"],
        "source_event_id": cols["event_id"],
        "event": ev,
        "event_at": cols["event_at"],
        "appointment_at": cols["appointment_at"],
        "actor_id": cols["actor_id"],
        "actor_outsourced": cols["actor_outsourced"],
        "local_time_ambiguous": cols["ambiguous"],
        "dq_flags": join_flags(n, {"unmapped_value": ev_um, "duplicate_row": dup_a}),
    }
    events = arrow_frame(EXAM_EVENTS, edata, n)
    data_["source_line"] = src
    data_["status"] = None  # HL7 family sends no exam status: derived downstream from the events
    flags["duplicate_row"] = dup_a
    loaded = np.ones(n, dtype=bool)
    records = event_records(data_, flags, n, loaded, ev, cols["event_at"])
    return ReadResult(
        file_path=file_path,
        family="hl7v2",
        content="exams",
        rows_read=batch.messages,
        exam_records=records,
        exam_events=events,
        capacity_slots=empty_frame(CAPACITY_SLOTS),
        rejected=rejects.frame(),
        field_parse={
            "event_at": (
                n,
                n + sum(1 for r in rejects.rows.values() if r[4] == "unparseable_timestamp"),
            )
        },
        column_map={
            "accession": "ORC-3",
            "event_id": "MSH-10",
            "event": "ORC-5 (ORC-16 EIE)",
            "event_at": "MSH-7",
            "nhs_number": "PID-3",
            "procedure_code": "OBR-4",
        },
    )


def _decode(data: bytes, spec: FeedSpec, file_path: str) -> tuple[str, bool]:
    """The batch's text, and whether some bytes were not in its encoding; a file that is no
    HL7 batch at all is quarantined."""
    enc = "utf-8" if spec.encoding == "utf-8-sig" else spec.encoding
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise QuarantineError(
            "truncated_file", f"{file_path}: the file is empty; ask the trust to resend"
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise QuarantineError(
            "wrong_encoding",
            f"{file_path}: NUL bytes (UTF-16 or binary), not "
            f"{spec.encoding} HL7 text; ask the trust to resend as {spec.encoding}",
        )
    if not data.lstrip().startswith(b"MSH"):
        raise QuarantineError(
            "not_declared_format",
            f"{file_path}: does not start with an MSH segment, "
            "so it is not an HL7 v2 batch as the feed spec declares; check the file "
            "pattern and family in the spec",
        )
    if not data.rstrip(b" \t").endswith((b"\r", b"\n")):
        raise QuarantineError(
            "truncated_file",
            f"{file_path}: the last message has no segment end "
            "(carriage return); the file is truncated: ask for the whole delivery again",
        )
    try:
        text = data.decode(enc)
        bad_bytes = False
    except UnicodeDecodeError:
        text = data.decode(enc, errors="replace")
        bad_bytes = True
    return text, bad_bytes


def _first(reason: np.ndarray, failed: np.ndarray, code: int) -> None:
    """Record `code` for the messages that failed this check and no earlier one."""
    reason[(reason == _OK) & failed] = code


def _extract_all(batch: Batch, heads: pa.Array, messages: np.ndarray, spec: FeedSpec) -> dict:
    """The columns of the given messages, in their order. Messages are read in groups sharing
    their separators (MSH-1 and MSH-2): nearly every file is one group."""
    seps = pc.utf8_slice_codeunits(heads.take(pa.array(messages)), 3, 6)
    groups = []
    for key in pc.unique(seps).to_pylist() or ["|^~"]:
        members = messages[pc.equal(seps, key).to_numpy(zero_copy_only=False)]
        groups.append((members, _extract(Fields(batch, members, *key), spec)))
    if len(groups) == 1:
        return groups[0][1]
    order = np.argsort(np.concatenate([g[0] for g in groups]), kind="stable")
    return {
        k: pa.concat_arrays([g[1][k] for g in groups]).take(pa.array(order)) for k in groups[0][1]
    }


def _extract(f: Fields, spec: FeedSpec) -> dict[str, pa.Array]:
    tz = spec.timezone
    accession = f.get("ORC", 3)
    ts_text = pc.coalesce(f.get("MSH", 7), f.get("ORC", 9))
    event_at, ambiguous, bad_time = parse_ts_array(ts_text, tz)
    appt_text = f.get("OBR", 36)
    appointment_at, _, bad_appt = parse_ts_array(appt_text, tz)
    birth_text = f.get("PID", 7)
    birth, bad_birth = parse_dates(birth_text)
    reason = np.zeros(len(f.messages), dtype=np.int8)
    _first(reason, accession.is_null().to_numpy(zero_copy_only=False), _NO_ACCESSION)
    _first(reason, ts_text.is_null().to_numpy(zero_copy_only=False), _NO_TIME)
    _first(reason, bad_time, _BAD_TIME)
    _first(reason, bad_appt, _BAD_APPOINTMENT)
    _first(reason, bad_birth, _BAD_BIRTH)
    if "hl7_repeat_nhs_in_pid3" in spec.quirks:
        nhs = quirks.hl7_repeat_nhs_in_pid3(f.raw("PID", 3), f.rs, f.cs)
    else:
        nhs = f.get("PID", 2)
    fallback = pc.index_in(f.get("OBR", 25), value_set=pa.array(list(_FALLBACK_EVENT)))
    reporter = f.get("OBR", 32)
    outsourced = pc.equal(pc.utf8_upper(pc.fill_null(f.get("OBR", 32, 2), "")), "OUTSOURCED")
    return {
        "reason": pa.array(reason),
        "ts_text": ts_text,
        "appt_text": appt_text,
        "birth_text": birth_text,
        "accession": accession,
        "event_id": f.get("MSH", 10),
        "event": pc.coalesce(
            f.get("ORC", 5), pa.array(list(_FALLBACK_EVENT.values())).take(fallback)
        ),
        "event_at": event_at,
        "ambiguous": pa.array(ambiguous),
        "appointment_at": appointment_at,
        "actor_id": reporter,
        "actor_outsourced": pc.if_else(reporter.is_valid(), outsourced, None),
        "procedure_code": f.get("OBR", 4, 1),
        "procedure_name": f.get("OBR", 4, 2),
        "modality": f.get("OBR", 24),
        "priority": f.get("OBR", 5),
        "activity_category": f.get("OBR", 13),
        "site_code": f.get("PV1", 3, 1),
        "room": f.get("PV1", 3, 2),
        "patient_source_setting": f.get("PV1", 2),
        "referrer_code": f.get("PV1", 8, 1),
        "referring_org_code": f.get("ORC", 17, 1),
        # the NHS number is unescaped once more and stripped, but kept when that leaves it empty
        "nhs_number": pc.utf8_trim_whitespace(unescape_all(nhs)),
        "sex": f.get("PID", 8),
        "postcode": f.get("PID", 11, 5),
        "ethnicity": f.get("PID", 22, 1),
        "birth_date": birth,
        "entered_in_error": is_entered_in_error(f.get("ORC", 1), f.get("ORC", 16, 1)),
    }


def _repeats(raw: pa.Array) -> np.ndarray:
    """True for a message that repeats an earlier one in the file byte for byte."""
    codes = raw.dictionary_encode().indices.to_numpy()
    first = np.zeros(len(codes), dtype=bool)
    first[np.unique(codes, return_index=True)[1]] = True
    return ~first


def _rejects(file_path, spec, batch, raw, reason, bad_seg, cols, ok) -> Rejects:
    """One rejected row per message not loaded: its number, the field and what to do."""
    rejects = Rejects(file_path)
    row_of = np.full(batch.messages, -1, dtype=np.int64)
    row_of[ok] = np.arange(len(ok))
    for i in np.flatnonzero(reason != _OK).tolist():
        no = i + 1
        code = int(reason[i])
        if code == _BAD_SEGMENT:
            seg = batch.segments[int(bad_seg[i])].as_py()
            field, text = seg[:3], f"segment {seg[:12]!r} is not a valid HL7 segment"
        else:
            row = int(row_of[i])

            def value(name: str, row: int = row) -> str | None:
                return cols[name][row].as_py() if row >= 0 else None

            field, text = _why(code, spec, value)
        reason_code = _REASON_CODE[code]
        rejects.add(no, field, raw[i].as_py(), reason_code, f"message {no}: {text}")
    return rejects


_REASON_CODE = {
    _BAD_BYTES: "malformed_line",
    _NO_MSH: "malformed_line",
    _BAD_SEGMENT: "malformed_line",
    _NO_ACCESSION: "missing_key",
    _NO_TIME: "missing_key",
    _BAD_TIME: "unparseable_timestamp",
    _BAD_APPOINTMENT: "unparseable_timestamp",
    _BAD_BIRTH: "unparseable_date",
}


def _why(code: int, spec: FeedSpec, value) -> tuple[str | None, str]:
    """(field, what is wrong and what to do) for a message's reason."""
    if code == _BAD_BYTES:
        return None, (
            f"the message holds bytes that are not valid {spec.encoding}; "
            "fix the characters and resend the message"
        )
    if code == _NO_MSH:
        return "MSH", "the message does not start with an MSH segment"
    if code == _NO_ACCESSION:
        return "accession", (
            "ORC-3 (filler order number = accession) is empty; "
            "ask the trust to resend the message with the accession"
        )
    if code == _NO_TIME:
        return "event_at", (
            "MSH-7 and ORC-9 (event time) are empty; ask the trust "
            "to resend the message with its time"
        )
    if code == _BAD_TIME:
        return "event_at", (
            f"MSH-7 {value('ts_text')!r} is not an HL7 timestamp "
            "YYYYMMDDHHMM[SS][+hhmm]; fix the interface mapping"
        )
    if code == _BAD_APPOINTMENT:
        return "appointment_at", (
            f"OBR-36 {value('appt_text')!r} is not an HL7 "
            "timestamp YYYYMMDDHHMM[SS][+hhmm]; fix the interface mapping"
        )
    return "birth_date", (
        f"PID-7 {value('birth_text')!r} is not a date YYYYMMDD; fix the value and resend"
    )
