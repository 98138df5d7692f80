"""Shared by the writers: canonical row columns of a delivery, and text-file assembly.

A writer never loops over rows in Python: it turns a whole slice of rows into one string per
line (pyarrow element-wise concatenation), and a file is a contiguous slice of those lines' bytes
plus the few corrupted extra lines planned by `defects.plan_row_defects`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import EVENTS
from ingest.feeds.spec import FeedSpec

from ..deliveries import STATUS_TABLE, Rows, TrustSlice
from ._format import (
    NAT,
    bool_text,
    format_dates,
    format_timestamps,
    int_text,
    local_words,
    nhs_spaced,
    string_slices,
    text,
)

TS_FIELDS = frozenset({
    "requested_at", "request_received_at", "vetted_at", "booked_at", "appointment_at",
    "arrived_at", "exam_started_at", "exam_completed_at", "reported_prelim_at",
    "report_verified_at", "cancelled_at", "did_not_attend_at", "addendum_at", "event_at",
    "slot_start",
})  # fmt: skip
DATE_FIELDS = frozenset({"birth_date", "clock_start_date"})
BOOL_FIELDS = frozenset({"actor_outsourced", "verified_outsourced"})
INT_FIELDS = frozenset({"slot_minutes"})
MAPPED_FIELDS = frozenset({"priority", "patient_source_setting", "activity_category", "sex",
                           "status", "event", "modality", "state"})  # fmt: skip
EVENT_NAMES = pa.array(list(EVENTS), pa.string())
EXAM_ATTRS = ("accession", "procedure_code", "procedure_name", "nicip_code", "modality",
              "site_code", "room", "priority", "patient_source_setting", "activity_category",
              "referrer_code", "referring_org_code", "gp_practice_code", "nhs_number",
              "nhs_number_status", "birth_date", "sex", "postcode", "ethnicity",
              "clock_start_date", "status")  # fmt: skip


# --- canonical columns of a selection of rows ---------------------------------------------------
#
# `sel` picks rows of a `Rows`: a slice (a run of deliveries) or an index array (one row per
# distinct line, see `line_keys`). Every canon carries the record of each row (`exam_pos` or
# `slot_pos`), so that a renderer can take the record's attributes from text it formatted once
# per record; `names` are the attributes it still wants from the canon.


def _pick(v, sel):
    if isinstance(v, pa.Array):
        if isinstance(sel, slice):
            return v.slice(sel.start, sel.stop - sel.start)
        return v.take(pa.array(sel))
    return v[sel]


def exam_canon(sl: TrustSlice, exam_pos: np.ndarray, names=EXAM_ATTRS) -> dict:
    idx = pa.array(np.asarray(exam_pos, dtype=np.int64))
    out = {}
    for f in names:
        v = sl.exams[f]
        out[f] = v.take(idx) if isinstance(v, pa.Array) else v[exam_pos]
    out["exam_pos"] = np.asarray(exam_pos, dtype=np.int64)
    return out


def wide_canon(sl: TrustSlice, rows: Rows, sel, names=EXAM_ATTRS) -> dict:
    out = exam_canon(sl, rows.ref[sel], names)
    for name, v in rows.cols.items():
        out[name] = _pick(v, sel)
    return out


def event_canon(sl: TrustSlice, rows: Rows, sel, names=EXAM_ATTRS) -> dict:
    i = rows.ref[sel]
    out = exam_canon(sl, sl.ev_exam[i], names)
    ia = pa.array(i)
    typ = sl.ev_type[i].astype(np.int64)
    out["event_type"] = typ
    out["event"] = EVENT_NAMES.take(pa.array(typ))
    out["status"] = STATUS_TABLE.take(pa.array(typ))
    out["event_id"] = sl.ev_id.take(ia)
    out["event_at"] = sl.ev_t[i]
    out["appointment_at"] = np.where(typ == EVENTS.index("booked"), sl.ev_appt[i], NAT)
    out["actor_id"] = sl.ev_actor.take(ia)
    out["actor_outsourced"] = sl.ev_out[i]
    out["event_row"] = i
    return out


SLOT_ATTRS = ("slot_id", "site_code", "room", "modality", "slot_start", "slot_minutes")


def slot_record_canon(sl: TrustSlice, slot_pos: np.ndarray, names=SLOT_ATTRS) -> dict:
    idx = pa.array(np.asarray(slot_pos, dtype=np.int64))
    out = {f: sl.slot_text[f].take(idx) for f in names if f in sl.slot_text}
    if "slot_start" in names:
        out["slot_start"] = sl.sl_start[slot_pos]
    if "slot_minutes" in names:
        out["slot_minutes"] = sl.slots["slot_minutes"].to_numpy(np.int64)[slot_pos]
    out["slot_pos"] = np.asarray(slot_pos, dtype=np.int64)
    return out


def slot_canon(sl: TrustSlice, rows: Rows, sel, names=SLOT_ATTRS) -> dict:
    out = slot_record_canon(sl, rows.ref[sel], names)
    out["state"] = _pick(rows.cols["state"], sel)
    out["accession"] = _pick(rows.cols["accession"], sel)
    return out


def line_keys(rows: Rows, family: str) -> np.ndarray:
    """What a row's line depends on: its event (event log, HL7) or, for the wide layout, the last
    event recorded by the extract (every wide column is the exam's state as at that event).
    Rows of overlapping snapshots with the same key have the same line."""
    return rows.cols["last_event"] if family in ("wide_csv", "excel") else rows.ref


# --- text formatting (CSV semantics) -------------------------------------------------------------


def format_field(spec: FeedSpec, field: str, v, *, slot: bool = False) -> pa.Array:
    """One canonical column -> the trust's text ('' when missing)."""
    if field in TS_FIELDS:
        return format_timestamps(np.asarray(v, dtype=np.int64), spec.datetime_format, spec.timezone)
    if field in DATE_FIELDS:
        return format_dates(v, spec.date_format)
    if field in BOOL_FIELDS:
        return local_words(spec, field, bool_text(v))
    if field in INT_FIELDS:
        return int_text(v)
    if field in MAPPED_FIELDS:
        return local_words(spec, field, v)
    if field == "nhs_number" and "nhs_number_spaces" in spec.quirks:
        return nhs_spaced(v)
    if field == "procedure_code" and "uppercase_codes" in spec.quirks:
        return pc.utf8_lower(text(v))
    return text(v)


# --- text files -----------------------------------------------------------------------------------


def encode_text(s: str, encoding: str) -> bytes:
    return s.encode("cp1252" if encoding == "cp1252" else "utf-8")


class LineText:
    """The bytes of an array of lines, cut into files by row ranges without copying."""

    def __init__(self, lines: pa.Array) -> None:
        data, self.off = string_slices(lines)
        self.buf = memoryview(data)
        self.ascii = len(lines) == 0 or pc.all(pc.string_is_ascii(lines)).as_py()

    def body(self, a: int, b: int, encoding: str) -> bytes | memoryview:
        if b <= a:
            return b""
        raw = self.buf[int(self.off[a]) : int(self.off[b])]
        if encoding == "cp1252" and not self.ascii:
            raw = bytes(raw)
            return raw if raw.isascii() else raw.decode("utf-8").encode("cp1252")
        return raw


def assemble(header: str, text: LineText, a: int, b: int, encoding: str,
             extras: list[tuple[int, bytes]], replace: dict[int, bytes] | None = None
             ) -> list[bytes | memoryview]:  # fmt: skip
    """The pieces of a file: header, body rows a..b of `text`, each extra (row, bytes) after its
    row; `replace` swaps the bytes of some body rows (row numbers relative to a)."""
    parts: list[bytes | memoryview] = [b"\xef\xbb\xbf"] if encoding == "utf-8-sig" else []
    if header:
        parts.append(encode_text(header, encoding))
    events = [(row, 1, x) for row, x in extras] + [
        (row, 0, x) for row, x in (replace or {}).items()
    ]
    pos = a
    for row, kind, x in sorted(events, key=lambda e: (e[0], e[1])):
        parts.append(text.body(pos, a + row + kind, encoding))  # a replaced row is left out
        parts.append(x)
        pos = a + row + 1
    parts.append(text.body(pos, b, encoding))
    return parts


def one_row(fields: dict, j: int) -> dict:
    """Row j of formatted columns, as 1-element arrays (for re-rendering a corrupted copy)."""
    return {
        k: (v.slice(j, 1) if isinstance(v, pa.Array) else v[j : j + 1]) for k, v in fields.items()
    }


def insert_bad_byte(line: bytes, encoding: str, after: bytes) -> bytes:
    """A copy of the line with a byte that cannot be decoded in the file's encoding."""
    bad = b"\x81" if encoding == "cp1252" else b"\xff"
    p = line.find(after)
    p = len(line) // 2 if p < 0 else p + len(after)
    return line[:p] + bad + line[p:]
