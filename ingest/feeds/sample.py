"""Reading a sample delivery for `wmin feeds init` (draft.py): its encoding, CSV dialect, the
timestamp in its name, and its columns as text values (CSV, Excel) or its words (HL7)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ingest.feeds.synonyms import fields_named

MAX_ROWS = 20_000  # rows of the sample looked at

# File-name timestamps: (date part, separator, time part) combinations tried on a name's digit run.
_NAME_DATES = ("%Y%m%d", "%d%m%Y", "%Y-%m-%d", "%d-%m-%Y")
_NAME_SEPS = ("", "_", "-", "T")
_NAME_TIMES = ("%H%M%S", "%H%M", "%H%M%SZ", "%H-%M")


class DraftError(Exception):
    """A sample that cannot be drafted from; the message says why and what to do."""


@dataclass
class Guess:
    value: object
    note: str  # "sure: ...", "likely: ...", "guess: ..." or "given"


@dataclass
class SampleTable:
    """A sample's columns as text values (empty cells dropped), plus typed cells from a workbook."""

    header: list[str]
    values: dict[str, list[str]]
    typed: dict[str, str] = field(default_factory=dict)  # column -> 'datetime' | 'date' | 'serial'
    repeats: dict[str, bool] = field(default_factory=dict)  # column -> some value repeats


# --- the sample's bytes -----------------------------------------------------------------------


def detect_encoding(data: bytes) -> Guess:
    """One of the readers' three encodings, by strict decoding (no statistical guess needed)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return Guess("utf-8-sig", "sure: the file starts with a UTF-8 byte-order mark")
    if data.isascii():
        return Guess(
            "utf-8",
            "likely: plain ASCII so far, read the same as utf-8 or cp1252; if "
            "names with accents arrive garbled, the trust writes cp1252",
        )
    try:
        data.decode("utf-8")
        return Guess("utf-8", "sure: decodes as UTF-8, with non-ASCII characters")
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return Guess("cp1252", "likely: not UTF-8; decodes as Windows cp1252")
    except UnicodeDecodeError:
        pass
    # a few damaged lines (the reader rejects them): the encoding most lines decode in
    lines = data.split(b"\n")
    bad = {enc: sum(1 for line in lines if not _decodes(line, enc)) for enc in ("utf-8", "cp1252")}
    enc = min(bad, key=bad.get)
    if bad[enc] > max(1, 0.01 * len(lines)):
        raise DraftError(
            "the sample is neither UTF-8 nor cp1252 text (nor an .xlsx or HL7 "
            "file); ask the trust which encoding it writes"
        )
    return Guess(
        enc, f"likely: every line but {bad[enc]} decodes as {enc} (the reader rejects those lines)"
    )


def _decodes(line: bytes, enc: str) -> bool:
    try:
        line.decode(enc)
        return True
    except UnicodeDecodeError:
        return False


def name_timestamp(name: str) -> dict | None:
    """The extract time a file name carries: regex pattern, strptime format, the glob of the
    name with the time as `*`, the time read, and whether it has a time of day."""
    found = []
    for m in re.finditer(r"\d[\dT_\-]*\dZ?", name):
        run = m.group(0)
        for d in _NAME_DATES:
            for sep in _NAME_SEPS:
                for t in _NAME_TIMES + ("",):
                    fmt = d + (sep + t if t else "")
                    try:
                        when = datetime.strptime(run, fmt)
                    except ValueError:
                        continue
                    if 2000 <= when.year <= 2099 and when.strftime(fmt) == run:
                        found.append((len(fmt), m, run, fmt, when, bool(t)))
    if not found:
        return None
    _, m, run, fmt, when, has_time = max(found, key=lambda f: (f[5], f[0]))
    shape = re.sub(r"\d+", lambda g: rf"\d{{{len(g.group(0))}}}", run)
    before = name[m.start() - 1] if m.start() > 0 and name[m.start() - 1] in "_-." else ""
    pattern = re.escape(before) if before == "." else before
    pattern += f"({shape})"
    glob = name[: m.start()] + "*" + name[m.end() :]
    return {
        "pattern": pattern,
        "format": fmt,
        "glob": glob,
        "when": when,
        "has_time": has_time,
        "text": run,
    }


def csv_table(text: str, delimiter: str, quotechar: str) -> tuple[SampleTable, bool]:
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    try:
        for i, row in enumerate(reader):
            if i > MAX_ROWS:
                break
            if row:
                rows.append(row)
    except csv.Error as e:
        raise DraftError(
            f"the sample is not delimited text the csv module can read ({e})"
        ) from None
    if not rows:
        raise DraftError("the sample is empty")
    header = [h.strip() for h in rows[0]]
    trailing = (
        header[-1] == "" and len(header) > 1 and all(not r[-1].strip() for r in rows[1:50] if r)
    )
    if trailing:
        header = header[:-1]
    values: dict[str, list[str]] = {h: [] for h in header}
    for r in rows[1:]:
        for h, v in zip(header, r):
            v = v.strip()
            if v:
                values[h].append(v)
    repeats = {h: len(set(v)) < len(v) for h, v in values.items()}
    return SampleTable(header, values, repeats=repeats), trailing


def sniff(text: str) -> tuple[str, str, str]:
    head = "\n".join(text.splitlines()[:50])
    try:
        d = csv.Sniffer().sniff(head, delimiters=",;|\t")
        return (
            d.delimiter,
            d.quotechar or '"',
            "sure: csv.Sniffer finds the same field count on every line",
        )
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        counts = {c: first.count(c) for c in ",;|\t"}
        best = max(counts, key=counts.get)
        if not counts[best]:
            raise DraftError(
                "the sample's first line has no , ; | or tab: not a delimited extract "
                "with a header line"
            ) from None
        return (
            best,
            '"',
            "guess: the commonest of , ; | tab in the header (csv.Sniffer could not decide)",
        )


def excel_table(data: bytes) -> tuple[SampleTable, str, list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - calamine raises its own error types for unreadable workbooks
        raise DraftError(f"the workbook cannot be read ({e})") from None
    sheets = list(wb.sheet_names)
    sheet = next(
        (
            s
            for s in sheets
            if any(
                "accession" in fields_named(str(h))
                for h in (wb.get_sheet_by_name(s).to_python(nrows=1) or [[]])[0]
            )
        ),
        sheets[0],
    )
    rows = wb.get_sheet_by_name(sheet).to_python()[: MAX_ROWS + 1]
    if not rows:
        raise DraftError(f"sheet {sheet!r} is empty")
    header = [str(h).strip() for h in rows[0]]
    values: dict[str, list[str]] = {h: [] for h in header}
    typed: dict[str, str] = {}
    kinds: dict[str, Counter] = {h: Counter() for h in header}
    for r in rows[1:]:
        for h, v in zip(header, r):
            if v is None or v == "":
                continue
            if isinstance(v, datetime):
                kinds[h]["datetime"] += 1
            elif isinstance(v, date):
                kinds[h]["date"] += 1
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and 20_000 < v < 80_000:
                kinds[h]["serial"] += 1
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            values[h].append(str(v).strip())
    for h, k in kinds.items():
        if k and values[h] and max(k.values()) >= 0.9 * len(values[h]):
            typed[h] = k.most_common(1)[0][0]
    repeats = {h: len(set(v)) < len(v) for h, v in values.items()}
    return SampleTable(header, values, typed, repeats), sheet, sheets


def hl7_words(sample: Path, data: bytes, enc: str, trust: str) -> dict[str, Counter]:
    """Local words of an HL7 batch, read by the HL7 reader with no value maps."""
    from ingest.feeds.spec import ExtractTime, FeedSpec, FilePatterns
    from ingest.readers import hl7v2

    spec = FeedSpec.model_construct(
        trust_code=trust,
        family="hl7v2",
        mode="delta",
        files=FilePatterns(exams="*"),
        extract_time=ExtractTime(pattern="(.)", format="%Y"),
        encoding=enc,
        value_maps={},
        quirks=("hl7_repeat_nhs_in_pid3",) if b"^NHS^" in data else (),
        timezone="Europe/London",
        procedure_code_system="nicip",
        columns={},
        slot_columns={},
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%d %H:%M",
        delimiter=",",
        quotechar='"',
    )
    res = hl7v2.read(sample, spec, data=data)
    words: dict[str, Counter] = {}
    for f in ("priority", "modality", "sex", "patient_source_setting", "activity_category"):
        words[f] = Counter(v for v in res.exam_records[f].dropna().astype(str) if v)
    words["event"] = Counter(v for v in res.exam_events["event"].dropna().astype(str) if v)
    words["procedure_code"] = Counter(res.exam_records["local_procedure_code"].dropna().astype(str))
    return words
