"""`wmin feeds init SAMPLE`: draft a feed spec from a sample delivery, for the user to finish.

Everything the spec needs is guessed from the sample: the family (wide CSV or event log by the
shape of the rows, HL7 v2 or an Excel workbook by the bytes), the encoding (the three the
readers take, tried strictly in turn), the CSV dialect (Python's csv.Sniffer), the date and
timestamp formats (each candidate tried with the readers' own parser on the column's values),
the extract time (a timestamp in the file name, an extract-time column), and the columns (by
name through `synonyms.FIELD_NAMES`, then by content: NHS numbers, postcodes, birth dates,
unnamed timestamp columns in workflow order). Each guess carries a note saying how sure it is;
draft_yaml.py writes them as comments beside the keys, and the TODO list at the end; sample.py
reads the sample.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ingest import contract, nhs
from ingest.feeds.sample import (
    DraftError,
    Guess,
    SampleTable,
    csv_table,
    detect_encoding,
    excel_table,
    hl7_words,
    name_timestamp,
    sniff,
)
from ingest.feeds.spec import (
    EVENT_LOG_FIELDS,
    EXAM_FIELDS,
    MAPPABLE_FIELDS,
    REQUIRED_EXAM_FIELDS,
    WIDE_EVENT_FIELDS,
)
from ingest.feeds.synonyms import VALUE_WORDS, fields_named, is_extract_time_name, normalise

FORMAT_SAMPLE = 500  # values of a column a format is tried on
SURE_SHARE = 0.95  # a column is of a format when this share of its values parse
MAX_WORDS = 40  # a mappable column with more distinct words is probably not a code

DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%d%H%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
)
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
)
_US = {"%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"}

_VOCAB = {
    "priority": contract.PRIORITIES,
    "patient_source_setting": contract.PATIENT_SOURCE_SETTINGS,
    "activity_category": contract.ACTIVITY_CATEGORIES,
    "sex": contract.SEXES,
    "status": contract.STATUSES,
    "event": contract.EVENTS,
    "modality": contract.MODALITIES,
    "state": contract.SLOT_STATES,
    "actor_outsourced": ("true", "false"),
    "verified_outsourced": ("true", "false"),
}
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_NHS_SHAPE = re.compile(r"^\d{3} ?\d{3} ?\d{4}$")


@dataclass
class Draft:
    sample: str
    trust_code: Guess
    family: Guess
    files_exams: Guess
    extract_time: dict[str, Guess] = field(
        default_factory=dict
    )  # pattern, format, column, column_format
    encoding: Guess | None = None
    delimiter: Guess | None = None
    quotechar: str | None = None
    exam_sheet: Guess | None = None
    date_format: Guess | None = None
    datetime_format: Guess | None = None
    procedure_code_system: Guess | None = None
    columns: dict[str, Guess] = field(default_factory=dict)  # canonical field -> column name
    quirks: list[Guess] = field(default_factory=list)
    words: dict[str, Counter] = field(default_factory=dict)  # mappable field -> local words (rows)
    value_maps: dict[str, dict[str, Guess]] = field(default_factory=dict)
    unmatched_columns: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


# --- formats, columns, words -------------------------------------------------------------------


def _share_parsed(values: list[str], fmt: str) -> float:
    from ingest.readers.timestamps import parse_naive  # the readers' own strict parsing

    sample = values[:FORMAT_SAMPLE]
    if not sample:
        return 0.0
    _parsed, bad = parse_naive(pa.array(sample, pa.string()), fmt)
    return 1.0 - float(bad.mean())


def _best_format(values: list[str], formats: tuple[str, ...]) -> tuple[str | None, float, bool]:
    """(format, share parsed, ambiguous day/month order) of the candidate parsing most values."""
    scores = [(f, _share_parsed(values, f)) for f in formats]
    fmt, share = max(scores, key=lambda s: (s[1], s[0] not in _US))
    if share < SURE_SHARE:
        return None, share, False
    ambiguous = any(s >= SURE_SHARE and (f in _US) != (fmt in _US) for f, s in scores)
    return fmt, share, ambiguous


def _spec_format(
    columns: dict[str, tuple[str, float, bool]], table: SampleTable, what: str
) -> Guess | None:
    if not columns:
        return None
    weight = Counter()
    for c, (fmt, _share, _amb) in columns.items():
        weight[fmt] += len(table.values[c])
    fmt = weight.most_common(1)[0][0]
    same = [c for c, (f, _s, _a) in columns.items() if f == fmt]
    other = sorted(set(columns) - set(same))
    note = f"sure: parses {SURE_SHARE:.0%}+ of the values of {len(same)} {what} column(s)"
    if any(columns[c][2] for c in same):
        note = (
            f"likely: parses {len(same)} {what} column(s) but day and month are both 12 or "
            "less in every value: UK order assumed, ask the trust"
        )
    if other:
        note += f"; column(s) {other} use another format (one format per feed: ask the trust)"
    return Guess(fmt, note)


def _local_codes_guess(codes: Counter, seeds_dir: Path | None) -> tuple[Guess, Guess | None]:
    catalogue: set[str] = set()
    path = (seeds_dir or Path(__file__).resolve().parents[2] / "seeds") / "procedures.csv"
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as f:
            catalogue = {r["nicip_code"] for r in csv.DictReader(f)}
    if not codes:
        return Guess("nicip", "guess: no procedure codes in the sample"), None
    distinct = list(codes)
    exact = sum(c in catalogue for c in distinct) / len(distinct)
    upper = sum(c.upper() in catalogue for c in distinct) / len(distinct)
    if exact >= 0.8:
        return Guess(
            "nicip", f"likely: {exact:.0%} of the codes are NICIP codes of seeds/procedures.csv"
        ), None
    if upper >= 0.8:
        return (
            Guess("nicip", f"likely: {upper:.0%} of the codes are NICIP codes in lower case"),
            Guess("uppercase_codes", "likely: codes sent in lower case"),
        )
    lower = (
        Guess(
            "uppercase_codes",
            "guess: codes sent in lower case; the code map holds them in upper case",
        )
        if all(c == c.lower() for c in distinct)
        else None
    )
    examples = ", ".join(sorted(distinct)[:3])
    return Guess(
        "local",
        f"likely: only {exact:.0%} of the codes are NICIP (e.g. {examples}): map "
        "them in seeds/local_procedure_codes.csv",
    ), lower


def _word_guesses(field_name: str, words: Counter) -> dict[str, Guess]:
    vocab = set(_VOCAB.get(field_name, ()))
    common = VALUE_WORDS.get(field_name, {})
    out = {}
    for w in sorted(words):
        if w in vocab:
            out[w] = Guess(w, "sure: already the canonical value")
        elif w.lower() in vocab:
            out[w] = Guess(w.lower(), "likely: the canonical value in other case")
        elif normalise(w) in common and common[normalise(w)] in vocab:
            out[w] = Guess(common[normalise(w)], "likely: a common spelling")
    return out


def _assign_columns(
    table: SampleTable, family: str, ts_cols: dict, date_cols: dict
) -> tuple[dict, list[str]]:
    allowed = set(EXAM_FIELDS) | (
        set(EVENT_LOG_FIELDS) if family == "event_csv" else set(WIDE_EVENT_FIELDS)
    )
    if family == "event_csv":
        allowed -= {"verified_outsourced"}
    cols: dict[str, Guess] = {}
    for c in table.header:
        for f in fields_named(c):
            if f in allowed and f not in cols:
                cols[f] = Guess(c, "likely: a known name of the field")
                break
    taken = {g.value for g in cols.values()}
    free = [c for c in table.header if c not in taken and not is_extract_time_name(c)]
    # by content: NHS numbers, postcodes, a birth date column
    for c in list(free):
        vals = table.values[c][:FORMAT_SAMPLE]
        if not vals:
            continue
        if "nhs_number" not in cols and np.mean([bool(_NHS_SHAPE.match(v)) for v in vals]) >= 0.9:
            valid = nhs.valid_mask(pa.array([v.replace(" ", "") for v in vals])).mean()
            if valid >= 0.8:
                cols["nhs_number"] = Guess(
                    c, f"likely: {valid:.0%} of the values are valid NHS numbers"
                )
                free.remove(c)
                continue
        if (
            "postcode" not in cols
            and np.mean([bool(_POSTCODE.match(v.upper())) for v in vals]) >= 0.9
        ):
            cols["postcode"] = Guess(c, "likely: the values are shaped as UK postcodes")
            free.remove(c)
            continue
        if "birth_date" not in cols and c in date_cols:
            years = [int(y) for y in re.findall(r"(?:19|20)\d\d", " ".join(vals[:100]))]
            if years and np.median(years) < 2010:
                cols["birth_date"] = Guess(c, "guess: a date column of past years")
                free.remove(c)
    # unnamed timestamp columns, in the order of their median time = the usual workflow order
    if family == "wide_csv" or family == "excel":
        stamps = [c for c in free if c in ts_cols]
        # the fields most extracts carry first; then placed in workflow order
        chosen = [f for f in _TIMESTAMP_PRIORITY if f not in cols][: len(stamps)]
        workflow = [f for f in WIDE_EVENT_FIELDS if f in chosen]
        medians = sorted(stamps, key=lambda c: _median_time(table, c, ts_cols[c]))
        for c, f in zip(medians, workflow):
            cols[f] = Guess(
                c,
                "guess: a timestamp column placed by the order of its median time in "
                "the usual workflow; check it",
            )
            free.remove(c)
    elif family == "event_csv" and "event_at" not in cols:
        stamps = sorted((c for c in free if c in ts_cols), key=lambda c: -len(table.values[c]))
        if stamps:
            cols["event_at"] = Guess(stamps[0], "guess: the timestamp column with the most values")
            free.remove(stamps[0])
    order = {c: i for i, c in enumerate(table.header)}
    cols = dict(sorted(cols.items(), key=lambda kv: order.get(kv[1].value, 0)))
    return cols, [c for c in free if not is_extract_time_name(c)]


_TIMESTAMP_PRIORITY = (
    "requested_at",
    "exam_completed_at",
    "report_verified_at",
    "booked_at",
    "appointment_at",
    "request_received_at",
    "exam_started_at",
    "arrived_at",
    "vetted_at",
    "reported_prelim_at",
    "cancelled_at",
    "did_not_attend_at",
    "addendum_at",
)


def _median_time(table: SampleTable, column: str, fmt: tuple | None) -> str:
    """The column's median time as sortable text (a workbook's cells are ISO text already)."""
    values = table.values[column]
    if fmt is not None:
        from ingest.readers.timestamps import parse_naive

        parsed = parse_naive(pa.array(values[:FORMAT_SAMPLE], pa.string()), fmt[0])[0]
        values = [d.isoformat() for d in parsed.to_pylist() if d is not None]
    values = sorted(values)
    return values[len(values) // 2] if values else ""


def _family_of_text(table: SampleTable, ts_cols: dict) -> Guess:
    named = {f for c in table.header for f in fields_named(c)}
    acc = next((c for c in table.header if "accession" in fields_named(c)), None)
    if {"event", "event_at"} <= named or {"event_id", "event"} <= named:
        return Guess("event_csv", "likely: event and event-time columns, one row per status change")
    if len(ts_cols) >= 3:
        return Guess("wide_csv", f"likely: one row per exam with {len(ts_cols)} timestamp columns")
    if acc and table.repeats.get(acc):
        return Guess("event_csv", "guess: accessions repeat and there are few timestamp columns")
    return Guess("wide_csv", "guess: neither event columns nor repeated accessions")


# --- the families ---------------------------------------------------------------------------------


def draft_spec(sample: Path, trust: str | None = None, seeds_dir: Path | None = None) -> Draft:
    """The drafted spec of a sample; DraftError names the sample and what to do."""
    try:
        return _draft_spec(Path(sample), trust, seeds_dir)
    except DraftError as e:
        message = str(e)
        raise DraftError(
            message if message.startswith(str(sample)) else f"{sample}: {message}"
        ) from None


def _draft_spec(sample: Path, trust: str | None, seeds_dir: Path | None) -> Draft:
    sample = Path(sample)
    try:
        data = sample.read_bytes()
    except OSError as e:
        raise DraftError(f"{sample}: cannot be read ({e.strerror})") from None
    if not data.strip():
        raise DraftError(f"{sample}: the file is empty; ask the trust for a sample with rows")
    stamp = name_timestamp(sample.name)
    if trust:
        trust_guess = Guess(trust.upper(), "given (--trust)")
    else:
        m = re.match(r"([A-Z][A-Z0-9]{2,4})(?=[_\- ])", sample.name)
        if not m:
            raise DraftError("no trust code in the file name; give it with --trust ODS")
        trust_guess = Guess(
            m.group(1), "guess: the start of the file name; set the trust's ODS code"
        )
    glob = Guess(
        stamp["glob"] if stamp else sample.name,
        "likely: the sample's name with its timestamp as *"
        if stamp
        else "TODO: the name holds no timestamp; put * where the names of deliveries differ",
    )
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if data.startswith(b"PK\x03\x04"):
        draft = Draft(
            str(sample), trust_guess, Guess("excel", "sure: an .xlsx workbook (zip)"), glob
        )
        table, sheet, sheets = excel_table(data)
        draft.exam_sheet = Guess(
            sheet, f"likely: the sheet with an accession column (sheets: {sheets})"
        )
    elif body.lstrip().startswith(b"MSH"):
        draft = Draft(
            str(sample),
            trust_guess,
            Guess("hl7v2", "sure: the file starts with an MSH segment"),
            glob,
        )
        draft.encoding = detect_encoding(data)
        table = None
    else:
        encoding = detect_encoding(data)
        text = data.decode(
            "utf-8-sig" if encoding.value == "utf-8-sig" else str(encoding.value), errors="replace"
        )
        delimiter, quotechar, note = sniff(text)
        table, trailing = csv_table(text, delimiter, quotechar)
        draft = Draft(
            str(sample),
            trust_guess,
            Guess("wide_csv", ""),
            glob,
            encoding=encoding,
            delimiter=Guess(delimiter, note),
            quotechar=quotechar,
        )
        if trailing:
            draft.quirks.append(
                Guess("trailing_delimiter", "sure: every line ends with the delimiter")
            )
    _extract_from_name(draft, stamp)
    if table is None:
        _finish_hl7(draft, sample, data, seeds_dir)
    else:
        _finish_table(draft, table, seeds_dir)
    _todo(draft, stamp)
    return draft


def _extract_from_name(draft: Draft, stamp: dict | None) -> None:
    if stamp is None:
        return
    when = stamp["when"]
    draft.extract_time["pattern"] = Guess(
        stamp["pattern"], f"likely: the name holds {stamp['text']!r}"
    )
    draft.extract_time["format"] = Guess(
        stamp["format"],
        f"likely: read as {when:%Y-%m-%d %H:%M}"
        + ("" if stamp["has_time"] else " (a date only: 00:00)"),
    )


def _finish_hl7(draft: Draft, sample: Path, data: bytes, seeds_dir: Path | None) -> None:
    enc = "utf-8" if draft.encoding.value == "utf-8-sig" else draft.encoding.value
    try:
        words = hl7_words(sample, data, enc, str(draft.trust_code.value))
    except Exception as e:  # noqa: BLE001 - the reader's quarantine, or any batch it cannot parse: say so
        raise DraftError(
            f"{sample}: the HL7 reader cannot read the batch ({getattr(e, 'message', e)})"
        ) from None
    if b"^NHS^" in data:
        draft.quirks.append(
            Guess(
                "hl7_repeat_nhs_in_pid3",
                "likely: PID-3 repeats an identifier with assigning authority NHS",
            )
        )
    codes = words.pop("procedure_code")
    draft.procedure_code_system, upper = _local_codes_guess(codes, seeds_dir)
    if upper:
        draft.quirks.append(upper)
    _words(draft, words)


def _finish_table(draft: Draft, table: SampleTable, seeds_dir: Path | None) -> None:
    ts_cols, date_cols = {}, {}
    for c in table.header:
        kind = table.typed.get(c)
        if kind in ("datetime", "serial"):
            ts_cols[c] = None
            continue
        if kind == "date":
            date_cols[c] = None
            continue
        vals = table.values[c]
        if not vals or not any(ch.isdigit() for ch in vals[0]):
            continue
        fmt, share, amb = _best_format(vals, DATETIME_FORMATS)
        if fmt:
            ts_cols[c] = (fmt, share, amb)
            continue
        fmt, share, amb = _best_format(vals, DATE_FORMATS)
        if fmt:
            date_cols[c] = (fmt, share, amb)
    if draft.family.value != "excel":
        draft.family = _family_of_text(table, ts_cols)
    if any(k == "serial" for k in table.typed.values()):
        draft.quirks.append(
            Guess("excel_serial_dates", "likely: date columns hold Excel serial day numbers")
        )
    texts_ts = {c: v for c, v in ts_cols.items() if v}
    texts_dates = {c: v for c, v in date_cols.items() if v}
    draft.datetime_format = _spec_format(texts_ts, table, "timestamp")
    draft.date_format = _spec_format(texts_dates, table, "date")
    draft.columns, draft.unmatched_columns = _assign_columns(
        table, str(draft.family.value), ts_cols, date_cols
    )
    extract = next((c for c in table.header if is_extract_time_name(c) and c in ts_cols), None)
    if extract:
        distinct = len(set(table.values[extract]))
        draft.extract_time["column"] = Guess(
            extract,
            f"likely: an extract-time column ({distinct} "
            "distinct value(s)); it wins over the file name",
        )
        fmt = ts_cols[extract]
        if fmt and draft.datetime_format and fmt[0] != draft.datetime_format.value:
            draft.extract_time["column_format"] = Guess(fmt[0], "sure: parses the column's values")
    nhs_col = draft.columns.get("nhs_number")
    if nhs_col and any(" " in v for v in table.values[nhs_col.value][:FORMAT_SAMPLE]):
        draft.quirks.append(Guess("nhs_number_spaces", "sure: NHS numbers printed as NNN NNN NNNN"))
    words = {
        f: Counter(table.values[g.value]) for f, g in draft.columns.items() if f in MAPPABLE_FIELDS
    }
    code_col = draft.columns.get("procedure_code")
    codes = Counter(table.values[code_col.value]) if code_col else Counter()
    draft.procedure_code_system, upper = _local_codes_guess(codes, seeds_dir)
    if upper:
        draft.quirks.append(upper)
    _words(draft, words)


def _words(draft: Draft, words: dict[str, Counter]) -> None:
    for f, counts in words.items():
        if not counts:
            continue
        draft.words[f] = counts
        if len(counts) <= MAX_WORDS:
            draft.value_maps[f] = _word_guesses(f, counts)


def _todo(draft: Draft, stamp: dict | None) -> None:
    t = draft.todo
    fam = draft.family.value
    t.append(
        "Set 'mode': delta (each delivery holds what changed since the last) or snapshot "
        "(every exam with activity in the last snapshot_days days; a snapshot is authoritative "
        "for the exams it carries). Ask the trust."
    )
    if not draft.extract_time:
        t.append(
            "No extract time found: give extract_time.pattern/format (a timestamp in the file "
            "name) or extract_time.column (a column every row carries)."
        )
    elif stamp and not stamp["has_time"] and "column" not in draft.extract_time:
        t.append(
            "The file name holds only a date, so the extract time reads as 00:00 and later events "
            "are flagged event_after_extract: ask the trust for the time in the name or an "
            "extract-time column (extract_time.column)."
        )
    if fam != "hl7v2":
        required = REQUIRED_EXAM_FIELDS + (
            ("event_id", "event", "event_at") if fam == "event_csv" else ()
        )
        missing = [f for f in required if f not in draft.columns]
        if missing:
            t.append(
                f"Map the required field(s) {missing} in 'columns' (the spec is not valid without them)."
            )
        if draft.unmatched_columns:
            t.append(
                f"Columns not matched to a canonical field: {draft.unmatched_columns}: map any that "
                "carries one (docs/feed-spec.md lists the fields), leave the rest unread."
            )
    for f, counts in draft.words.items():
        known = draft.value_maps.get(f, {})
        open_words = [w for w in counts if w not in known]
        if len(counts) > MAX_WORDS:
            t.append(
                f"value_maps.{f}: the column has {len(counts)} distinct words: is it the right column?"
            )
        elif open_words:
            t.append(
                f"value_maps.{f}: map {len(open_words)} word(s) found in the sample (listed there)."
            )
    if draft.procedure_code_system and draft.procedure_code_system.value == "local":
        t.append(
            f"Add the trust's local procedure codes to seeds/local_procedure_codes.csv "
            f"(trust_code {draft.trust_code.value}, local_code, nicip_code)."
        )
    t.append(
        "Add the trust to seeds/trusts.csv and its sites to seeds/sites.csv (docs/onboarding.md)."
    )
    t.append("Check every line marked guess, then run `wmin feeds check <this file> <the sample>`.")
