"""Family `hl7v2`: a batch of HL7 v2.4 ORM/ORU messages, one per event (ingest/feeds/README.md).

Segments are separated by `\\r`, messages by `\\r\\n`. Messages are built for a whole slice of
events at once by element-wise string concatenation, the exam's parts once per exam.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import EVENTS
from ingest.feeds.spec import FeedSpec

from ..defects import BAD_HL7_DATE, BAD_HL7_TIMESTAMP, RowDefect
from ..deliveries import TrustSlice
from ._format import bool_text, format_dates, hl7_timestamps
from .base import event_canon, exam_canon, local_words, text

canon = event_canon

REPORT_EVENTS = ("reported_prelim", "report_verified", "addendum")
RESULT_STATUS = {"reported_prelim": "P", "report_verified": "F", "addendum": "A"}
ORDER_CONTROL = {
    "requested": "NW",
    "cancelled": "CA",
    "entered_in_error": "CA",
    **dict.fromkeys(REPORT_EVENTS, "RE"),
}
FINDINGS = (
    "No acute abnormality.",
    "Appearances stable c/w prior; review 6/12 & discuss at MDT.",
    "Small effusion ~ 5mm | no consolidation.",
    "Degenerative change L4^L5 noted.",
    "Comparison: PACS ref C:\\PRIOR\\2023 - unchanged.",
    "Findings:\nNo fracture or dislocation.\nConclusion: normal study.",
)
PREFIX = {"reported_prelim": "PRELIMINARY: ", "report_verified": "", "addendum": "ADDENDUM: "}


def hl7_escape(a: pa.Array) -> pa.Array:
    """Escape HL7 delimiters in free text (escape character first)."""
    a = pc.replace_substring(a, "\\", "\\E\\")
    for ch, esc in (("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"),
                    ("\r\n", "\\.br\\"), ("\n", "\\.br\\"), ("\r", "\\.br\\")):  # fmt: skip
        a = pc.replace_substring(a, ch, esc)
    return a


def _seg(name: str, fields: dict[int, object], msh: bool = False) -> pa.Array | str:
    """Segment text: fields by HL7 number (MSH numbering counts the field separator as MSH-1)."""
    top = max(fields)
    pieces: list[object] = [name]
    start = 2 if msh else 1
    if msh:
        pieces.append("^~\\&")
    for i in range(start + (1 if msh else 0), top + 1):
        pieces.append(fields.get(i, ""))
    return pc.binary_join_element_wise(*pieces, "|")


OBR_PARTS = {3: "accession", 4: "obr4", 5: "priority", 13: "activity", 24: "modality",
             25: "result", 32: "reporter", 36: "appt"}  # fmt: skip


class Hl7Renderer:
    """Messages of one trust. `lines` joins a few per-event parts with three per-exam pieces
    (PID and PV1 segments; ORC-17 to OBR-24; OBR-4) made once per exam by `prepare`;
    `message` builds a message from every part, segment by segment (for corrupted copies)."""

    fmt = "hl7"
    first_line = 1  # message numbers
    header = ""
    canon_names: tuple[str, ...] = ()  # the exam's attributes come from `prepare`

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec
        self.system = "NICIP" if spec.procedure_code_system == "nicip" else f"{spec.trust_code}RIS"
        self.app = f"{spec.trust_code}_RIS"
        self.salt = sum(ord(c) * 31**i for i, c in enumerate(spec.trust_code)) % 10**7
        self.exam: dict[str, pa.Array] = {}

    def prepare(self, sl: TrustSlice) -> None:
        c = exam_canon(sl, np.arange(sl.n_exams))
        spec = self.spec
        f: dict[str, pa.Array] = {}
        nhs = text(c["nhs_number"])
        f["nhs"] = nhs
        digits = pc.if_else(pc.match_substring_regex(nhs, r"^\d+$"), nhs, "0")
        v = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
        mrn = (v * 7919 + self.salt) % 10**8
        f["mrn"] = pc.binary_join_element_wise(
            self.spec.trust_code[0], pc.utf8_lpad(pc.cast(pa.array(mrn), pa.string()), 8, "0"), ""
        )
        f["dob"] = format_dates(c["birth_date"], "%Y%m%d")
        f["sex"] = local_words(spec, "sex", c["sex"])
        f["postcode"] = hl7_escape(text(c["postcode"]))
        f["ethnicity"] = text(c["ethnicity"])
        f["class"] = local_words(spec, "patient_source_setting", c["patient_source_setting"])
        f["site"] = text(c["site_code"])
        f["room"] = text(c["room"])
        f["referrer"] = text(c["referrer_code"])
        f["accession"] = text(c["accession"])
        f["ref_org"] = text(c["referring_org_code"])
        code = text(c["procedure_code"])
        if "uppercase_codes" in spec.quirks:
            code = pc.utf8_lower(code)
        f["code"] = hl7_escape(code)
        f["name"] = hl7_escape(text(c["procedure_name"]))
        f["priority"] = local_words(spec, "priority", c["priority"])
        f["activity"] = local_words(spec, "activity_category", c["activity_category"])
        f["modality"] = local_words(spec, "modality", c["modality"])
        f["obr4"] = pc.binary_join_element_wise(f["code"], f["name"], self.system, "^")
        f["pid_pv1"] = pc.binary_join_element_wise(self._pid(f), self._pv1(f), "\r")
        obr = _fields(self._obr_fields(f), 4, 24)
        f["orc17_obr24"] = pc.binary_join_element_wise(f["ref_org"], "\rOBR|1||", f["accession"],
                                                        "|", obr, "")  # fmt: skip
        self.exam = f

    def fields(self, c: dict) -> dict[str, pa.Array]:
        """Per-event parts, and the exam pieces each event takes."""
        spec = self.spec
        typ = np.asarray(c["event_type"], dtype=np.int64)
        is_rep = np.isin(typ, [EVENTS.index(e) for e in REPORT_EVENTS])
        pos = np.asarray(c["exam_pos"], dtype=np.int64)
        ex = {k: self.exam[k].take(pa.array(pos)) for k in ("accession", "obr4", "name",
                                                            "pid_pv1", "orc17_obr24")}  # fmt: skip
        f: dict[str, pa.Array] = {"exam_pos": pos, **ex}
        f["ts"] = hl7_timestamps(np.asarray(c["event_at"], dtype=np.int64))
        f["msgtype"] = pa.array(np.where(is_rep, "ORU^R01", "ORM^O01").astype(object), pa.string())
        f["ctrl"] = text(c["event_id"])
        f["orc1"] = _lookup(typ, [ORDER_CONTROL.get(e, "SC") for e in EVENTS])
        # a withdrawal as entered in error is a cancel (ORC-1 CA, ORC-5 the cancelled word) whose
        # order control code reason (ORC-16) is EIE
        eie = pc.equal(c["event"], "entered_in_error")
        f["status"] = local_words(spec, "event", pc.if_else(eie, "cancelled", c["event"]))
        f["orc16"] = pc.if_else(eie, "EIE", "")
        f["result"] = _lookup(typ, [RESULT_STATUS.get(e, "") for e in EVENTS])
        actor = text(c["actor_id"])
        out = pc.equal(bool_text(c["actor_outsourced"]), "true")
        out = pc.fill_null(out, False)
        rep = pc.if_else(out, pc.binary_join_element_wise(actor, "OUTSOURCED", "^"), actor)
        f["reporter"] = pc.if_else(pa.array(is_rep), rep, "")
        f["appt"] = hl7_timestamps(np.asarray(c["appointment_at"], dtype=np.int64))
        rows = np.asarray(c["event_row"], dtype=np.int64)
        # escaping the report in parts equals escaping it whole: no part ends in "\r"
        finding = _lookup(rows % len(FINDINGS), [hl7_escape(pa.array([x]))[0].as_py()
                                                 for x in FINDINGS])  # fmt: skip
        prefix = _lookup(typ, [PREFIX.get(e, "") for e in EVENTS])
        report = pc.binary_join_element_wise(prefix, f["name"], ": ", finding, "")
        f["report"] = pc.if_else(pa.array(is_rep), report, "")
        f["is_rep"] = pa.array(is_rep)
        return f

    def _pid(self, f: dict) -> pa.Array:
        pid3 = pc.binary_join_element_wise(
            f["mrn"], f"^^^{self.spec.trust_code}^MR~", f["nhs"], "^^^NHS^NH", ""
        )
        return _seg("PID", {1: "1", 3: pid3, 7: f["dob"], 8: f["sex"],
                            11: pc.binary_join_element_wise("^^^^", f["postcode"], ""),
                            22: f["ethnicity"]})  # fmt: skip

    def _pv1(self, f: dict) -> pa.Array:
        return _seg("PV1", {1: "1", 2: f["class"],
                            3: pc.binary_join_element_wise(f["site"], f["room"], "^"),
                            8: f["referrer"]})  # fmt: skip

    def _obr_fields(self, f: dict) -> dict[int, object]:
        """OBR fields by number, of the parts `f` holds."""
        return {1: "1", **{i: f[name] for i, name in OBR_PARTS.items() if name in f}}

    def _msh(self, f: dict) -> pa.Array:
        return _seg("MSH", {3: self.app, 4: self.spec.trust_code, 5: "WMIN", 6: "WMIN",
                            7: f["ts"], 9: f["msgtype"], 10: f["ctrl"], 11: "P", 12: "2.4"},
                    msh=True)  # fmt: skip

    def _obx(self, f: dict) -> pa.Array:
        obx = _seg("OBX", {1: "1", 2: "TX", 3: f["obr4"], 5: f["report"], 11: f["result"]})
        return pc.if_else(f["is_rep"], pc.binary_join_element_wise("\r", obx, ""), "")

    def lines(self, f: dict[str, pa.Array]) -> pa.Array:
        orc = pc.binary_join_element_wise("ORC", f["orc1"], "", f["accession"], "", f["status"],
                                          "", "", "", f["ts"], *[""] * 6, f["orc16"], "|")  # fmt: skip
        obr = _fields(self._obr_fields(f), 25, 36)
        return pc.binary_join_element_wise(self._msh(f), "\r", f["pid_pv1"], "\r", orc, "|",
                                           f["orc17_obr24"], "|", obr, self._obx(f), "\r\n",
                                           "")  # fmt: skip

    def message(self, f: dict[str, pa.Array]) -> pa.Array:
        """Messages built from every part (per-event and per-exam), segment by segment."""
        orc = _seg("ORC", {1: f["orc1"], 3: f["accession"], 5: f["status"], 9: f["ts"],
                           16: f["orc16"], 17: f["ref_org"]})  # fmt: skip
        obr = _seg("OBR", self._obr_fields(f))
        return pc.binary_join_element_wise(self._msh(f), "\r", self._pid(f), "\r", self._pv1(f),
                                           "\r", orc, "\r", obr, self._obx(f), "\r\n",
                                           "")  # fmt: skip

    def row(self, fields: dict, j: int) -> dict[str, pa.Array]:
        """Every part of message j, as 1-element arrays."""
        pos = int(fields["exam_pos"][j])
        row = {k: v.slice(pos, 1) for k, v in self.exam.items()}
        row.update({k: v.slice(j, 1) for k, v in fields.items() if isinstance(v, pa.Array)})
        return row

    def extra(self, fields: dict[str, pa.Array], d: RowDefect) -> tuple[bytes, str | None, str]:
        row = self.row(fields, d.row)
        field = None
        if d.kind == "duplicate_row":
            detail = "exact repeat of the previous message"
        elif d.kind == "missing_key":
            row["accession"] = pa.array([""], pa.string())
            field = "accession"
            detail = "copy of the previous message with ORC-3 and OBR-3 (accession) empty"
        elif d.kind == "unparseable_timestamp":
            row["ts"] = pa.array([BAD_HL7_TIMESTAMP], pa.string())
            field = "event_at"
            detail = f"copy of the previous message with MSH-7 and ORC-9 = {BAD_HL7_TIMESTAMP!r}"
        elif d.kind == "unparseable_date":
            row["dob"] = pa.array([BAD_HL7_DATE], pa.string())
            field = "birth_date"
            detail = f"copy of the previous message with PID-7 = {BAD_HL7_DATE!r}"
        elif d.kind == "malformed_line":
            msg = self.message(row)[0].as_py()
            return (
                ("MSG" + msg[3:]).encode("utf-8"),
                None,
                "copy of the previous message whose first segment is 'MSG' instead of 'MSH'",
            )
        else:  # pragma: no cover
            raise ValueError(d.kind)
        return self.message(row)[0].as_py().encode("utf-8"), field, detail


def _fields(fields: dict[int, object], lo: int, hi: int) -> pa.Array:
    """Fields lo..hi of a segment, joined by '|'."""
    return pc.binary_join_element_wise(*[fields.get(i, "") for i in range(lo, hi + 1)], "|")


def _lookup(idx: np.ndarray, table: list[str]) -> pa.Array:
    return pa.array(table, pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def renderer(spec: FeedSpec) -> Hl7Renderer:
    return Hl7Renderer(spec)
