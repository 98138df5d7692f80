"""DIDS export against a hand-made restricted database with planted defects."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, timedelta

import duckdb
import nhs_number
import pytest

from exports.dids import IDENTIFIERS_NOTICE, build_dids, load_layout
from exports.dids_checks import nhs_number_problem, snomed_problem

SUBMIT = date(2026, 10, 5)
COLUMNS = """trust_code VARCHAR, site_code VARCHAR, accession VARCHAR, nhs_number VARCHAR,
    nhs_number_status VARCHAR, birth_date DATE, ethnicity VARCHAR, sex VARCHAR, postcode VARCHAR,
    gp_practice_code VARCHAR, patient_source_setting VARCHAR, referrer_code VARCHAR,
    referring_org_code VARCHAR, request_date DATE, request_received_date DATE, test_date DATE,
    nicip_code VARCHAR, snomed_ct_id VARCHAR, report_issue_date DATE, requested_at TIMESTAMPTZ,
    test_started_at TIMESTAMPTZ, report_verified_at TIMESTAMPTZ, clock_start_date DATE,
    activity_category VARCHAR"""


def valid_nhs(seed: int) -> str:
    rng = random.Random(seed)
    while True:
        body = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(body, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        n = "".join(map(str, body)) + str(check)
        if check != 10 and n[:5] != n[5:][::-1] and body[0] != 0:
            return n


def exam(i: int, trust: str = "RRK", day: date = date(2026, 9, 10), **over) -> dict:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    rec = {
        "trust_code": trust,
        "site_code": f"{trust}01",
        "accession": f"{trust}ACC{i:05d}",
        "nhs_number": valid_nhs(i),
        "nhs_number_status": "01",
        "birth_date": date(1960, 1, 1) + timedelta(days=i),
        "ethnicity": "A",
        "sex": "2",
        "postcode": "B15 2TH",
        "gp_practice_code": "M85001",
        "patient_source_setting": "03",
        "referrer_code": "G1234567",
        "referring_org_code": "M85001",
        "request_date": day - timedelta(days=5),
        "request_received_date": day - timedelta(days=4),
        "test_date": day,
        "nicip_code": "XWRIL",
        "snomed_ct_id": "60027007",
        "report_issue_date": day + timedelta(days=1),
        "requested_at": start - timedelta(days=5),
        "test_started_at": start,
        "report_verified_at": start + timedelta(days=1),
        "clock_start_date": day - timedelta(days=5),
        "activity_category": "waiting_list",
    }
    rec.update(over)
    return rec


# planted defects: accession -> (overrides, rule expected, severity)
DEFECTS = {
    101: ({"nhs_number": "9434765918"}, "NHS_NUMBER_INVALID", "reject"),  # mod 11
    102: ({"nhs_number": "1234554321"}, "NHS_NUMBER_INVALID", "reject"),  # reversed halves
    103: ({"nhs_number_status": "10"}, "NHS_STATUS_INVALID", "reject"),
    104: ({"birth_date": date(1899, 12, 31)}, "BIRTH_DATE_TOO_EARLY", "reject"),
    105: ({"birth_date": date(2026, 9, 20)}, "BIRTH_AFTER_TEST", "reject"),
    106: ({"sex": "M"}, "GENDER_INVALID", "reject"),
    107: ({"patient_source_setting": "5"}, "SOURCE_SETTING_INVALID", "reject"),  # no leading zero
    108: ({"referrer_code": "G12"}, "REFERRER_CODE_FORMAT", "reject"),
    109: (
        {"request_date": date(2026, 9, 8), "request_received_date": date(2026, 9, 7)},
        "REQUEST_AFTER_RECEIVED",
        "reject",
    ),
    110: ({"request_received_date": date(2026, 9, 12)}, "RECEIVED_AFTER_TEST", "reject"),
    111: ({"report_issue_date": date(2026, 9, 9)}, "REPORT_BEFORE_TEST", "reject"),
    112: ({"report_issue_date": date(2026, 10, 20)}, "REPORT_OVER_1_MONTH", "warning"),
    113: ({"nicip_code": None, "snomed_ct_id": None}, "NO_PROCEDURE_CODE", "reject"),
    114: ({"snomed_ct_id": "60027008"}, "SNOMED_INVALID", "reject"),
    115: ({"accession": "RRKACC00001"}, "DUPLICATE_ACCESSION", "reject"),  # repeats exam 1
    116: ({"nhs_number": None, "nhs_number_status": "03"}, "NHS_NUMBER_MISSING", "warning"),
}


@pytest.fixture(scope="module")
def restricted(tmp_path_factory):
    path = tmp_path_factory.mktemp("restricted") / "restricted.duckdb"
    good = [exam(i, day=date(2026, 9, 1 + i % 28)) for i in range(1, 21)]
    bad = [exam(i, **over) for i, (over, _, _) in DEFECTS.items()]
    other = [
        exam(201, day=date(2026, 8, 31)),
        exam(202, day=date(2026, 10, 1)),  # other months
        exam(301, trust="RXK"),
        exam(302, trust="RXK"),
    ]  # other trust
    rows = good + bad + other
    con = duckdb.connect(str(path))
    con.execute("set timezone = 'UTC'")
    con.execute(f"create table dids_records ({COLUMNS})")
    names = list(rows[0])
    con.executemany(
        f"insert into dids_records ({', '.join(names)}) values ({', '.join('?' * len(names))})",
        [[r[n] for n in names] for r in rows],
    )
    con.close()
    return path, good + bad


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_file_rereads_to_exactly_the_months_exams(restricted, tmp_path):
    db, expected = restricted
    (res,) = build_dids(db, "2026-09", tmp_path, trust="RRK", submission_date=SUBMIT)
    assert res.path.name == "dids_RRK_2026-09.csv" and res.path.parent.name == "2026-09"
    rows = read_csv(res.path)
    _, items = load_layout("v1")
    assert rows[0] == [it.item_name for it in items] and len(rows[0]) == 18
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert all(len(r) == 18 for r in rows)
    assert res.rows == len(body) == len(expected)
    got = sorted(
        (
            r["RADIOLOGICAL ACCESSION NUMBER"],
            r["NHS NUMBER"],
            r["DIAGNOSTIC TEST DATE"],
            r["PERSON BIRTH DATE"],
            r["IMAGING CODE (NICIP)"],
        )
        for r in body
    )
    want = sorted(
        (
            e["accession"],
            e["nhs_number"] or "",
            e["test_date"].isoformat(),
            e["birth_date"].isoformat(),
            e["nicip_code"] or "",
        )
        for e in expected
    )
    assert got == want
    assert {r["PATIENT SOURCE SETTING TYPE (DIAGNOSTIC IMAGING)"] for r in body} == {
        "03",
        "5",
    }  # leading zero kept
    assert (
        res.carries_identifiers and "identifiers" in res.notice and res.notice == IDENTIFIERS_NOTICE
    )


def test_planted_defects_are_found_and_the_file_would_be_rejected(restricted, tmp_path):
    db, _ = restricted
    (res,) = build_dids(db, "2026-09", tmp_path, trust="RRK", submission_date=SUBMIT)
    assert res.would_be_rejected
    found = {(f.accession, f.rule, f.severity) for f in res.findings}
    for i, (over, rule, severity) in DEFECTS.items():
        acc = over.get("accession", f"RRKACC{i:05d}")
        assert (acc, rule, severity) in found, (i, rule)
    # the good exams raise nothing
    defect_accessions = {
        over.get("accession", f"RRKACC{i:05d}") for i, (over, _, _) in DEFECTS.items()
    }
    assert not [f for f in res.findings if f.accession not in defect_accessions]
    rows = read_csv(res.path)
    acc_col = rows[0].index("RADIOLOGICAL ACCESSION NUMBER")
    for f in res.findings:  # row numbers point at the right line of the file
        assert rows[f.row][acc_col] == f.accession
    report = read_csv(res.validation_csv)
    assert report[0] == [
        "row",
        "line",
        "accession",
        "site_code",
        "rule",
        "severity",
        "item",
        "message",
    ]
    assert len(report) - 1 == len(res.findings)
    assert {r[4] for r in report[1:]} == {rule for _, rule, _ in DEFECTS.values()}
    # the report names no NHS number or birth date
    flat = res.validation_csv.read_text()
    assert "9434765918" not in flat and "1899-12-31" not in flat
    summary = res.summary_txt.read_text()
    assert "WOULD BE REJECTED" in summary and "identifiers" in summary
    assert res.summary_txt.name == "dids_RRK_2026-09_validation.txt"
    assert "WOULD BE REJECTED" in str(res)


def test_clean_trust_passes_and_one_file_per_trust(restricted, tmp_path):
    db, _ = restricted
    results = build_dids(db, "2026-09", tmp_path, submission_date=SUBMIT)
    assert [r.trust_code for r in results] == ["RRK", "RXK"]
    rxk = results[1]
    assert rxk.rows == 2 and not rxk.would_be_rejected and rxk.findings == []
    assert "passes" in rxk.summary_txt.read_text()


@pytest.mark.parametrize(
    "submitted, rule, severity",
    [
        (date(2027, 1, 10), "TEST_OVER_3_MONTHS_OLD", "warning"),  # 4 months after September
        (date(2027, 4, 10), "TEST_OVER_6_MONTHS_OLD", "reject"),  # 7 months
        (date(2026, 9, 5), "TEST_AFTER_SUBMISSION", "reject"),  # RXK's exams are on the 10th
    ],
)
def test_submission_cut_offs(restricted, tmp_path, submitted, rule, severity):
    db, _ = restricted
    (res,) = build_dids(db, "2026-09", tmp_path, trust="RXK", submission_date=submitted)
    assert {(f.rule, f.severity) for f in res.findings} == {(rule, severity)}
    assert res.would_be_rejected == (severity == "reject")


def test_v2_timestamps_with_offsets_and_new_items(tmp_path):
    db = tmp_path / "restricted.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"create table dids_records ({COLUMNS})")
    bst = exam(
        1,
        day=date(2026, 10, 24),
        test_date=date(2026, 10, 25),
        test_started_at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        report_verified_at=datetime(2026, 10, 25, 1, 45, tzinfo=UTC),
        report_issue_date=date(2026, 10, 25),
    )
    gmt = exam(
        2,
        day=date(2026, 10, 26),
        activity_category="planned",
        test_started_at=datetime(2026, 10, 26, 10, 0, tzinfo=UTC),
    )
    names = list(bst)
    con.executemany(
        f"insert into dids_records ({', '.join(names)}) values ({', '.join('?' * len(names))})",
        [[r[n] for n in names] for r in (bst, gmt)],
    )
    con.close()
    (res,) = build_dids(
        db, "2026-10", tmp_path / "out", layout="v2", submission_date=date(2026, 11, 5)
    )
    assert res.path.name == "dids_RRK_2026-10_v2.csv" and res.layout == "v2"
    rows = read_csv(res.path)
    body = {
        r[rows[0].index("RADIOLOGICAL ACCESSION NUMBER")]: dict(zip(rows[0], r)) for r in rows[1:]
    }
    assert "CODED PROCEDURE (NICIP)" in rows[0] and "CODED PROCEDURE (SNOMED CT)" in rows[0]
    a, b = body["RRKACC00001"], body["RRKACC00002"]
    assert (
        a["CODED PROCEDURE START TIMESTAMP"] == "2026-10-25T00:30:00+01:00"
    )  # BST, as on the clock
    # 01:45 happens twice that night: the offset says which (clocks went back at 01:00 UTC)
    assert a["SERVICE REPORT ISSUE TIMESTAMP"] == "2026-10-25T01:45:00+00:00"
    assert b["CODED PROCEDURE START TIMESTAMP"] == "2026-10-26T10:00:00+00:00"  # GMT
    assert a["DIAGNOSTIC IMAGING ACTIVITY CATEGORY"] == "Diagnostic Waiting List"
    assert b["DIAGNOSTIC IMAGING ACTIVITY CATEGORY"] == "Planned"
    assert a["DIAGNOSTIC IMAGING WAITING LIST CLOCK START DATE"] == "2026-10-19"
    assert not res.would_be_rejected, res.findings


def test_layout_is_data(tmp_path):
    _, items = load_layout("v1")
    assert [i.position for i in items] == list(range(1, 19))
    assert (
        items[0].item_name == "NHS NUMBER"
        and items[-1].item_name == "RADIOLOGICAL ACCESSION NUMBER"
    )
    custom = tmp_path / "custom.csv"
    custom.write_text(
        "position,item_name,source_column,format,mandatory,notes\n"
        "1,ACC,accession,max an20,M,\n2,SITE,site_code,max an9,M,\n"
    )
    assert [i.item_name for i in load_layout(str(custom))[1]] == ["ACC", "SITE"]
    with pytest.raises(ValueError):
        load_layout("v9")


def test_nhs_number_check_agrees_with_the_nhs_number_package():
    rng = random.Random(7)
    for _ in range(3000):
        n = str(rng.randint(4 * 10**9, 10**10 - 1))  # outside Scotland's CHI range (date rule)
        mine = nhs_number_problem(n) is None
        theirs = nhs_number.is_valid(n) and n[:5] != n[5:][::-1]
        assert mine == theirs, n
    assert snomed_problem("60027007") is None and snomed_problem("60027008")
