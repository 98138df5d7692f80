"""A small, hand-made landing database for the dbt tests.

Two deliveries: `add_delivery(db, 1)` is the first night (as of 2026-03-31, two days after the
clocks went forward), `add_delivery(db, 2)` the next one (as of 2026-04-20), which re-delivers
some exams and events and adds new ones. Every row is here for a rule of docs/metrics.md:

Both trusts' exam files are delta event logs (they send event ids): no delivery is full, so
nothing is withdrawn by absence (stg_landing__exam_full_deliveries; withdrawals: test_dbt_build).
RRK (sends NICIP):
  A001 ED chest X-ray, reported the same day; an addendum three days later (never resets it).
  A002 routine MRI head on the waiting list: booked, did not attend (stays on the list),
       rebooked; tested and reported by an outsourced reporter in delivery 2.
  A003 routine X-ray with dates out of order: requested after the test, verified before it.
  A004 urgent CT head started 23:30 UTC on 30 March (BST): local test date 31 March;
       unreported at the first as-of date, reported in delivery 2.
  A005 inpatient ultrasound abdomen started 23:30 UTC on 2 March (GMT): local date 2 March;
       reported by a sonographer (radiographer).
  A006 waiting-list CT, cancelled on 15 March (on the February census, not the March one).
  A007 delivered twice in one file (duplicate accession); a chest X-ray tested 9 March.
RXK (sends local codes):
  B001 waiting-list CT chest requested 1 December 2025, no clock start sent, never tested.
  B002 ED exam with an unknown local code (feed says MR): flagged, no DM01 test.
  B003 routine chest X-ray with an invalid NHS number, tested 20 March, never reported.
  B004 planned MRI head, tested 25 March, reported the next day.
  B005 re-delivered in delivery 2 with another priority (latest extract wins).
  B006 ED chest X-ray in February with only an exam_completed event (test time = completion);
       its month makes 28 February a census date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingest.contract import (
    CAPACITY_SLOTS,
    EXAM_EVENTS,
    EXAM_RECORDS,
    LOAD_MANIFEST,
    REJECTED_ROWS,
    ddl,
)

AS_OF_1 = "2026-03-31"
AS_OF_2 = "2026-04-20"
AS_OF_LATER = "2026-04-19"  # builds 7-10: 19 days after night 1


def nhs_number(stem: str) -> str:
    """A valid NHS number from a 9-digit stem (stems whose check digit would be 10 are bumped)."""
    n = int(stem)
    while True:
        s = f"{n:09d}"
        total = sum(int(d) * w for d, w in zip(s, range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return s + str(check)
        n += 1


def ts(text: str) -> datetime:
    """'2026-03-02 09:00' in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _exam(
    trust: str,
    accession: str,
    *,
    local: str | None = None,
    nicip: str | None = None,
    site: str,
    room: str,
    modality: str | None,
    priority: str,
    setting: str,
    category: str,
    nhs: str,
    status: str,
    clock: str | None = None,
    birth: str = "1960-06-15",
    sex: str = "1",
    flags: str | None = None,
) -> dict:
    return {
        "trust_code": trust,
        "accession": accession,
        "local_procedure_code": local,
        "nicip_code": nicip,
        "procedure_name": None,
        "site_code": site,
        "room": room,
        "modality": modality,
        "priority": priority,
        "patient_source_setting": setting,
        "activity_category": category,
        "referrer_code": "C1234567",
        "referring_org_code": "M85001",
        "gp_practice_code": "M85001",
        "nhs_number": nhs,
        "nhs_number_status": "01",
        "patient_key": "pk_" + nhs,
        "birth_date": birth,
        "sex": sex,
        "postcode": "B15 2TH",
        "ethnicity": "A",
        "clock_start_date": clock,
        "status": status,
        "dq_flags": flags,
    }


def _exams(delivery: int) -> list[dict]:
    rrk = {"trust": "RRK", "site": "RRK01"}
    rxk = {"trust": "RXK", "site": "RXK01"}
    rows = []
    if delivery == 1:
        rows += [
            _exam(
                accession="A001",
                nicip="XCHES",
                room="XR1",
                modality="XR",
                priority="ed",
                setting="05",
                category="unscheduled",
                nhs=nhs_number("943476591"),
                status="reported",
                **rrk,
            ),
            _exam(
                accession="A002",
                nicip="MHEAD",
                room="MR1",
                modality="MR",
                priority="routine",
                setting="04",
                category="waiting_list",
                nhs=nhs_number("401023211"),
                status="booked",
                clock="2026-01-10",
                **rrk,
            ),
            _exam(
                accession="A003",
                nicip="XCHES",
                room="XR1",
                modality="XR",
                priority="routine",
                setting="04",
                category="waiting_list",
                nhs=nhs_number("401023212"),
                status="reported",
                flags="dates_out_of_order",
                **rrk,
            ),
            _exam(
                accession="A004",
                nicip="CHEAD",
                room="CT1",
                modality="CT",
                priority="urgent",
                setting="03",
                category="waiting_list",
                nhs=nhs_number("401023213"),
                status="completed",
                birth="1990-03-31",
                **rrk,
            ),
            _exam(
                accession="A005",
                nicip="UABDO",
                room="US1",
                modality="US",
                priority="inpatient",
                setting="01",
                category="unscheduled",
                nhs=nhs_number("401023214"),
                status="reported",
                **rrk,
            ),
            _exam(
                accession="A006",
                nicip="CCHES",
                room="CT1",
                modality="CT",
                priority="routine",
                setting="04",
                category="waiting_list",
                nhs=nhs_number("401023215"),
                status="cancelled",
                clock="2026-02-01",
                **rrk,
            ),
            _exam(
                accession="A007",
                nicip="XCHES",
                room="XR1",
                modality="XR",
                priority="routine",
                setting="04",
                category="planned",
                nhs=nhs_number("401023216"),
                status="completed",
                **rrk,
            ),
            _exam(
                accession="A007",
                nicip="XCHES",
                room="XR1",
                modality="XR",
                priority="urgent",
                setting="04",
                category="planned",
                nhs=nhs_number("401023216"),
                status="completed",
                **rrk,
            ),
            _exam(
                accession="B001",
                local="SWCT002",
                room="CT1",
                modality="CT",
                priority="routine",
                setting="04",
                category="waiting_list",
                nhs=nhs_number("401023217"),
                status="requested",
                **rxk,
            ),
            _exam(
                accession="B002",
                local="swzz999",
                room="MR1",
                modality="MR",
                priority="ed",
                setting="05",
                category="unscheduled",
                nhs=nhs_number("401023218"),
                status="reported",
                flags="unknown_local_code",
                **rxk,
            ),
            _exam(
                accession="B003",
                local="SWXR001",
                room="XR1",
                modality="XR",
                priority="routine",
                setting="04",
                category="waiting_list",
                nhs="1234567890",
                status="completed",
                flags="nhs_number_invalid",
                **rxk,
            ),
            _exam(
                accession="B004",
                local="SWMR001",
                room="MR1",
                modality="MR",
                priority="planned",
                setting="03",
                category="planned",
                nhs=nhs_number("401023219"),
                status="reported",
                **rxk,
            ),
            _exam(
                accession="B005",
                local="SWCT001",
                room="CT1",
                modality="CT",
                priority="routine",
                setting="03",
                category="waiting_list",
                nhs=nhs_number("401023220"),
                status="completed",
                **rxk,
            ),
            _exam(
                accession="B006",
                local="SWXR001",
                room="XR1",
                modality="XR",
                priority="ed",
                setting="05",
                category="unscheduled",
                nhs=nhs_number("401023222"),
                status="reported",
                sex="2",
                **rxk,
            ),
        ]
    else:
        rows += [
            _exam(
                accession="A002",
                nicip="MHEAD",
                room="MR1",
                modality="MR",
                priority="routine",
                setting="04",
                category="waiting_list",
                nhs=nhs_number("401023211"),
                status="reported",
                clock="2026-01-10",
                **rrk,
            ),
            _exam(
                accession="A004",
                nicip="CHEAD",
                room="CT1",
                modality="CT",
                priority="urgent",
                setting="03",
                category="waiting_list",
                nhs=nhs_number("401023213"),
                status="reported",
                birth="1990-03-31",
                **rrk,
            ),
            _exam(
                accession="A008",
                nicip="MHEAD",
                room="MR1",
                modality="MR",
                priority="urgent",
                setting="03",
                category="waiting_list",
                nhs=nhs_number("401023221"),
                status="requested",
                clock="2026-04-01",
                **rrk,
            ),
            _exam(
                accession="B005",
                local="SWCT001",
                room="CT1",
                modality="CT",
                priority="urgent",
                setting="03",
                category="waiting_list",
                nhs=nhs_number("401023220"),
                status="reported",
                **rxk,
            ),
        ]
    return rows


def _events(delivery: int) -> list[tuple]:
    """(trust, accession, source_event_id, event, event_at, appointment_at, actor, outsourced)"""
    e = []

    def add(trust, acc, n, event, at, appt=None, actor=None, out=None):
        e.append((trust, acc, f"{acc}:{n}", event, ts(at), ts(appt) if appt else None, actor, out))

    if delivery == 1:
        add("RRK", "A001", 1, "requested", "2026-03-02 09:00")
        add("RRK", "A001", 2, "exam_started", "2026-03-02 10:00")
        add("RRK", "A001", 3, "exam_completed", "2026-03-02 10:20")  # corrected in delivery 2
        add("RRK", "A001", 4, "report_verified", "2026-03-02 14:00", actor="RAD001", out=False)
        add("RRK", "A001", 5, "addendum", "2026-03-05 09:00", actor="RAD002", out=False)
        add("RRK", "A002", 1, "requested", "2026-01-10 11:00")
        add("RRK", "A002", 2, "booked", "2026-02-01 10:00", appt="2026-03-20 09:00")
        add("RRK", "A002", 3, "did_not_attend", "2026-03-20 09:30")
        add("RRK", "A002", 4, "booked", "2026-03-21 10:00", appt="2026-04-10 08:00")
        add("RRK", "A003", 1, "requested", "2026-03-10 12:00")
        add("RRK", "A003", 2, "exam_started", "2026-03-09 10:00")
        add("RRK", "A003", 3, "report_verified", "2026-03-08 10:00", actor="RAD001", out=False)
        add("RRK", "A004", 1, "requested", "2026-03-30 08:00")
        add("RRK", "A004", 2, "exam_started", "2026-03-30 23:30")
        add("RRK", "A004", 3, "exam_completed", "2026-03-30 23:50")
        add("RRK", "A005", 1, "requested", "2026-03-02 20:00")
        add("RRK", "A005", 2, "exam_started", "2026-03-02 23:30")
        add("RRK", "A005", 3, "exam_completed", "2026-03-02 23:50")
        add("RRK", "A005", 4, "report_verified", "2026-03-03 08:00", actor="SON004", out=False)
        add("RRK", "A006", 1, "requested", "2026-02-01 09:00")
        add("RRK", "A006", 2, "cancelled", "2026-03-15 09:00")
        add("RRK", "A007", 1, "requested", "2026-03-01 09:00")
        add("RRK", "A007", 2, "exam_started", "2026-03-09 09:00")
        add("RRK", "A007", 3, "exam_completed", "2026-03-09 09:10")
        add("RXK", "B001", 1, "requested", "2025-12-01 09:00")
        add("RXK", "B002", 1, "requested", "2026-03-15 08:00")
        add("RXK", "B002", 2, "exam_started", "2026-03-15 10:00")
        add("RXK", "B002", 3, "exam_completed", "2026-03-15 10:30")
        add("RXK", "B002", 4, "report_verified", "2026-03-15 12:00", actor="RGR001", out=False)
        add("RXK", "B003", 1, "requested", "2026-03-19 09:00")
        add("RXK", "B003", 2, "exam_started", "2026-03-20 09:00")
        add("RXK", "B003", 3, "exam_completed", "2026-03-20 09:10")
        add("RXK", "B004", 1, "requested", "2026-02-20 09:00")
        add("RXK", "B004", 2, "exam_started", "2026-03-25 14:00")
        add("RXK", "B004", 3, "exam_completed", "2026-03-25 14:40")
        add("RXK", "B004", 4, "report_verified", "2026-03-26 16:00", actor="RAD010", out=False)
        add("RXK", "B005", 1, "requested", "2026-03-01 09:00")
        add("RXK", "B005", 2, "exam_started", "2026-03-12 09:00")
        add("RXK", "B005", 3, "exam_completed", "2026-03-12 09:20")
        add("RXK", "B006", 1, "requested", "2026-02-10 08:00")
        add("RXK", "B006", 2, "exam_completed", "2026-02-10 08:30")
        add("RXK", "B006", 3, "report_verified", "2026-02-10 11:00", actor="RAD010", out=False)
    else:
        add("RRK", "A001", 3, "exam_completed", "2026-03-02 10:10")  # correction
        add("RRK", "A002", 5, "exam_started", "2026-04-10 08:00")
        add("RRK", "A002", 6, "exam_completed", "2026-04-10 08:40")
        add("RRK", "A002", 7, "report_verified", "2026-04-12 15:00", actor="OUT001", out=True)
        add("RRK", "A004", 4, "report_verified", "2026-04-02 10:00", actor="RAD003", out=False)
        add("RRK", "A004", 5, "addendum", "2026-04-03 10:00", actor="RAD003", out=False)
        add("RRK", "A008", 1, "requested", "2026-04-01 09:00")
        add("RXK", "B005", 4, "report_verified", "2026-04-01 09:00", actor="RAD010", out=False)
    return e


def _slots(delivery: int) -> list[tuple]:
    """(trust, slot_id, site, room, modality, start, minutes, state, accession)"""
    s = []
    if delivery == 1:
        s += [
            ("RRK", "S1", "RRK01", "CT1", "CT", ts("2026-03-30 22:00"), 120, "free", None),
            ("RRK", "S2", "RRK01", "CT1", "CT", ts("2026-03-31 00:00"), 60, "blocked", None),
            ("RRK", "S3", "RRK01", "CT1", "CT", ts("2026-03-30 23:00"), 60, "booked", "A004"),
            ("RRK", "S4", "RRK01", "MR1", "MR", ts("2026-03-20 09:00"), 30, "booked", "A002"),
            ("RRK", "S5", "RRK01", "MR1", "MR", ts("2026-03-20 09:30"), 30, "free", None),
            ("RRK", "S6", "RRK01", "MR1", "MR", ts("2026-04-10 08:00"), 30, "booked", "A002"),
            ("RRK", "S7", "RRK01", "MR1", "MR", ts("2026-04-08 08:00"), 30, "free", None),
            ("RRK", "S8", "RRK01", "CT1", "CT", ts("2026-04-03 08:00"), 15, "free", None),
            ("RXK", "T1", "RXK01", "CT1", "CT", ts("2026-04-01 08:00"), 15, "free", None),
            ("RXK", "T2", "RXK01", "CT1", "CT", ts("2026-04-01 08:15"), 15, "free", None),
            ("RXK", "T3", "RXK01", "CT1", "CT", ts("2026-03-12 09:00"), 20, "booked", "B005"),
            ("RXK", "T4", "RXK01", "MR1", "MR", ts("2026-05-20 09:00"), 30, "free", None),
        ]
    else:
        s += [
            ("RRK", "S7", "RRK01", "MR1", "MR", ts("2026-04-08 08:00"), 30, "blocked", None),
            ("RRK", "S9", "RRK01", "MR1", "MR", ts("2026-04-22 08:00"), 30, "free", None),
            ("RXK", "T5", "RXK01", "CT1", "CT", ts("2026-04-21 08:00"), 15, "free", None),
        ]
    return s


def create_landing(db: Path) -> None:
    """Create the landing schema (the contract's DDL) in an empty database."""
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists landing")
        for name, cols in (
            ("exam_records", EXAM_RECORDS),
            ("exam_events", EXAM_EVENTS),
            ("capacity_slots", CAPACITY_SLOTS),
            ("load_manifest", LOAD_MANIFEST),
            ("rejected_rows", REJECTED_ROWS),
        ):
            con.execute(ddl(f"landing.{name}", cols))


def add_delivery(db: Path, delivery: int) -> None:
    """Load one night's deliveries: one exams file and one slots file per trust, plus (night 1)
    a quarantined file and rejected rows."""
    night = ts("2026-03-31 02:00") if delivery == 1 else ts("2026-04-20 02:00")
    base_id = 100 * delivery
    with duckdb.connect(str(db)) as con:
        files = {}
        for i, (trust, content) in enumerate(
            [("RRK", "exams"), ("RXK", "exams"), ("RRK", "slots"), ("RXK", "slots")]
        ):
            fid = base_id + i
            files[(trust, content)] = fid
            extract = night + (
                timedelta(hours=6) if (trust, delivery) == ("RXK", 2) else timedelta()
            )
            con.execute(
                "insert into landing.load_manifest values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    fid,
                    f"landing/{trust}/{content}_{delivery}.csv",
                    f"sha{fid}",
                    trust,
                    "event_csv",
                    content,
                    extract,
                    0,
                    0,
                    0,
                    night + timedelta(hours=1),
                    night + timedelta(hours=1, minutes=1),
                    "loaded",
                    None,
                    "delta",
                ],
            )
        if delivery == 1:
            fid = base_id + 9
            con.execute(
                "insert into landing.load_manifest values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    fid,
                    "landing/RXK/broken_1.csv",
                    "shabad",
                    "RXK",
                    "event_csv",
                    "exams",
                    night - timedelta(days=1),
                    0,
                    0,
                    0,
                    night,
                    night,
                    "quarantined",
                    "truncated_file: the file ends inside a quoted field",
                    "delta",
                ],
            )
        counts: dict[int, list[int]] = {fid: [0, 0] for fid in files.values()}
        for line, r in enumerate(_exams(delivery), start=2):
            fid = files[(r["trust_code"], "exams")]
            extract = con.execute(
                "select extract_at from landing.load_manifest where file_id = ?", [fid]
            ).fetchone()[0]
            con.execute(
                f"insert into landing.exam_records values ({', '.join('?' * len(EXAM_RECORDS))})",
                [fid, line, extract, *r.values()],
            )
            counts[fid][0] += 1
        for line, (trust, acc, eid, event, at, appt, actor, out) in enumerate(
            _events(delivery), start=100
        ):
            fid = files[(trust, "exams")]
            extract = con.execute(
                "select extract_at from landing.load_manifest where file_id = ?", [fid]
            ).fetchone()[0]
            con.execute(
                f"insert into landing.exam_events values ({', '.join('?' * len(EXAM_EVENTS))})",
                [fid, line, extract, trust, acc, eid, event, at, appt, actor, out, False, None],
            )
            counts[fid][0] += 1
        for line, (trust, sid, site, room, mod, start, minutes, state, acc) in enumerate(
            _slots(delivery), start=2
        ):
            fid = files[(trust, "slots")]
            extract = con.execute(
                "select extract_at from landing.load_manifest where file_id = ?", [fid]
            ).fetchone()[0]
            con.execute(
                f"insert into landing.capacity_slots values ({', '.join('?' * len(CAPACITY_SLOTS))})",
                [fid, line, extract, trust, sid, site, room, mod, start, minutes, state, acc],
            )
            counts[fid][0] += 1
        if delivery == 1:
            fid = files[("RXK", "exams")]
            for line in (500, 501):
                con.execute(
                    "insert into landing.rejected_rows values (?,?,?,?,?,?,?)",
                    [
                        fid,
                        "landing/RXK/exams_1.csv",
                        line,
                        "event_at",
                        "x,y,z",
                        "unparseable_timestamp",
                        "cannot read '31/02/2026 25:00'",
                    ],
                )
                counts[fid][1] += 1
        for fid, (loaded, rejected) in counts.items():
            con.execute(
                "update landing.load_manifest set rows_loaded = ?, rows_rejected = ?, "
                "rows_read = ? where file_id = ?",
                [loaded, rejected, loaded + rejected, fid],
            )


LATE_FILE_ID = 900


def add_late_redelivery(db: Path) -> None:
    """A file loaded after night 2 that re-sends an older extract (a trust re-sending a lost
    delivery): B005 with another priority and its verification at another time, and slot
    RXK-S1 in another state. Latest extract wins, so every row of it loses to what is kept."""
    extract = ts("2026-03-30 02:00")
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into landing.load_manifest values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                LATE_FILE_ID,
                "landing/RXK/exams_late.csv",
                "shalate",
                "RXK",
                "event_csv",
                "exams",
                extract,
                3,
                3,
                0,
                ts("2026-04-21 01:00"),
                ts("2026-04-21 01:01"),
                "loaded",
                None,
                "delta",
            ],
        )
        _resend_record(con, LATE_FILE_ID, 2, extract, "B005", priority="routine")
        con.execute(
            "insert into landing.exam_events select ?, 3, ?, trust_code, accession, "
            "source_event_id, event, event_at + interval 1 day, appointment_at, actor_id, "
            "actor_outsourced, local_time_ambiguous, dq_flags from landing.exam_events "
            "where source_event_id = 'B005:4'",
            [LATE_FILE_ID, extract],
        )
        con.execute(
            "insert into landing.capacity_slots select ?, 4, ?, trust_code, slot_id, "
            "site_code, room, modality, slot_start, slot_minutes, 'blocked', accession "
            "from landing.capacity_slots where trust_code = 'RXK' "
            "order by file_id, source_line limit 1",
            [LATE_FILE_ID, extract],
        )


def build_landing(db: Path, deliveries: int = 1) -> Path:
    create_landing(db)
    for d in range(1, deliveries + 1):
        add_delivery(db, d)
    return db


CORRECTION_FILE_ID = 950


def _add_exam_file(con, file_id: int, name: str, extract: datetime, rows: int) -> None:
    """The manifest row of a loaded RXK exam file extracted at `extract`, loaded an hour later."""
    con.execute(
        "insert into landing.load_manifest values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            file_id,
            f"landing/RXK/{name}",
            f"sha_{name}",
            "RXK",
            "event_csv",
            "exams",
            extract,
            rows,
            rows,
            0,
            extract + timedelta(hours=1),
            extract + timedelta(hours=1, minutes=1),
            "loaded",
            None,
            "delta",
        ],
    )


def _resend_record(
    con, file_id: int, line: int, extract: datetime, copied: str, **changes: object
) -> None:
    """The latest record of RXK exam `copied` delivered again in file `file_id`, with `changes`
    (another accession makes it a new exam's record)."""
    record = con.execute(
        "select * from landing.exam_records where trust_code = 'RXK' "
        "and accession = ? order by extract_at desc limit 1",
        [copied],
    ).df()
    assert len(record) == 1, copied
    for column, value in changes.items():
        assert record[column].iloc[0] != value, (copied, column)
    con.register(
        "resent_record",
        record.assign(file_id=file_id, source_line=line, extract_at=extract, **changes),
    )
    con.execute("insert into landing.exam_records select * from resent_record")
    con.unregister("resent_record")


def add_correction(db: Path) -> None:
    """A file after night 1 that corrects one old exam: B006 (tested 10 February) re-sent as
    urgent. February keeps its number of exams, and is beyond the as-of date's reach of a
    build three weeks later: only the changed exam tells a month mart to rebuild it.
    The same file sends a request the trust had missed: B007, a CT chest for B001's patient,
    requested on 15 November 2025, before B001: from then on B007 is the patient's longest
    wait for CT and counts them on the DM01 list, B001 (unchanged) no longer does."""
    extract = ts("2026-04-10 02:00")
    with duckdb.connect(str(db)) as con:
        _add_exam_file(con, CORRECTION_FILE_ID, "exams_correction.csv", extract, rows=3)
        _resend_record(con, CORRECTION_FILE_ID, 2, extract, "B006", priority="urgent")
        _resend_record(con, CORRECTION_FILE_ID, 3, extract, "B001", accession="B007")
        con.execute(
            f"insert into landing.exam_events values ({', '.join('?' * len(EXAM_EVENTS))})",
            [
                CORRECTION_FILE_ID,
                4,
                extract,
                "RXK",
                "B007",
                "B007:1",
                "requested",
                ts("2025-11-15 09:00"),
                None,
                None,
                None,
                False,
                None,
            ],
        )


PATIENT_MOVE_FILE_ID = 951


def add_patient_move(db: Path) -> None:
    """A file after add_correction's re-sending B007 with another patient's NHS number (the
    trust had put it on the wrong patient): B001, unchanged, counts its patient again."""
    extract = ts("2026-04-11 02:00")
    other = nhs_number("401023230")
    with duckdb.connect(str(db)) as con:
        _add_exam_file(con, PATIENT_MOVE_FILE_ID, "exams_patient_move.csv", extract, rows=1)
        _resend_record(
            con,
            PATIENT_MOVE_FILE_ID,
            2,
            extract,
            "B007",
            nhs_number=other,
            patient_key="pk_" + other,
        )


ENTERED_IN_ERROR_FILE_ID = 952


def add_entered_in_error(db: Path) -> None:
    """A file after add_patient_move withdrawing B001 as entered in error on 12 April (the
    event HL7 ORC-16 EIE lands as): B001, on the list since December, never existed, so it
    leaves every census, the past month ends too."""
    extract = ts("2026-04-13 02:00")
    with duckdb.connect(str(db)) as con:
        _add_exam_file(con, ENTERED_IN_ERROR_FILE_ID, "exams_entered_in_error.csv", extract, rows=1)
        con.execute(
            f"insert into landing.exam_events values ({', '.join('?' * len(EXAM_EVENTS))})",
            [
                ENTERED_IN_ERROR_FILE_ID,
                2,
                extract,
                "RXK",
                "B001",
                "B001:eie",
                "entered_in_error",
                ts("2026-04-12 10:00"),
                None,
                None,
                None,
                False,
                None,
            ],
        )


# Builds 13-15: withdrawals by full deliveries, after night 2, as of two days later.
AS_OF_WITHDRAWALS = "2026-04-22"
WIDE_FILE_IDS = (960, 961)
SNAPSHOT_FILE_ID = 962


def _add_file(
    con, file_id: int, trust: str, family: str, mode: str, name: str, extract: datetime
) -> None:
    con.execute(
        "insert into landing.load_manifest values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            file_id,
            f"landing/{trust}/{name}",
            f"sha_{name}",
            trust,
            family,
            "exams",
            extract,
            1,
            1,
            0,
            extract + timedelta(hours=1),
            extract + timedelta(hours=1, minutes=1),
            "loaded",
            None,
            mode,
        ],
    )


def _wide_row(
    con,
    file_id: int,
    line: int,
    extract: datetime,
    accession: str,
    template: str,
    status: str,
    events: dict[str, tuple[str, str | None]],
) -> None:
    """One wide row of RRK: the exam record (copied from `template`'s) and one event per
    non-empty cell, without an event id, as the wide readers land them."""
    _resend_record_of(
        con, "RRK", file_id, line, extract, template, accession=accession, status=status
    )
    for event, (at, appointment) in events.items():
        con.execute(
            f"insert into landing.exam_events values ({', '.join('?' * len(EXAM_EVENTS))})",
            [
                file_id,
                line,
                extract,
                "RRK",
                accession,
                None,
                event,
                ts(at),
                ts(appointment) if appointment else None,
                None,
                None,
                False,
                None,
            ],
        )


def _resend_record_of(
    con, trust: str, file_id: int, line: int, extract: datetime, copied: str, **changes: object
) -> None:
    record = con.execute(
        "select * from landing.exam_records where trust_code = ? "
        "and accession = ? order by extract_at desc limit 1",
        [trust, copied],
    ).df()
    assert len(record) == 1, copied
    con.register(
        "resent_record",
        record.assign(file_id=file_id, source_line=line, extract_at=extract, **changes),
    )
    con.execute("insert into landing.exam_records select * from resent_record")
    con.unregister("resent_record")


def add_wide_exams(db: Path) -> None:
    """A wide RRK file (delta) after night 2: C001, booked and did not attend on 10 April (a
    booked MR slot that day); C002, a CT tested on 15 April and reported on the 16th."""
    extract = ts("2026-04-21 02:00")
    with duckdb.connect(str(db)) as con:
        _add_file(con, WIDE_FILE_IDS[0], "RRK", "wide_csv", "delta", "wide_1.csv", extract)
        _wide_row(
            con,
            WIDE_FILE_IDS[0],
            2,
            extract,
            "C001",
            "A002",
            "did_not_attend",
            {
                "requested": ("2026-04-01 09:00", None),
                "booked": ("2026-04-02 10:00", "2026-04-10 09:00"),
                "did_not_attend": ("2026-04-10 09:30", None),
            },
        )
        _wide_row(
            con,
            WIDE_FILE_IDS[0],
            3,
            extract,
            "C002",
            "A004",
            "reported",
            {
                "requested": ("2026-04-12 08:00", None),
                "exam_started": ("2026-04-15 10:00", None),
                "exam_completed": ("2026-04-15 10:20", None),
                "report_verified": ("2026-04-16 12:00", None),
            },
        )
        for line, (slot, start) in enumerate(
            [("S20", "2026-04-10 09:00"), ("S21", "2026-04-17 09:00")], start=4
        ):
            con.execute(
                f"insert into landing.capacity_slots values "
                f"({', '.join('?' * len(CAPACITY_SLOTS))})",
                [
                    WIDE_FILE_IDS[0],
                    line,
                    extract,
                    "RRK",
                    slot,
                    "RRK01",
                    "MR1",
                    "MR",
                    ts(start),
                    30,
                    "booked",
                    "C001",
                ],
            )


def add_withdrawals(db: Path) -> None:
    """The next night, full deliveries withdraw and repeat events:
    - wide RRK file: C001 rebooked and did not attend again on 17 April (the booked and DNA
      cells moved forward: second occurrences, the first ones stay); C002's report cell is
      empty (the report was taken back): withdrawn;
    - an RXK snapshot: B004 with every event but its verified report: withdrawn."""
    extract = ts("2026-04-22 02:00")
    with duckdb.connect(str(db)) as con:
        _add_file(con, WIDE_FILE_IDS[1], "RRK", "wide_csv", "delta", "wide_2.csv", extract)
        _wide_row(
            con,
            WIDE_FILE_IDS[1],
            2,
            extract,
            "C001",
            "C001",
            "did_not_attend",
            {
                "requested": ("2026-04-01 09:00", None),
                "booked": ("2026-04-11 10:00", "2026-04-17 09:00"),
                "did_not_attend": ("2026-04-17 09:30", None),
            },
        )
        _wide_row(
            con,
            WIDE_FILE_IDS[1],
            3,
            extract,
            "C002",
            "C002",
            "completed",
            {
                "requested": ("2026-04-12 08:00", None),
                "exam_started": ("2026-04-15 10:00", None),
                "exam_completed": ("2026-04-15 10:20", None),
            },
        )
        _add_file(con, SNAPSHOT_FILE_ID, "RXK", "event_csv", "snapshot", "snapshot.csv", extract)
        _resend_record_of(con, "RXK", SNAPSHOT_FILE_ID, 2, extract, "B004", status="completed")
        con.execute(
            "insert into landing.exam_events select ?, source_line, ?, trust_code, "
            "accession, source_event_id, event, event_at, appointment_at, actor_id, "
            "actor_outsourced, local_time_ambiguous, dq_flags from landing.exam_events "
            "where accession = 'B004' and event <> 'report_verified'",
            [SNAPSHOT_FILE_ID, extract],
        )
