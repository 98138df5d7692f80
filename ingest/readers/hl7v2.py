"""Family `hl7v2`: a batch of HL7 v2.4 ORM/ORU messages, one message per event."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest import quirks
from ingest.contract import CAPACITY_SLOTS
from ingest.feeds.spec import FeedSpec
from ingest.readers.base import (
    Ctx,
    QuarantineError,
    ReadResult,
    Rejects,
    empty_frame,
    events_frame,
    exam_attributes,
    finish_records,
    join_flags,
    map_values,
)
from ingest.readers.event_csv import order_flags

_SEG = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_VALID_SEG_NAMES: set[str] = set()  # names already matched by _SEG: a delivery repeats a handful
_TS = re.compile(r"^(\d{8})(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4}|Z)?$")
_ESC = re.compile(r"\\(F|S|T|R|E|\.br|X[0-9A-Fa-f]+)\\")
_ESC_MAP = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\", ".br": "\n"}
_FALLBACK_EVENT = {"P": "reported_prelim", "F": "report_verified", "A": "addendum"}


def is_entered_in_error(order_control: str | None, control_reason: str | None) -> bool:
    """A cancel message (ORC-1 `CA`) whose order control code reason (ORC-16) is `EIE`: the
    request was entered in error and withdrawn, which is not an ordinary cancellation."""
    return (order_control or "").upper() == "CA" and (control_reason or "").upper() == "EIE"


def unescape(text: str) -> str:
    """HL7 escape sequences \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\ -> characters."""
    if "\\" not in text:
        return text

    def rep(m: re.Match) -> str:
        code = m.group(1)
        if code[0] == "X":
            try:
                return bytes.fromhex(code[1:]).decode("latin-1")
            except ValueError:
                return m.group(0)
        return _ESC_MAP[code]

    return _ESC.sub(rep, text)


class _Bad(Exception):
    def __init__(self, reason: str, field: str | None, message: str):
        self.reason, self.field, self.message = reason, field, message


# Valid '+hhmm'/'-hhmm' offsets already parsed: a feed sends one or two, on every message.
_UTC_OFFSETS: dict[str, timedelta] = {}


def parse_ts(text: str, tz: str = "Europe/London") -> tuple[datetime, bool]:
    """HL7 TS -> aware UTC datetime, and whether a local time without offset was ambiguous.
    Raises ValueError for anything that is not a timestamp, including one whose conversion to
    UTC leaves the calendar (e.g. 00010101000000+0100)."""
    try:
        return _parse_ts(text, tz)
    except OverflowError:
        raise ValueError(text) from None


def _parse_ts(text: str, tz: str) -> tuple[datetime, bool]:
    m = _TS.match(text.strip())
    if not m:
        raise ValueError(text)
    day, hh, mm, ss, off = m.groups()
    stamp = day + (hh or "00") + (mm or "00") + (ss or "00")
    if stamp.isascii():
        # Built from the digit positions rather than strptime("%Y%m%d%H%M%S"), which was most of the
        # read time: on 14 ASCII digits strptime accepts only the split where every field fills its
        # two digits (a shorter field leaves unconverted data), and datetime() raises the same
        # ValueError for an out-of-range field, so the accepted values are identical.
        fields = (
            int(stamp[:4]),
            int(stamp[4:6]),
            int(stamp[6:8]),
            int(stamp[8:10]),
            int(stamp[10:12]),
            int(stamp[12:14]),
        )
    else:
        # Other Unicode digits match _TS's \d but only some of strptime's patterns: keep its verdict.
        naive = datetime.strptime(stamp, "%Y%m%d%H%M%S")
        fields = (naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second)
    if off == "Z":
        return datetime(*fields, tzinfo=UTC), False
    if off:
        east_of_utc = _UTC_OFFSETS.get(off)
        if east_of_utc is None:
            sign = 1 if off[0] == "+" else -1
            delta = timedelta(hours=int(off[1:3]), minutes=int(off[3:5]))
            if delta > timedelta(hours=14) or int(off[3:5]) > 59:
                raise ValueError(text)
            east_of_utc = _UTC_OFFSETS[off] = sign * delta
        return datetime(*fields, tzinfo=UTC) - east_of_utc, False
    if tz == "UTC":
        return datetime(*fields, tzinfo=UTC), False
    fold0 = datetime(*fields, tzinfo=ZoneInfo(tz))
    fold1 = fold0.replace(fold=1)
    return fold0.astimezone(UTC), fold0.utcoffset() != fold1.utcoffset()


def split_messages(text: str) -> list[list[str]]:
    """Segments grouped into messages: a new message at every MSH segment."""
    msgs: list[list[str]] = []
    # Same cuts as re.split(r"\r\n|\n|\r"): both scan left to right and take CRLF as one end;
    # str methods are several times faster on a whole delivery.
    for seg in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not seg.strip():
            continue
        if seg.startswith("MSH") or not msgs:
            msgs.append([seg])
        else:
            msgs[-1].append(seg)
    return msgs


class _Msg:
    def __init__(self, segs: list[str]):
        if not segs[0].startswith("MSH") or len(segs[0]) < 8:
            raise _Bad("malformed_line", "MSH", "the message does not start with an MSH segment")
        self.fs = fs = segs[0][3]
        enc = segs[0][4:8]
        self.cs, self.rs = enc[0], enc[1]
        self.seg: dict[str, list[str]] = {}
        for s in segs:
            name = s[:3]
            if name not in _VALID_SEG_NAMES:
                if not _SEG.match(name):
                    raise _Bad(
                        "malformed_line", name, f"segment {s[:12]!r} is not a valid HL7 segment"
                    )
                _VALID_SEG_NAMES.add(name)
            if len(s) > 3 and s[3] != fs:
                raise _Bad("malformed_line", name, f"segment {s[:12]!r} is not a valid HL7 segment")
            if name in self.seg:
                continue  # only the first of a repeated segment is read; the rest are only checked
            parts = s.split(fs)
            self.seg[name] = ["MSH", fs] + parts[1:] if name == "MSH" else parts

    def get(
        self, name: str, n: int, comp: int | None = 1, rep: int = 0, raw: bool = False
    ) -> str | None:
        parts = self.seg.get(name)
        if not parts or n >= len(parts):
            return None
        v = parts[n]
        # Most fields hold one repetition of one component: the first of each is then the whole
        # value, so skip the splits (this runs some twenty times a message).
        if rep is not None and not (rep == 0 and self.rs not in v):
            reps = v.split(self.rs)
            v = reps[rep] if rep < len(reps) else ""
        if comp is not None and not (comp == 1 and self.cs not in v):
            comps = v.split(self.cs)
            v = comps[comp - 1] if comp - 1 < len(comps) else ""
        if raw:
            return v
        if "\\" in v:  # the test unescape() starts with, without the call for the usual plain value
            v = unescape(v)
        return v.strip() or None


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

# The values _extract returns for one message, in order: one column each.
_ROW_FIELDS = (
    "accession",
    "event_id",
    "event",
    "event_at",
    "ambiguous",
    "appointment_at",
    "actor_id",
    "actor_outsourced",
    "procedure_code",
    "procedure_name",
    "modality",
    "priority",
    "activity_category",
    "site_code",
    "room",
    "patient_source_setting",
    "referrer_code",
    "referring_org_code",
    "nhs_number",
    "sex",
    "postcode",
    "ethnicity",
    "birth_date",
    "entered_in_error",
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
    msgs = split_messages(text)
    rejects = Rejects(file_path)
    rows: list[tuple] = []  # one tuple per loaded message, in _ROW_FIELDS order
    loaded_lines: list[int] = []
    seen: set[str] = set()
    dup: list[bool] = []
    nbad_bytes = 0
    for no, segs in enumerate(msgs, start=1):
        raw = "\r".join(segs)
        try:
            if bad_bytes and "\ufffd" in raw:
                nbad_bytes += 1
                raise _Bad(
                    "malformed_line",
                    None,
                    "the message holds bytes that are not valid "
                    f"{spec.encoding}; fix the characters and resend the message",
                )
            row = _extract(_Msg(segs), spec)
        except _Bad as b:
            rejects.add(no, b.field, raw, b.reason, f"message {no}: {b.message}")
            continue
        except (IndexError, ValueError) as e:
            rejects.add(
                no,
                None,
                raw,
                "malformed_line",
                f"message {no}: cannot be parsed ({e}); "
                "check the segment structure and resend the message",
            )
            continue
        rows.append(row)
        loaded_lines.append(no)
        dup.append(raw in seen)
        seen.add(raw)
    if msgs and nbad_bytes >= 3 and nbad_bytes > 0.2 * len(msgs):
        raise QuarantineError(
            "wrong_encoding",
            f"{file_path}: {nbad_bytes} messages are not valid "
            f"{spec.encoding}; ask the trust to resend or correct 'encoding' in the spec",
        )
    # Transposed once at the end: cheaper than appending each value to its own column list.
    cols = (
        {k: list(v) for k, v in zip(_ROW_FIELDS, zip(*rows))}
        if rows
        else {k: [] for k in _ROW_FIELDS}
    )
    n = len(loaded_lines)
    lines = np.array(loaded_lines, dtype=np.int64)
    ctx = Ctx(spec, file_path, extract_at, local_codes)
    raw_cols = {k: pa.array(cols[k], pa.string()) for k in _TEXT}
    raw_cols["birth_date"] = pa.array(cols["birth_date"], pa.date32())
    data_, flags, _ = exam_attributes(ctx, raw_cols, n, None, lines)
    ev, ev_um = map_values(spec, "event", pa.array(cols["event"], pa.string()))
    # ORC-16 EIE names the event itself, whatever ORC-5 (the order status word) says
    eie = np.array(cols["entered_in_error"], dtype=bool)
    if eie.any():
        ev = pc.if_else(pa.array(eie), pa.scalar("entered_in_error"), ev)
        ev_um = ev_um & ~eie
    src = pa.array(lines.astype(np.int32))
    dup_a = np.array(dup, dtype=bool)
    edata = {
        "trust_code": spec.trust_code,
        "extract_at": extract_at,
        "source_line": src,
        "accession": data_["accession"],
        "source_event_id": pa.array(cols["event_id"], pa.string()),
        "event": ev,
        "event_at": pa.array(cols["event_at"], pa.timestamp("us", tz="UTC")),
        "appointment_at": pa.array(cols["appointment_at"], pa.timestamp("us", tz="UTC")),
        "actor_id": pa.array(cols["actor_id"], pa.string()),
        "actor_outsourced": pa.array(cols["actor_outsourced"], pa.bool_()),
        "local_time_ambiguous": pa.array(cols["ambiguous"], pa.bool_()),
        "dq_flags": join_flags(n, {"unmapped_value": ev_um, "duplicate_row": dup_a}),
    }
    events = events_frame(edata, n)
    data_["source_line"] = src
    data_["status"] = None  # HL7 family sends no exam status: derived downstream from the events
    flags["duplicate_row"] = dup_a
    records = finish_records(data_, flags, n)
    records = records[records["accession"].notna()].drop_duplicates("accession", keep="last")
    records = order_flags(records.reset_index(drop=True), events)
    return ReadResult(
        file_path=file_path,
        family="hl7v2",
        content="exams",
        rows_read=len(msgs),
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


def _extract(m: _Msg, spec: FeedSpec) -> tuple:
    tz = spec.timezone
    event_id = m.get("MSH", 10)
    accession = m.get("ORC", 3)
    if not accession:
        raise _Bad(
            "missing_key",
            "accession",
            "ORC-3 (filler order number = accession) is empty; "
            "ask the trust to resend the message with the accession",
        )
    ts_text = m.get("MSH", 7) or m.get("ORC", 9)
    if not ts_text:
        raise _Bad(
            "missing_key",
            "event_at",
            "MSH-7 and ORC-9 (event time) are empty; ask the trust "
            "to resend the message with its time",
        )
    try:
        event_at, amb = parse_ts(ts_text, tz)
    except ValueError:
        raise _Bad(
            "unparseable_timestamp",
            "event_at",
            f"MSH-7 {ts_text!r} is not an HL7 timestamp "
            "YYYYMMDDHHMM[SS][+hhmm]; fix the interface mapping",
        ) from None
    appt = m.get("OBR", 36)
    appointment_at = None
    if appt:
        try:
            appointment_at, _ = parse_ts(appt, tz)
        except ValueError:
            raise _Bad(
                "unparseable_timestamp",
                "appointment_at",
                f"OBR-36 {appt!r} is not an HL7 "
                "timestamp YYYYMMDDHHMM[SS][+hhmm]; fix the interface mapping",
            ) from None
    bd_text = m.get("PID", 7)
    birth = None
    if bd_text:
        day_text = bd_text[:8]
        try:
            # Eight ASCII digits: strptime("%Y%m%d") accepts exactly the positional split there (a
            # one-digit month or day would leave unconverted data), so build the date directly;
            # anything else keeps strptime and its looser matches (e.g. '202411' is 2024-01-01).
            if len(day_text) == 8 and day_text.isascii() and day_text.isdigit():
                birth = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:8]))
            else:
                birth = datetime.strptime(day_text, "%Y%m%d").date()
        except ValueError:
            raise _Bad(
                "unparseable_date",
                "birth_date",
                f"PID-7 {bd_text!r} is not a date YYYYMMDD; fix the value and resend",
            ) from None
    pid3 = m.get("PID", 3, comp=None, rep=None, raw=True) or ""
    if "hl7_repeat_nhs_in_pid3" in spec.quirks:
        nhs_no = quirks.hl7_repeat_nhs_in_pid3(pid3, m.rs, m.cs)
    else:
        nhs_no = m.get("PID", 2)
    event = m.get("ORC", 5)
    if not event:
        event = _FALLBACK_EVENT.get(m.get("OBR", 25) or "")
    reporter = m.get("OBR", 32)
    outs_flag = m.get("OBR", 32, comp=2)
    return (  # _ROW_FIELDS order
        accession,
        event_id,
        event,
        event_at,
        amb,
        appointment_at,
        reporter,
        (outs_flag or "").upper() == "OUTSOURCED" if reporter else None,
        m.get("OBR", 4, 1),
        m.get("OBR", 4, 2),
        m.get("OBR", 24),
        m.get("OBR", 5),
        m.get("OBR", 13),
        m.get("PV1", 3, 1),
        m.get("PV1", 3, 2),
        m.get("PV1", 2),
        m.get("PV1", 8, 1),
        m.get("ORC", 17, 1),
        unescape(nhs_no).strip() if nhs_no else None,
        m.get("PID", 8),
        m.get("PID", 11, 5),
        m.get("PID", 22, 1),
        birth,
        is_entered_in_error(m.get("ORC", 1), m.get("ORC", 16, 1)),
    )
