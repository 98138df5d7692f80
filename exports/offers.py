"""A trust's scheduling offers list (`wmin export offers --trust ODS`): its own waiting
patients who could be scanned sooner at another trust's site, with who they are.

Reads the restricted relation `scheduling_offer_list` (opened read-only; docs/offers.md says
how the offers are made), ONE trust's rows only, and writes under
`<exports>/offers/<as-of date>/`: `offers_<ODS>_<as-of>.xlsx` (the list and a Validation sheet),
the same list as `.csv`, and `_validation.txt`, the validation summary. The files carry patient
identifiers (NHS number, accession): owner-only files (0600) in owner-only folders (0700),
exports/private_files.py. Text cells are neutralised against formula injection.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import xlsxwriter

from exports.dids_checks import nhs_number_problem
from exports.private_files import private_dir, write_private
from exports.safe_cells import WORKBOOK_OPTIONS, neutralise, write_cell

LONDON = ZoneInfo("Europe/London")
RELATION = "scheduling_offer_list"
IDENTIFIERS_NOTICE = (
    "Offers lists carry patient identifiers (NHS number, accession): keep them inside the "
    "patient's own trust and share them only with its waiting-list team."
)
# (column of scheduling_offer_list, heading in the files)
COLUMNS: list[tuple[str, str]] = [
    ("nhs_number", "NHS number"),
    ("accession", "Accession"),
    ("dm01_test", "Test"),
    ("procedure_name", "Procedure"),
    ("priority", "Priority"),
    ("clock_start_date", "Clock start"),
    ("weeks_waited", "Weeks waited"),
    ("own_option", "Own option"),
    ("own_option_date", "Own option date"),
    ("postcode_district", "Postcode district"),
    ("offered_site_code", "Offered site"),
    ("offered_site_name", "Offered site name"),
    ("offered_slot_at", "Offered slot (local time)"),
    ("offered_slot_minutes", "Slot minutes"),
    ("procedure_minutes", "Procedure minutes"),
    ("weeks_saved", "Weeks saved"),
    ("distance_km", "Distance (km)"),
    ("is_allocated", "Allocated"),
    ("allocated_slot_at", "Allocated slot (local time)"),
]
LOCAL_TIME_COLUMNS = ("offered_slot_at", "allocated_slot_at")
MUST_BE_ZERO = "must be 0"


@dataclass
class OffersResult:
    trust: str
    as_of: date
    rows: int
    patients: int
    files: list[Path] = field(default_factory=list)
    checks: list[tuple[str, int, str]] = field(default_factory=list)  # (check, failing, note)

    @property
    def failed(self) -> list[tuple[str, int, str]]:
        """Checks that must pass and do not (a warning's rows are listed, not failed)."""
        return [c for c in self.checks if c[1] and c[2] == MUST_BE_ZERO]

    @property
    def warnings(self) -> list[tuple[str, int, str]]:
        return [c for c in self.checks if c[1] and c[2] != MUST_BE_ZERO]

    def __str__(self) -> str:
        verdict = _verdict(self)
        return (
            f"offers {self.trust} as of {self.as_of}: {self.rows} offer(s) for "
            f"{self.patients} patient(s), {verdict}; " + ", ".join(p.name for p in self.files)
        )


def _read(restricted_db: Path, trust: str) -> tuple[date, list[dict]]:
    con = duckdb.connect(str(restricted_db), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        if RELATION not in tables:
            raise ValueError(f"{restricted_db} has no relation {RELATION} (run `wmin build` first)")
        known = {r[0] for r in con.execute("select trust_code from dim_trust").fetchall()}
        if trust not in known:
            raise ValueError(
                f"--trust {trust}: not a trust of the network ({', '.join(sorted(known))})"
            )
        as_of = con.execute("select max(as_of_date) from scheduling_offers_by_trust").fetchone()[0]
        cur = con.execute(
            f"select * from {RELATION} where trust_code = ? "
            "order by clock_start_date, accession, is_allocated desc, weeks_saved desc, distance_km",
            [trust],
        )
        names = [d[0] for d in cur.description]
        return as_of, [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _local(value: object) -> object:
    """An instant as Europe/London wall-clock time (what a booking team reads)."""
    if isinstance(value, datetime):
        return value.astimezone(LONDON).replace(tzinfo=None)
    return value


def validate(rows: list[dict], trust: str) -> list[tuple[str, int, str]]:
    """(check, rows failing, what it means: MUST_BE_ZERO, or what to do) for one trust's list."""
    allocated = [
        (r["offered_trust_code"], r["allocated_slot_id"]) for r in rows if r["is_allocated"]
    ]
    per_exam: dict[str, int] = {}
    for r in rows:
        per_exam[r["exam_key"]] = per_exam.get(r["exam_key"], 0) + int(bool(r["is_allocated"]))
    return [
        ("rows of another trust", sum(r["trust_code"] != trust for r in rows), MUST_BE_ZERO),
        (
            "offered slot not before the own option",
            sum(_local(r["offered_slot_at"]).date() >= r["own_option_date"] for r in rows),
            MUST_BE_ZERO,
        ),
        (
            "distance missing or negative",
            sum(r["distance_km"] is None or r["distance_km"] < 0 for r in rows),
            MUST_BE_ZERO,
        ),
        ("slot allocated twice", len(allocated) - len(set(allocated)), MUST_BE_ZERO),
        ("patient allocated twice", sum(n > 1 for n in per_exam.values()), MUST_BE_ZERO),
        (
            "NHS number missing or invalid",
            sum(nhs_number_problem(str(r["nhs_number"] or "")) is not None for r in rows),
            "trace the patient before contacting them",
        ),
    ]


def _cells(row: dict) -> list[object]:
    return [_local(row[c]) if c in LOCAL_TIME_COLUMNS else row[c] for c, _ in COLUMNS]


def _write_csv(path: Path, rows: list[dict]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh, lineterminator="\r\n")
            out.writerow([h for _, h in COLUMNS])
            for row in rows:
                out.writerow(["" if v is None else neutralise(str(v)) for v in _cells(row)])

    write_private(path, write)


def _write_xlsx(path: Path, rows: list[dict], summary: list[str]) -> None:
    def write(tmp: Path) -> None:
        book = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        bold = book.add_format({"bold": True})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet("Offers")
        for col, (name, heading) in enumerate(COLUMNS):
            sheet.write_string(0, col, heading, bold)
            fmt = when if name in LOCAL_TIME_COLUMNS else day if name.endswith("_date") else None
            for i, row in enumerate(rows, start=1):
                write_cell(sheet, i, col, _cells(row)[col], fmt)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)
        checks = book.add_worksheet("Validation")
        for i, line in enumerate(summary):
            write_cell(checks, i, 0, line)
        book.close()

    write_private(path, write)


def _verdict(result: OffersResult) -> str:
    if result.failed:
        return f"{len(result.failed)} check(s) FAIL"
    warned = sum(n for _, n, _ in result.warnings)
    return "all checks pass" + (f", {warned} row(s) to look at" if warned else "")


def _summary(result: OffersResult) -> list[str]:
    lines = [
        f"Scheduling offers for trust {result.trust}, as of {result.as_of}",
        f"rows: {result.rows} (one per patient and offered site); patients: {result.patients}",
        "local patient id: not in the list (no feed sends one; the landing contract has none)",
        IDENTIFIERS_NOTICE,
        "checks (rows failing):",
    ]
    lines += [f"  {name}: {n} ({note})" for name, n, note in result.checks]
    lines.append("result: " + _verdict(result))
    return lines


def build_offers(restricted_db: Path, trust: str, out_dir: Path) -> OffersResult:
    """Write `trust`'s offers list (xlsx, csv, validation summary) under
    `<out_dir>/offers/<as-of>/`, owner-only. An empty list is written too: no offers is an
    answer. Raises ValueError for an unknown trust or a database without the relation."""
    restricted_db = Path(restricted_db)
    if not restricted_db.exists():
        raise ValueError(f"restricted database not found: {restricted_db} (run `wmin nightly`)")
    trust = trust.strip().upper()
    as_of, rows = _read(restricted_db, trust)
    result = OffersResult(trust, as_of, len(rows), len({r["exam_key"] for r in rows}))
    result.checks = validate(rows, trust)
    folder = private_dir(private_dir(Path(out_dir) / "offers") / f"{as_of}")
    stem = folder / f"offers_{trust}_{as_of}"
    summary = _summary(result)
    _write_xlsx(stem.with_suffix(".xlsx"), rows, summary)
    _write_csv(stem.with_suffix(".csv"), rows)
    summary_path = stem.with_name(stem.name + "_validation.txt")
    write_private(summary_path, lambda tmp: tmp.write_text("\n".join(summary) + "\n", "utf-8"))
    result.files = [stem.with_suffix(".xlsx"), stem.with_suffix(".csv"), summary_path]
    return result
