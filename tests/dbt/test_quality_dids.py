"""dids_presubmission_checks (SQL) counts what exports/dids_checks.py (Python) finds, rule by
rule, on the same records: one dbt run of that model over a hand-made `dids_records` table."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from exports.dids_checks import REJECT, check_record, text
from pipeline.build import run_build

AS_OF = date(2026, 3, 10)
SEVERITY = {REJECT: "rejection", "warning": "warning"}
COLUMNS = [
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
    "modality",
    "priority",
]
VALID_NHS = ["9434765919", "9434765870", "4010232137"]
# one value per field that breaks a rule (None = the field left empty)
BAD = {
    "nhs_number": ["9434765918", "12345", "12345 54321", None],
    "nhs_number_status": ["09", "1", None],
    "birth_date": [date(1899, 12, 31), date(2026, 12, 1)],
    "ethnicity": ["X", "100"],
    "sex": ["3", "M"],
    "patient_source_setting": ["3", "08", None],
    "referrer_code": ["G123", "G1234567!", None],
    "request_date": [date(2026, 3, 1)],
    "request_received_date": [date(2026, 3, 2)],
    "nicip_code": [None],
    "snomed_ct_id": ["399208009", "12345", None],
    "report_issue_date": [date(2025, 12, 1), date(2026, 4, 20)],
    "site_code": [None],
}


def _records(n: int, seed: int) -> list[dict]:
    """Valid records with one or two fields broken at random, over January and February."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        test = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 59))
        rec = {
            "trust_code": rng.choice(["RRK", "RQ3"]),
            "site_code": rng.choice(["RRK01", "RRK02"]),
            "accession": f"ACC{i:05d}",
            "nhs_number": rng.choice(VALID_NHS),
            "nhs_number_status": "01",
            "birth_date": date(1970, 5, 5),
            "ethnicity": "A",
            "sex": "1",
            "postcode": "B15 2TH",
            "gp_practice_code": "M85001",
            "patient_source_setting": "03",
            "referrer_code": "G1234567",
            "referring_org_code": "M85001",
            "request_date": test - timedelta(days=3),
            "request_received_date": test - timedelta(days=2),
            "test_date": test,
            "nicip_code": "XCHES",
            "snomed_ct_id": "399208008",
            "report_issue_date": test + timedelta(days=1),
            "requested_at": None,
            "test_started_at": datetime(test.year, test.month, test.day, 10, tzinfo=UTC),
            "report_verified_at": None,
            "clock_start_date": None,
            "activity_category": None,
            "modality": "XR",
            "priority": "routine",
        }
        for field in rng.sample(sorted(BAD), k=rng.choice([0, 1, 1, 2])):
            rec[field] = rng.choice(BAD[field])
        if rng.random() < 0.05 and out:  # the same accession and site again in the month
            rec["accession"], rec["site_code"] = out[-1]["accession"], out[-1]["site_code"]
        out.append(rec)
    return out


def _python_counts(records: list[dict]) -> Counter:
    counts: Counter = Counter()
    seen: set[tuple] = set()
    for rec in records:
        month = rec["test_date"].replace(day=1)
        following = (month.replace(day=28) + timedelta(days=40)).replace(day=1)
        month_after_end = (following.replace(day=28) + timedelta(days=40)).replace(
            day=1
        ) - timedelta(days=1)
        submission = min(month_after_end, AS_OF)
        for rule, severity, _column, _msg in check_record(rec, submission):
            counts[(rec["trust_code"], month, rule, SEVERITY[severity])] += 1
        acc, site = text(rec["accession"]), text(rec["site_code"])
        key = (rec["trust_code"], month, acc.upper(), site.upper())
        if acc and site:
            if key in seen:
                counts[(rec["trust_code"], month, "DUPLICATE_ACCESSION", "rejection")] += 1
            seen.add(key)
    return counts


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("dids_checks")
    db = root / "restricted.duckdb"
    records = _records(400, seed=11)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table main.dids_records ("
            + ", ".join(
                f"{c} {'date' if c in ('birth_date', 'request_date', 'request_received_date', 'test_date', 'report_issue_date', 'clock_start_date') else 'timestamptz' if c.endswith('_at') else 'varchar'}"
                for c in COLUMNS
            )
            + ", source_file_id bigint, exam_hash ubigint)"
        )  # the model's
        # incremental watermark, and the exam as a number (exam_hash, macros/incremental/key_hash.sql)
        con.executemany(
            f"insert into main.dids_records values ({', '.join('?' * len(COLUMNS))}, 1, "
            "hash(?, ?))",
            [[r[c] for c in COLUMNS] + [r["trust_code"], r["accession"]] for r in records],
        )
        con.execute(
            "create table main.dim_trust as select * from (values ('RRK'), ('RQ3')) t(trust_code)"
        )
    result = run_build(
        db,
        AS_OF,
        select="int_dids_record_checks dids_presubmission_checks",
        target_dir=root / "target",
    )
    assert result.success, result.failed
    return db, records


def test_sql_counts_equal_python_findings(built: tuple[Path, list[dict]]) -> None:
    db, records = built
    expected = _python_counts(records)
    assert len({k[2] for k in expected}) >= 15, "the fixture should break most rules"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select trust_code, month, rule, severity, records_failing, records_checked "
            "from main.dids_presubmission_checks"
        ).fetchall()
    got = Counter({(t, m, r, s): n for t, m, r, s, n, _ in rows if n})
    assert got == expected
    # every rule has a row per trust and month, failing or not, over all the month's records
    checked = Counter((r["trust_code"], r["test_date"].replace(day=1)) for r in records)
    assert {(t, m, n) for t, m, _, _, _, n in rows} == {(t, m, n) for (t, m), n in checked.items()}
    assert len({(r, s) for _, _, r, s, _, _ in rows}) == 28
