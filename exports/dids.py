"""DIDS submission files: the ONLY export that carries patient identifiers.

`build_dids` reads the restricted database (relation `dids_records`, one row per exam, opened
read-only), writes one CSV per trust in the DIDS layout of `seeds/dids_layout_<v1|v2>.csv` (the
layout is data: item order, names, source columns and formats can be corrected without code),
and beside each file a validation report: `dids_<ODS>_<YYYY-MM>_validation.csv` (one row per
finding: data row, accession, site, rule, severity, item, message - no other identifiers) and a
short `.txt` summary. A file with any `reject` finding would be rejected by NHS England; saying
so with a non-zero exit code is the CLI's job.

The files go to `<exports>/dids/<YYYY-MM>/`, apart from the board pack's folder (the app offers
that one for download): owner-only files (0600) in owner-only folders (0700), see
exports/private_files.py.

The DIDS CSV is written exactly as the collection expects: no formula-injection prefix is added
to it (it is a submission file, not a spreadsheet), but the validation report is neutralised.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from exports.dids_checks import LONDON, REJECT, WARNING, Finding, check_record, format_problem, text
from exports.pack_data import month_end, parse_month
from exports.private_files import private_dir, write_private
from exports.safe_cells import neutralise

IDENTIFIERS_NOTICE = (
    "DIDS files carry patient identifiers (NHS number, birth date, postcode): this "
    "is the only export that does. Keep them inside the trust and send them only "
    "through the DIDS submission route."
)
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
LAYOUT_COLUMNS = ["position", "item_name", "source_column", "format", "mandatory", "notes"]
SOURCE_COLUMNS = [
    "trust_code",
    "site_code",
    "accession",
    "nhs_number",
    "nhs_number_status",
    "birth_date",
    "ethnicity",
    "sex",
    "postcode",
    "gp_practice_code",
    "patient_source_setting",
    "referrer_code",
    "referring_org_code",
    "request_date",
    "request_received_date",
    "test_date",
    "nicip_code",
    "snomed_ct_id",
    "report_issue_date",
    "requested_at",
    "test_started_at",
    "report_verified_at",
    "clock_start_date",
    "activity_category",
]
VALIDATION_COLUMNS = [
    "row",
    "line",
    "accession",
    "site_code",
    "rule",
    "severity",
    "item",
    "message",
]


@dataclass(frozen=True)
class LayoutItem:
    position: int
    item_name: str
    source_column: str
    format: str
    mandatory: str
    notes: str


@dataclass
class DidsFileResult:
    """One trust-month DIDS file and its validation. `carries_identifiers` is always True."""

    trust_code: str
    month: str
    layout: str
    path: Path
    validation_csv: Path
    summary_txt: Path
    rows: int
    findings: list[Finding] = field(default_factory=list)
    carries_identifiers: bool = True
    notice: str = IDENTIFIERS_NOTICE

    @property
    def rejections(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == REJECT]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def would_be_rejected(self) -> bool:
        return bool(self.rejections)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({f.row for f in self.rejections})

    @property
    def rules_failed(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.rule] = out.get(f.rule, 0) + 1
        return dict(sorted(out.items()))

    def __str__(self) -> str:
        verdict = (
            "WOULD BE REJECTED" if self.would_be_rejected else "passes the pre-submission checks"
        )
        head = (
            f"DIDS {self.layout} {self.trust_code} {self.month}: {self.rows} exams - {verdict} "
            f"({len(self.rejections)} rejection(s) on {len(self.rejected_rows)} row(s), "
            f"{len(self.warnings)} warning(s)). CARRIES PATIENT IDENTIFIERS."
        )
        lines = [head, f"  {self.path}", f"  {self.validation_csv}"]
        if self.findings:
            lines.append("  rules: " + ", ".join(f"{k} x{v}" for k, v in self.rules_failed.items()))
        return "\n".join(lines)

    def __rich__(self) -> str:
        from rich.markup import escape

        return escape(str(self))


# --------------------------------------------------------------------------- layout
def load_layout(layout: str | Path = "v1") -> tuple[str, list[LayoutItem]]:
    """('v1' | 'v2' | file stem, items in position order) from the seed file or a given path."""
    path = Path(layout) if str(layout).endswith(".csv") else SEEDS_DIR / f"dids_layout_{layout}.csv"
    if not path.exists():
        raise ValueError(f"unknown DIDS layout {layout!r}: {path} not found (use v1 or v2)")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = set(LAYOUT_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
        items = [
            LayoutItem(
                int(r["position"]),
                r["item_name"].strip(),
                r["source_column"].strip(),
                r["format"].strip(),
                r["mandatory"].strip(),
                (r.get("notes") or "").strip(),
            )
            for r in reader
        ]
    items.sort(key=lambda i: i.position)
    if [i.position for i in items] != list(range(1, len(items) + 1)):
        raise ValueError(f"{path.name}: positions must run 1..{len(items)} without gaps")
    unknown = [i.source_column for i in items if i.source_column not in SOURCE_COLUMNS]
    if unknown:
        raise ValueError(f"{path.name}: source columns not in dids_records: {unknown}")
    name = str(layout) if not str(layout).endswith(".csv") else path.stem
    return name, items


def format_value(value: object, fmt: str) -> str:
    """A source value in the layout's format (dates CCYY-MM-DD; timestamps with the offset shown
    on the clock in Europe/London, e.g. 2026-05-31T23:30:00+01:00)."""
    if value is None:
        return ""
    if fmt == "timestamp":
        if isinstance(value, datetime):
            v = value.astimezone(LONDON) if value.tzinfo else value.replace(tzinfo=LONDON)
            return v.replace(microsecond=0).isoformat()
        return text(value)
    if fmt == "date":
        if isinstance(value, datetime):
            return (value.astimezone(LONDON) if value.tzinfo else value).date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return text(value)
    if fmt.startswith("map:"):
        mapping = dict(kv.split("=", 1) for kv in fmt[4:].split("|"))
        return mapping.get(text(value), text(value))
    return text(value).replace(" ", "") if fmt == "n10" else text(value)


# --------------------------------------------------------------------------- build
def _records(restricted_db: Path, m: date, trust: str | None) -> list[dict]:
    con = duckdb.connect(str(restricted_db), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        have = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        if "dids_records" not in have:
            raise ValueError(
                f"{restricted_db} has no relation dids_records (run `wmin build` first)"
            )
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_name = 'dids_records'"
            ).fetchall()
        }
        select = ", ".join(c if c in cols else f"null as {c}" for c in SOURCE_COLUMNS)
        # test date: the feed's date, else the local date of the procedure start
        test_date = (
            "coalesce(test_date, cast(timezone('Europe/London', test_started_at) as date))"
            if "test_started_at" in cols
            else "test_date"
        )
        sql = (
            f"select {select} from dids_records where {test_date} between ? and ?"
            + (" and trust_code = ?" if trust else "")
            + f" order by trust_code, {test_date}, site_code, accession"
        )
        params: list = [m, month_end(m)] + ([trust] if trust else [])
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


# a rule named on a v1 date column is shown on the v2 timestamp item that replaces it
_COLUMN_ALIASES = {
    "test_date": "test_started_at",
    "request_date": "requested_at",
    "report_issue_date": "report_verified_at",
}


def validate(records: list[dict], items: list[LayoutItem], submission_date: date) -> list[Finding]:
    """Every finding for the rows of one file (rows numbered from 1 in file order)."""
    by_column = {it.source_column: it.item_name for it in items}

    def item_name(column: str) -> str:
        return by_column.get(column) or by_column.get(_COLUMN_ALIASES.get(column, ""), column)

    findings: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(records, start=1):
        acc, site = text(rec.get("accession")), text(rec.get("site_code"))
        row = [(r, s, item_name(c), msg) for r, s, c, msg in check_record(rec, submission_date)]
        covered = {c for _, _, c, _ in row}
        for it in items:
            if it.item_name in covered:
                continue  # a specific rule already speaks for this item
            value = format_value(rec.get(it.source_column), it.format)
            if value == "" and it.mandatory == "M":
                row.append(
                    ("MANDATORY_MISSING", REJECT, it.item_name, f"{it.item_name} is mandatory")
                )
            problem = format_problem(it.format, value)
            if problem:
                row.append(("FORMAT", REJECT, it.item_name, f"{it.item_name}: {problem}"))
        key = (acc.upper(), site.upper())
        if acc and site:
            if key in seen:
                row.append(
                    (
                        "DUPLICATE_ACCESSION",
                        REJECT,
                        item_name("accession"),
                        f"accession + site repeats row {seen[key]}",
                    )
                )
            else:
                seen[key] = i
        findings += [Finding(i, acc, site, r, s, item, msg) for r, s, item, msg in row]
    return findings


def _write_atomic(path: Path, rows: list[list[str]]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows(rows)

    write_private(path, write)


def build_dids(
    restricted_db: Path,
    month: str,
    out_dir: Path,
    trust: str | None = None,
    layout: str = "v1",
    submission_date: date | None = None,
) -> list[DidsFileResult]:
    """Write the DIDS file(s) of `month` (one per trust, or only `trust`) with their validation
    reports under `<out_dir>/dids/<YYYY-MM>/`, readable by their owner only; return one result
    per file.

    THIS EXPORT CARRIES PATIENT IDENTIFIERS (it is the only one). Exams are those whose test date
    (local) falls in the month. `submission_date` (default today) drives the "test date not after
    submission" and 3/6-month cut-off checks."""
    m = parse_month(month)
    label = f"{m:%Y-%m}"
    layout_name, items = load_layout(layout)
    restricted_db = Path(restricted_db)
    if not restricted_db.exists():
        raise FileNotFoundError(f"restricted database not found: {restricted_db}")
    submission_date = submission_date or datetime.now(LONDON).date()
    records = _records(restricted_db, m, trust)
    if not records:  # a month outside the data or a trust code mistyped: no empty submission
        raise ValueError(
            f"no exams with a test date in {label}"
            + (f" at trust {trust}" if trust else "")
            + f" in {restricted_db}: nothing written; check --month and --trust"
        )
    by_trust: dict[str, list[dict]] = {}
    for r in records:
        by_trust.setdefault(text(r["trust_code"]), []).append(r)
    folder = private_dir(private_dir(Path(out_dir) / "dids") / label)
    suffix = "" if layout_name == "v1" else f"_{layout_name}"
    results = []
    for code, recs in sorted(by_trust.items()):
        stem = f"dids_{code}_{label}{suffix}"
        path, vpath, tpath = (
            folder / f"{stem}.csv",
            folder / f"{stem}_validation.csv",
            folder / f"{stem}_validation.txt",
        )
        body = [[it.item_name for it in items]]
        body += [[format_value(r.get(it.source_column), it.format) for it in items] for r in recs]
        _write_atomic(path, body)
        findings = validate(recs, items, submission_date)
        _write_atomic(
            vpath,
            [VALIDATION_COLUMNS]
            + [
                [f.row, f.row + 1]
                + [
                    neutralise(x)
                    for x in (f.accession, f.site_code, f.rule, f.severity, f.item, f.message)
                ]
                for f in findings
            ],
        )
        result = DidsFileResult(code, label, layout_name, path, vpath, tpath, len(recs), findings)
        summary = _summary(result, submission_date)
        write_private(tpath, lambda tmp, text=summary: tmp.write_text(text, encoding="utf-8"))
        results.append(result)
    return results


def _summary(r: DidsFileResult, submission_date: date) -> str:
    lines = [
        f"DIDS {r.layout} submission file for {r.trust_code}, {r.month}",
        f"File: {r.path.name} ({r.rows} exams, header + one row per exam)",
        f"Checked against submission date {submission_date.isoformat()}",
        "",
        "NOTICE: " + IDENTIFIERS_NOTICE,
        "",
        (
            "RESULT: WOULD BE REJECTED"
            if r.would_be_rejected
            else "RESULT: passes the pre-submission checks"
        ),
        f"Rejections: {len(r.rejections)} on {len(r.rejected_rows)} row(s); warnings: {len(r.warnings)}",
    ]
    if r.rejected_rows:
        lines.append(
            "Rejected rows: "
            + ", ".join(map(str, r.rejected_rows[:50]))
            + (" ..." if len(r.rejected_rows) > 50 else "")
        )
    if r.findings:
        lines += ["", "Findings by rule:"]
        sev = {f.rule: f.severity for f in r.findings}
        lines += [f"  {rule:<28} {sev[rule]:<8} {n}" for rule, n in r.rules_failed.items()]
    lines += ["", f"Details: {r.validation_csv.name} (rows numbered from 1; line = row + 1)."]
    return "\n".join(lines) + "\n"
