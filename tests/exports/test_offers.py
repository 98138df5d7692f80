"""`wmin export offers --trust ODS` (exports/offers.py) on a small hand-made restricted database:
the trust's own rows only, owner-only files, the xlsx and csv read back, formula injection
neutralised, a validation summary that says when a check fails, and one-line errors."""

from __future__ import annotations

import csv
import stat
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from exports.offers import COLUMNS, build_offers
from pipeline.cli import app

UTC = ZoneInfo("UTC")
AS_OF = date(2026, 4, 16)
VALID_NHS = "9434765919"
ROWS = [  # trust, accession, nhs number, exam key, site, slot (UTC), own date, km, allocated
    ("RRK", "ACC1", VALID_NHS, "e1", "RXK01", datetime(2026, 4, 17, 8, 30), date(2026, 4, 30), 5.2, True),
    ("RRK", "ACC1", VALID_NHS, "e1", "RNA01", datetime(2026, 4, 18, 9, 0), date(2026, 4, 30), 12.0, False),
    ("RRK", "=HYPERLINK(1)", "123", "e2", "RXK01", datetime(2026, 4, 20, 9, 0), date(2026, 5, 2), 7.5, False),
    ("RXK", "OTHER1", VALID_NHS, "e3", "RRK01", datetime(2026, 4, 17, 9, 0), date(2026, 4, 25), 3.0, True),
]  # fmt: skip


def make_db(path: Path, rows=ROWS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create table dim_trust (trust_code varchar)")
    con.execute("insert into dim_trust values ('RRK'), ('RXK'), ('RNA')")
    con.execute("create table scheduling_offers_by_trust (as_of_date date)")
    con.execute("insert into scheduling_offers_by_trust values (?)", [AS_OF])
    con.execute(
        """create table scheduling_offer_list (as_of_date date, trust_code varchar,
        accession varchar, nhs_number varchar, nhs_number_status varchar, dm01_test varchar,
        modality varchar, nicip_code varchar, procedure_name varchar, priority varchar,
        clock_start_date date, weeks_waited integer, own_option varchar, own_option_date date,
        postcode_district varchar, offered_site_code varchar, offered_site_name varchar,
        offered_trust_code varchar, offered_slot_at timestamptz, offered_slot_minutes integer,
        procedure_minutes integer, days_saved integer, weeks_saved double, distance_km double,
        is_allocated boolean, allocated_slot_at timestamptz, allocated_slot_id varchar,
        exam_key varchar)"""
    )
    for trust, acc, nhs, key, site, slot, own, km, allocated in rows:
        slot = slot.replace(tzinfo=UTC)
        days = (own - slot.date()).days
        con.execute(
            "insert into scheduling_offer_list values (?, ?, ?, ?, '01', 'MRI', 'MR', 'MHEAD',"
            " 'MRI Head', 'routine', '2026-02-01', 10, 'own_free_slot', ?, 'B15', ?, 'Site',"
            " ?, ?, 30, 30, ?, ?, ?, ?, ?, ?, ?)",
            [AS_OF, trust, acc, nhs, own, site, site[:3], slot, days, round(days / 7, 1), km,
             allocated, slot if allocated else None, key + "-slot" if allocated else None, key],
        )  # fmt: skip
    con.close()
    return path


@pytest.fixture
def restricted(tmp_path: Path) -> Path:
    return make_db(tmp_path / "warehouse" / "restricted.duckdb")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_trusts_own_rows_in_owner_only_xlsx_and_csv(restricted: Path, tmp_path: Path) -> None:
    result = build_offers(restricted, "rrk", tmp_path / "exports")
    assert (result.trust, result.as_of, result.rows, result.patients) == ("RRK", AS_OF, 3, 2)
    folder = tmp_path / "exports" / "offers" / str(AS_OF)
    assert mode(folder) == mode(folder.parent) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in result.files)
    assert all(mode(p) == 0o600 for p in result.files)
    book = openpyxl.load_workbook(result.files[0])
    sheet = book["Offers"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [heading for _, heading in COLUMNS]
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(1)", "ACC1", "ACC1"]  # no other trust's
    first = dict(zip(rows[0], rows[2], strict=True))
    assert first["NHS number"] == VALID_NHS  # text, not a number losing nothing
    assert first["Offered slot (local time)"] == datetime(2026, 4, 17, 9, 30)  # BST
    assert first["Allocated"] is True and first["Distance (km)"] == 5.2
    with result.files[1].open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == [heading for _, heading in COLUMNS] and len(lines) == 4
    assert lines[1][1] == "'=HYPERLINK(1)"
    summary = result.files[2].read_text(encoding="utf-8")
    assert "NHS number missing or invalid: 1" in summary
    assert "slot allocated twice: 0" in summary
    assert "result: all checks pass, 1 row(s) to look at" in summary  # a warning, not a failure
    assert not result.failed and [c[0] for c in result.warnings] == [
        "NHS number missing or invalid"
    ]


def test_a_trust_without_offers_gets_an_empty_list(restricted: Path, tmp_path: Path) -> None:
    result = build_offers(restricted, "RNA", tmp_path)
    assert result.rows == 0
    assert len(list(openpyxl.load_workbook(result.files[0])["Offers"].iter_rows())) == 1


def test_a_failing_check_is_said_and_exits_non_zero(tmp_path: Path) -> None:
    late = ("RRK", "ACC9", VALID_NHS, "e9", "RXK01", datetime(2026, 5, 3, 9), date(2026, 5, 1), 4.0, False)  # fmt: skip
    home = tmp_path / "home"
    make_db(home / "warehouse" / "restricted.duckdb", [*ROWS[:2], late])
    result = CliRunner().invoke(app, ["export", "offers", "--trust", "RRK", "--home", str(home)])
    assert result.exit_code == 1
    assert "offered slot not before the own option: 1" in next(
        (home / "exports" / "offers" / str(AS_OF)).glob("*_validation.txt")
    ).read_text(encoding="utf-8")
    assert "1 validation check(s) fail" in result.output


def test_unknown_trust_and_missing_relation_are_one_line_errors(
    restricted: Path, tmp_path: Path
) -> None:
    home = restricted.parent.parent
    result = CliRunner().invoke(app, ["export", "offers", "--trust", "XYZ", "--home", str(home)])
    assert result.exit_code == 1
    assert "--trust XYZ: not a trust of the network" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    empty = tmp_path / "empty" / "warehouse" / "restricted.duckdb"
    empty.parent.mkdir(parents=True)
    duckdb.connect(str(empty)).close()
    with pytest.raises(ValueError, match="has no relation scheduling_offer_list"):
        build_offers(empty, "RRK", tmp_path / "out")


def test_two_rooms_slots_at_one_time_are_two_slots(tmp_path: Path) -> None:
    """Two patients placed at one site at the same time, in two rooms' slots: no slot twice."""
    at, own = datetime(2026, 4, 17, 8, 30), date(2026, 4, 30)
    rows = [
        ("RRK", "A1", VALID_NHS, "e1", "RXK01", at, own, 5.0, True),
        ("RRK", "A2", VALID_NHS, "e2", "RXK01", at, own, 6.0, True),
    ]
    db = make_db(tmp_path / "warehouse" / "restricted.duckdb", rows)
    result = build_offers(db, "RRK", tmp_path / "exports")
    assert ("slot allocated twice", 0, "must be 0") in result.checks and not result.failed
