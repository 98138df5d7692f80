"""`wmin feeds check FEED.yml FILE`: try a trust's feed spec on a sample file (onboarding tool).

Says what a new trust's spec still lacks: file columns it maps to nothing, every local word
with no value mapping (by field, with its rows), local procedure codes missing from the code
map, sites missing from the sites seed, and where the extract time came from. The report is
plain text, so it reads the same in a terminal and in a file.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd

from ingest.feeds.spec import FeedSpec, SpecError, load_spec
from ingest.readers import read_file
from ingest.readers.results import QuarantineError
from ingest.readers.timestamps import extract_time
from ingest.readers.values import unmapped_words

EXIT_OK, EXIT_ERROR, EXIT_UNMAPPED = 0, 1, 2


@dataclass
class FeedCheckReport:
    spec_path: str
    file: str
    ok: bool
    error: str | None = None  # spec error or quarantine reason + message
    quarantine_reason: str | None = None
    family: str | None = None
    content: str | None = None
    extract_at: str | None = None
    extract_source: str | None = None
    column_map: dict[str, str | None] = field(
        default_factory=dict
    )  # canonical -> column found / None
    unmapped_columns: list[str] = field(
        default_factory=list
    )  # file columns the spec maps to nothing
    parse_rates: dict[str, float | None] = field(default_factory=dict)  # field -> share parsed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected: list[dict] = field(default_factory=list)  # first N: line, field, reason, message, raw
    dq_flags: dict[str, int] = field(default_factory=dict)
    unmapped_values: list[tuple[str, str, int]] = field(default_factory=list)  # field, word, rows
    rows_loaded_unmapped: int = 0  # loaded rows flagged unmapped_value
    procedure_code_system: str | None = None
    unknown_local_codes: list[tuple[str, int]] = field(default_factory=list)  # code, rows
    unknown_sites: list[tuple[str, int]] = field(default_factory=list)  # site code, rows
    seeds_dir: str | None = None
    seeds_problem: str | None = None  # a seed file that could not be read: its checks were skipped
    trust_code: str | None = None

    def exit_code(self, accept_unmapped: bool = False) -> int:
        """1 when the file cannot be read with the spec; 2 when rows would load with unmapped
        values (unless accepted); else 0."""
        if not self.ok:
            return EXIT_ERROR
        if self.rows_loaded_unmapped and not accept_unmapped:
            return EXIT_UNMAPPED
        return EXIT_OK


def check_feed(
    spec_path: Path, file: Path, seeds_dir: Path | None = None, max_rejects: int = 20
) -> FeedCheckReport:
    rep = FeedCheckReport(str(spec_path), str(file), ok=False)
    try:
        spec = load_spec(Path(spec_path))
    except SpecError as e:
        rep.error = str(e)
        return rep
    rep.family, rep.trust_code = spec.family, spec.trust_code
    rep.procedure_code_system = spec.procedure_code_system
    file = Path(file)
    content = "slots" if spec.files.slots and fnmatch(file.name, spec.files.slots) else "exams"
    rep.content = content
    name_at = None
    try:
        name_at = extract_time(spec, file.name)
    except QuarantineError as e:
        rep.extract_source = f"not in the file name: {e.message}"
    if not file.is_file():
        rep.error = f"{file}: no such file"
        return rep
    local_codes = None
    if seeds_dir is not None and spec.procedure_code_system == "local":
        try:
            local_codes = _local_codes(Path(seeds_dir), spec.trust_code)
        except (OSError, KeyError, csv.Error) as e:
            rep.seeds_problem = (
                f"{Path(seeds_dir) / 'local_procedure_codes.csv'} cannot be read "
                f"({type(e).__name__}: {e})"
            )
    try:
        with unmapped_words() as words:
            res = read_file(file, spec, content, extract_at=name_at, local_codes=local_codes)
    except QuarantineError as q:
        rep.error, rep.quarantine_reason = q.message, q.reason
        return rep
    except Exception as e:  # noqa: BLE001 -never a traceback for the onboarding user
        rep.error = f"the reader failed on this file ({type(e).__name__}: {e})"
        return rep
    rep.ok = True
    _describe_read(rep, res, words, file, spec, max_rejects)
    if seeds_dir is not None:
        _check_seeds(rep, res, seeds_dir, spec.trust_code, local_codes)
    return rep


def _describe_read(
    rep: FeedCheckReport,
    res,
    words: dict[tuple[str, str], int],
    file: Path,
    spec: FeedSpec,
    max_rejects: int,
) -> None:
    """What the read found: extract time, columns, parse rates, counts, the first rejected
    rows, dq flags and the words with no mapping."""
    content = rep.content
    if res.extract_at is not None:
        rep.extract_at = f"{res.extract_at:%Y-%m-%d %H:%M} UTC"
        rep.extract_source = res.extract_source
    rep.column_map = dict(res.column_map)
    rep.unmapped_columns = _unmapped_columns(file, spec, content)
    rep.parse_rates = {f: (ok / tot if tot else None) for f, (ok, tot) in res.field_parse.items()}
    rep.rows_read, rep.rows_loaded, rep.rows_rejected = (
        res.rows_read,
        res.rows_loaded,
        res.rows_rejected,
    )
    for r in res.rejected.head(max_rejects).itertuples(index=False):
        rep.rejected.append(
            {
                "line": int(r.line),
                "field": None if pd.isna(r.field) else r.field,
                "reason": r.reason_code,
                "message": r.message,
                "raw": str(r.raw_text)[:200],
            }
        )
    flags: Counter = Counter()
    for frame in (res.exam_records, res.exam_events):
        if "dq_flags" in frame.columns:
            for v in frame["dq_flags"].dropna():
                flags.update(str(v).split(","))
    rep.dq_flags = dict(flags)
    rep.unmapped_values = sorted(
        ((f, w, k) for (f, w), k in words.items()), key=lambda t: (t[0], -t[2], t[1])
    )
    rep.rows_loaded_unmapped = _rows_flagged(res, "unmapped_value")


def _check_seeds(
    rep: FeedCheckReport, res, seeds_dir: Path | str, trust: str, local_codes: set[str] | None
) -> None:
    """Local procedure codes and sites of the file that the seeds do not know."""
    rep.seeds_dir = str(seeds_dir)
    if local_codes is not None:
        rep.unknown_local_codes = _counts(
            res.exam_records.get("local_procedure_code"), keep=lambda c: c not in local_codes
        )
    try:
        sites = _sites(Path(seeds_dir), trust)
    except (OSError, KeyError, csv.Error) as e:
        rep.seeds_problem = (
            f"{Path(seeds_dir) / 'sites.csv'} cannot be read ({type(e).__name__}: {e})"
        )
        return
    site_values = pd.concat(
        [
            res.exam_records.get("site_code", pd.Series(dtype=object)),
            res.capacity_slots.get("site_code", pd.Series(dtype=object)),
        ]
    )
    rep.unknown_sites = _counts(site_values, keep=lambda c: c not in sites)


def _rows_flagged(res, flag: str) -> int:
    """Loaded rows carrying `flag` on their exam record or their event (by source line)."""
    lines: set[int] = set()
    for frame in (res.exam_records, res.exam_events):
        if "dq_flags" not in frame.columns or frame.empty:
            continue
        flags = frame["dq_flags"].astype(object).fillna("")
        hit = flags.map(lambda v: flag in v.split(",")).to_numpy(dtype=bool)
        lines.update(int(x) for x in frame["source_line"].to_numpy()[hit])
    return len(lines)


def _counts(values: pd.Series | None, keep) -> list[tuple[str, int]]:
    if values is None or not len(values):
        return []
    counts = Counter(str(v) for v in values.astype(object).dropna() if str(v).strip())
    return sorted(((c, k) for c, k in counts.items() if keep(c)), key=lambda t: (-t[1], t[0]))


def _local_codes(seeds_dir: Path, trust: str) -> set[str]:
    from ingest.loader import load_local_codes  # the loader's own reading of the code map

    return (load_local_codes(seeds_dir) or {}).get(trust, set())


def _sites(seeds_dir: Path, trust: str) -> set[str]:
    with (seeds_dir / "sites.csv").open(newline="", encoding="utf-8") as f:
        return {r["site_code"] for r in csv.DictReader(f) if r["trust_code"] == trust}


def _unmapped_columns(file: Path, spec: FeedSpec, content: str) -> list[str]:
    """The file's columns that the spec maps to no canonical field (HL7: none, it has segments)."""
    mapped = set(spec.slot_columns.values() if content == "slots" else spec.columns.values())
    if spec.extract_time.column:
        mapped.add(spec.extract_time.column)
    header = _header(file, spec, content)
    return [c for c in header if c and c not in mapped]


def _header(file: Path, spec: FeedSpec, content: str) -> list[str]:
    if spec.family == "hl7v2" and content == "exams":
        return []
    if spec.family == "excel":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(file))
        sheet = spec.slot_sheet if content == "slots" else spec.exam_sheet
        if sheet not in wb.sheet_names:
            return []
        rows = wb.get_sheet_by_name(sheet).to_python(nrows=1)
        return [str(v).strip() for v in rows[0]] if rows else []
    from ingest.readers._csv import _decode, _split_header  # the tokeniser's own header rules

    text, _bad = _decode(file.read_bytes(), spec, str(file))
    first = text.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    return _split_header(first, spec)


# --- the report as text -----------------------------------------------------------------------


def _table(headers: tuple[str, ...], rows: list[tuple], indent: str = "  ") -> list[str]:
    """Rows in aligned columns; the last column is never cut."""
    cells = [tuple(str(c) for c in headers)] + [
        tuple("" if c is None else str(c) for c in r) for r in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers) - 1)]
    out = []
    for r in cells:
        out.append(
            indent + "  ".join([c.ljust(w) for c, w in zip(r[:-1], widths)] + [r[-1]]).rstrip()
        )
    return out


def render(report: FeedCheckReport, accept_unmapped: bool = False) -> str:
    """The report as plain lines (wide lines are kept whole: no terminal width applies)."""
    lines = [f"Feed check: {report.file}", f"  spec: {report.spec_path}"]
    if not report.ok:
        head = f"QUARANTINE ({report.quarantine_reason})" if report.quarantine_reason else "ERROR"
        lines += [
            f"  {head}: {report.error}",
            "",
            f"Verdict: the file cannot be read with this spec (exit {EXIT_ERROR}).",
        ]
        return "\n".join(lines)
    lines += [
        f"  family {report.family}, {report.content} extract",
        f"  extract time: {report.extract_at or 'unknown'}"
        + (f", from {report.extract_source}" if report.extract_source else ""),
        (
            f"  rows: read {report.rows_read}, loaded {report.rows_loaded}, "
            f"rejected {report.rows_rejected}"
        ),
        "",
    ]
    lines += _columns_lines(report)
    lines += _values_lines(report)
    lines += _seed_lines(report)
    lines += _reject_and_flag_lines(report)
    lines += ["", _verdict(report, accept_unmapped)]
    return "\n".join(lines)


def _columns_lines(report: FeedCheckReport) -> list[str]:
    """The column map, the file's unmapped columns, and each field's parse rate."""
    lines = ["Columns (canonical field <- file column):"]
    lines += _table(
        ("field", "column", "in the file"),
        [(f, c or "", "yes" if c else "MISSING") for f, c in report.column_map.items()],
    )
    if report.unmapped_columns:
        lines += [
            "",
            (
                f"File columns the spec maps to nothing ({len(report.unmapped_columns)}): map "
                "each one that carries a canonical field in 'columns', or leave it unread:"
            ),
        ]
        lines += [f"  {c}" for c in report.unmapped_columns]
    elif report.family != "hl7v2" or report.content == "slots":
        lines += ["", "Every file column is mapped."]
    if report.parse_rates:
        lines += ["", "Parse rate (non-empty values that parsed):"]
        lines += _table(
            ("field", "parsed"),
            [(f, "-" if r is None else f"{r:.1%}") for f, r in report.parse_rates.items()],
        )
    return lines


def _values_lines(report: FeedCheckReport) -> list[str]:
    lines = [""]
    if report.unmapped_values:
        lines.append(
            "Values with no mapping in value_maps (loaded as sent and flagged "
            "unmapped_value): add each word to value_maps.<field>:"
        )
        lines += _table(("field", "local word", "rows"), report.unmapped_values)
        lines.append(f"  Loaded rows carrying an unmapped value: {report.rows_loaded_unmapped}")
    else:
        lines.append("Every mapped field's values have a mapping.")
    return lines


def _seed_lines(report: FeedCheckReport) -> list[str]:
    """Local procedure codes and sites missing from the seeds (when seeds were given)."""
    if report.seeds_problem:
        return ["", f"Seed checks skipped: {report.seeds_problem}"]
    if report.seeds_dir is None:
        return []
    lines = [""]
    if report.procedure_code_system == "local":
        if report.unknown_local_codes:
            lines.append(
                f"Local procedure codes not in {report.seeds_dir}/local_procedure_codes.csv "
                f"for {report.trust_code} (add a row: trust_code, local_code, nicip_code):"
            )
            lines += _table(("local code", "rows"), report.unknown_local_codes)
        else:
            lines.append("Every local procedure code is in the code map.")
    if report.unknown_sites:
        lines.append(
            f"Sites not in {report.seeds_dir}/sites.csv for {report.trust_code} (add a row "
            "per site):"
        )
        lines += _table(("site code", "rows"), report.unknown_sites)
    else:
        lines.append(f"Every site is in sites.csv for {report.trust_code}.")
    return lines


def _reject_and_flag_lines(report: FeedCheckReport) -> list[str]:
    lines = []
    if report.rejected:
        lines += ["", f"Rejected rows (first {len(report.rejected)} of {report.rows_rejected}):"]
        lines += _table(
            ("line", "reason", "field", "message"),
            [(r["line"], r["reason"], r["field"] or "", r["message"]) for r in report.rejected],
        )
    if report.dq_flags:
        lines += [
            "",
            "Data-quality flags (rows): "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.dq_flags.items())),
        ]
    return lines


def _verdict(report: FeedCheckReport, accept_unmapped: bool) -> str:
    if report.exit_code(accept_unmapped) == EXIT_UNMAPPED:
        return (
            f"Verdict: {report.rows_loaded_unmapped} row(s) would load with unmapped values "
            f"(exit {EXIT_UNMAPPED}); complete value_maps, or run again with --accept-unmapped."
        )
    if report.rows_loaded_unmapped:
        return (
            f"Verdict: readable; {report.rows_loaded_unmapped} row(s) with unmapped values "
            "accepted (--accept-unmapped)."
        )
    return "Verdict: the file reads with this spec."
