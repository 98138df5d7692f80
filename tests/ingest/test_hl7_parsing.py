"""HL7 v2 reader details the bulk split and parse (hl7_split, hl7_time) keep as the message by
message reader (strptime, re.split) had them."""

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ingest.readers import read_file
from ingest.readers.hl7_split import Fields, first_bad_segments, split_batch
from ingest.readers.hl7_time import parse_ts


@pytest.mark.parametrize(
    "text,tz,expected",
    [
        ("20240305", "UTC", (datetime(2024, 3, 5, tzinfo=UTC), False)),
        ("2024030514", "UTC", (datetime(2024, 3, 5, 14, tzinfo=UTC), False)),
        ("202403051430", "UTC", (datetime(2024, 3, 5, 14, 30, tzinfo=UTC), False)),
        (" 20240305143059.123 \n", "UTC", (datetime(2024, 3, 5, 14, 30, 59, tzinfo=UTC), False)),
        ("20240305143059Z", "Europe/London", (datetime(2024, 3, 5, 14, 30, 59, tzinfo=UTC), False)),
        ("202403051430+0100", "Europe/London", (datetime(2024, 3, 5, 13, 30, tzinfo=UTC), False)),
        ("202403051430-0530", "Europe/London", (datetime(2024, 3, 5, 20, 0, tzinfo=UTC), False)),
        ("202403051430+1400", "UTC", (datetime(2024, 3, 5, 0, 30, tzinfo=UTC), False)),
        ("202407011200", "Europe/London", (datetime(2024, 7, 1, 11, 0, tzinfo=UTC), False)),
        # 01:30 on the October change happens twice in London: the first (BST) reading, flagged ambiguous
        ("202410270130", "Europe/London", (datetime(2024, 10, 27, 0, 30, tzinfo=UTC), True)),
        ("20240229", "UTC", (datetime(2024, 2, 29, tzinfo=UTC), False)),
        # Arabic-Indic digits match \d in the year, as strptime's %Y did
        ("\u0662\u0660\u0662\u00340101", "UTC", (datetime(2024, 1, 1, tzinfo=UTC), False)),
    ],
)
def test_parse_ts_accepts(text, tz, expected):
    assert parse_ts(text, tz) == expected


@pytest.mark.parametrize(
    "text",
    [
        "20240230",  # no 30 February
        "20230229",  # not a leap year
        "20241305",
        "20240005",
        "20240132",
        "00000101",
        "2024030524",
        "202403051260",
        "20240305120060",
        "20240305120061",  # strptime took 60, 61 then failed
        "202403051430+1401",
        "202403051430+0160",
        "202403051430-1500",
        "2024030",
        "2024-03-05",
        "202403051430+01",
        "x20240305",
        "19000\u0662\u0662700",  # a non-ASCII digit in the month, which strptime's %m does not match
    ],
)
def test_parse_ts_rejects(text):
    with pytest.raises(ValueError):
        parse_ts(text, "Europe/London")


def test_split_batch_cuts_at_crlf_cr_and_lf_alike():
    # other line breaks str.splitlines() knows (\x0b, \x1c MLLP framing, \x85) stay inside a segment
    text = "MSH|a\r\nPID|1\r\rPV1|2\x0bz\x1c\x85\nMSH|b\r\r\n \x1c\rORC|3\r"
    batch = split_batch(text)
    assert batch.segments.to_pylist() == ["MSH|a", "PID|1", "PV1|2\x0bz\x1c\x85", "MSH|b", "ORC|3"]
    assert batch.message_of.tolist() == [0, 0, 0, 1, 1] and batch.messages == 2
    assert batch.raw().to_pylist() == ["MSH|a\rPID|1\rPV1|2\x0bz\x1c\x85", "MSH|b\rORC|3"]


def test_a_batch_not_starting_with_msh_starts_a_message_anyway():
    assert split_batch(" MSH|a\rPID|1\rMSH|b\r").message_of.tolist() == [0, 0, 1]


def _fields(segments: list[str]) -> Fields:
    batch = split_batch("\r".join(segments))
    return Fields(batch, np.arange(batch.messages), "|", "^", "~")


def test_get_reads_first_repetition_and_component_and_unescapes():
    f = _fields(["MSH|^~\\&|A", "PID|1|a~b|x^y^z|  \\F\\pipe\\S\\hat  ||", "PID|9|second"])
    assert f.get("PID", 2).to_pylist() == ["a"]
    assert f.get("PID", 3).to_pylist() == ["x"] and f.get("PID", 3, 3).to_pylist() == ["z"]
    assert f.get("PID", 3, 4).to_pylist() == [None]
    assert f.raw("PID", 3).to_pylist() == ["x^y^z"]
    assert f.get("PID", 4).to_pylist() == ["|pipe^hat"]
    assert f.get("PID", 5).to_pylist() == [None] and f.raw("PID", 5).to_pylist() == [""]
    assert f.get("PID", 40).to_pylist() == [None] and f.get("OBR", 1).to_pylist() == [None]
    assert f.get("PID", 1).to_pylist() == ["1"]  # the first of a repeated segment is the one read
    assert f.raw("MSH", 3).to_pylist() == ["A"]  # MSH-1 is the field separator itself


def test_repeated_segment_is_still_checked():
    batch = split_batch("MSH|^~\\&|A\rPID|1\rPID^2\rMSH|^~\\&|B\rP1D|x\r")
    first = first_bad_segments(batch, pa.array(["|", "|"]))
    assert first.tolist() == [2, -1]
    first = first_bad_segments(split_batch("MSH|x\rpid|1\r"), pa.array(["|"]))
    assert first.tolist() == [1]


_MSG = (
    "MSH|^~\\&|RIS|THL|WMIN|WMIN|{ts}||ORM^O01|ID{no}|P|2.4\r"
    "PID|1||M1^^^THL^MR~9434765919^^^NHS^NH||||{birth}|F\r"
    "ORC|SC||ACC{no}||CM\r"
    "OBR|1||ACC{no}|XCHE^Chest^L|R||||||||OP|||||||||||DX\r"
)


def test_birth_dates_and_timestamps_loaded_or_rejected_as_before(specs):
    cases = [
        ("202403051430", "19891222"),
        ("202403051430", "202411"),
        ("202403051430", "20241301"),
        ("202403051430", "1989122"),
        ("20240230", "19891222"),
        ("202403051430", ""),
    ]
    data = "".join(
        _MSG.format(no=no, ts=ts, birth=birth) for no, (ts, birth) in enumerate(cases)
    ).encode()
    res = read_file(Path("THL_test.hl7"), specs["THL"], data=data, file_path="THL_test.hl7")
    rec = res.exam_records.set_index("accession")
    # strptime("%Y%m%d") matched '202411' as 2024-1-1 and '1989122' as 1989-12-2: kept for those
    assert rec.loc["ACC0", "birth_date"] == date(1989, 12, 22)
    assert rec.loc["ACC1", "birth_date"] == date(2024, 1, 1)
    assert rec.loc["ACC3", "birth_date"] == date(1989, 12, 2)
    assert pd.isna(rec.loc["ACC5", "birth_date"])
    rej = res.rejected.set_index("line")
    assert sorted(rej.index) == [3, 5]
    assert rej.loc[3, "reason_code"] == "unparseable_date" and rej.loc[3, "field"] == "birth_date"
    assert rej.loc[3, "message"].startswith("message 3: PID-7 '20241301' is not a date YYYYMMDD")
    assert (
        rej.loc[5, "reason_code"] == "unparseable_timestamp" and rej.loc[5, "field"] == "event_at"
    )
    assert rej.loc[5, "message"].startswith("message 5: MSH-7 '20240230' is not an HL7 timestamp")
    assert res.rows_read == 6 and res.rows_loaded == 4


def test_timestamp_leaving_the_calendar_is_a_value_error_not_a_crash() -> None:
    # converting year 1 at +01:00 to UTC falls before datetime.min
    with pytest.raises(ValueError):
        parse_ts("00010101000000+0100")


def test_cancel_with_order_control_reason_eie_is_entered_in_error(specs):
    """ORC-1 CA with ORC-16 EIE withdraws the request as entered in error (canonical event
    `entered_in_error`, not flagged unmapped); a cancel for another reason stays `cancelled`, and
    EIE on a message that is no cancel changes nothing."""
    path = Path(__file__).parent / "fixtures/hl7v2_entered_in_error/THL_20241101020000.hl7"
    res = read_file(path, specs["THL"], file_path=path.name)
    ev = res.exam_events.set_index("source_event_id")
    assert res.rejected.empty and len(ev) == 5
    assert ev.loc["E3", ["accession", "event"]].tolist() == ["H1", "entered_in_error"]
    assert ev.loc["E4", ["accession", "event"]].tolist() == ["H2", "cancelled"]
    assert ev.loc["E5", "event"] == "booked"
    assert not ev["dq_flags"].fillna("").str.contains("unmapped_value").any()


def test_messages_with_their_own_separators_gap_times_and_other_digits_read_as_before(specs):
    """Values the message by message reader gave: a message with `#` as its field separator
    among `|` ones; 01:30 on the spring change (in the gap) read at the winter offset and
    flagged, as is the repeated 01:30 in autumn (its first, summer, reading); an offset in
    Arabic-Indic digits; ORC-5 empty so OBR-25 `P` names the event; OBR-32.2 OUTSOURCED."""
    text = (
        "MSH#^~\\&#RIS#THL#W#W#202403310130##ORM^O01#E1#P#2.4\r"
        "PID#1##M1^^^THL^MR~943 476 5919^^^NHS^NH\r"
        "ORC#SC##H1##\r"
        "OBR#1##H1#XCHE^Chest#R####################P#######DR1^OUTSOURCED\r"
        "MSH|^~\\&|RIS|THL|W|W|20241027013000+\u0660\u0661\u0660\u0660||ORM^O01|E2|P|2.4\r"
        "ORC|CA||H2||CA|||||||||||eie\r"
        "MSH|^~\\&|RIS|THL|W|W|202410270130||ORM^O01|E3|P|2.4\r"
        "ORC|SC||H3||CM\r"
    )
    res = read_file(Path("THL_t.hl7"), specs["THL"], data=text.encode(), file_path="THL_t.hl7")
    ev = res.exam_events.set_index("source_event_id")
    assert res.rejected.empty
    assert ev["event"].tolist() == ["reported_prelim", "entered_in_error", "exam_completed"]
    assert ev["event_at"].tolist() == [
        pd.Timestamp("2024-03-31 01:30", tz="UTC"),
        pd.Timestamp("2024-10-27 00:30", tz="UTC"),
        pd.Timestamp("2024-10-27 00:30", tz="UTC"),
    ]
    assert ev["local_time_ambiguous"].tolist() == [True, False, True]
    assert ev.loc["E1", ["actor_id", "actor_outsourced"]].tolist() == ["DR1", True]
    rec = res.exam_records.set_index("accession")
    assert rec.loc["H1", "nhs_number"] == "943 476 5919"


def test_records_flag_events_out_of_workflow_order_by_the_earliest_of_each(specs):
    """An exam completed before it was requested, a patient born after the request, and a
    request received before the request are out of order; a late repeat of the request is not
    (the earliest request counts)."""
    msg = (
        "MSH|^~\\&|R|THL|W|W|{ts}||ORM^O01|{id}|P|2.4\r"
        "PID|1||M1^^^THL^MR~9434765919^^^NHS^NH||||{birth}|F\r"
        "ORC|SC||{acc}||{ev}\r"
    )
    rows = [
        ("H1", "OR", "202403051000", "19800101"),
        ("H1", "CM", "202403041000", "19800101"),
        ("H2", "OR", "202403051000", "20250101"),
        ("H2", "CM", "202403061000", "20250101"),
        ("H3", "CM", "202403061000", ""),
        ("H3", "OR", "202403071000", ""),
        ("H3", "OR", "202403011000", ""),
        ("H4", "RC", "202403071000", ""),
        ("H4", "OR", "202403081000", ""),
    ]
    text = "".join(
        msg.format(acc=a, ev=e, ts=t, birth=b, id=i) for i, (a, e, t, b) in enumerate(rows)
    )
    res = read_file(Path("THL_t.hl7"), specs["THL"], data=text.encode(), file_path="THL_t.hl7")
    flags = res.exam_records.set_index("accession")["dq_flags"]
    assert flags.loc[["H1", "H2", "H4"]].tolist() == ["dates_out_of_order"] * 3
    assert pd.isna(flags.loc["H3"])
    assert res.exam_records["source_line"].tolist() == [2, 4, 7, 9]  # each accession's last row
