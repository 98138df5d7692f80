"""A file's rows reconcile against its physical lines: read = loaded + rejected = the data lines
counted straight from the bytes (or sheet rows, or HL7 messages), or the file is quarantined.
A cut-off last line ending in garbage bytes is never dropped without a word."""

from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook

from ingest.readers import QuarantineError, read_file
from tests.ingest.conftest import FIX


def csv_data_lines(data: bytes) -> int:
    """Non-empty lines after the header, as a person counting lines would."""
    return sum(1 for line in data.split(b"\n")[1:] if line.strip(b"\r"))


def hl7_messages(data: bytes) -> int:
    return sum(
        1
        for seg in data.replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r")
        if seg.startswith(b"MSH")
    )


def sheet_rows(path, sheets=None) -> int:
    """Non-empty rows below the header of every sheet (the exam and the slot sheet)."""
    wb = CalamineWorkbook.from_path(str(path))
    total = 0
    for name in sheets or wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python()
        total += sum(1 for row in rows[1:] if any(v not in (None, "") for v in row))
    return total


@pytest.mark.parametrize(
    "name,spec,reason",
    [
        ("wide_csv/garbage_tail_TWC_EXAMS_20241031_0200.csv", "TWC", "truncated_file"),
        ("event_csv/garbage_tail_tev_events_202403090200.txt", "TEV", "truncated_file"),
        ("hl7v2/garbage_tail_THL_20241031020000.hl7", "THL", "truncated_file"),
        ("excel/truncated_TXL_20240311-0200.xlsx", "TXL", "truncated_file"),
    ],
)
def test_a_last_line_cut_off_in_garbage_quarantines_the_file(specs, name, spec, reason):
    with pytest.raises(QuarantineError) as e:
        read_file(FIX / name, specs[spec], file_path=name)
    assert e.value.reason == reason
    assert "truncated" in e.value.message


@pytest.mark.parametrize(
    "name,spec,count,reason",
    [
        ("wide_csv/TWC_EXAMS_20241029_0200.csv", "TWC", csv_data_lines, None),
        (
            "wide_csv/garbage_line_TWC_EXAMS_20241031_0200.csv",
            "TWC",
            csv_data_lines,
            "malformed_line",
        ),
        ("event_csv/tev_events_202403080200.txt", "TEV", csv_data_lines, None),
        ("hl7v2/THL_20241029020000.hl7", "THL", hl7_messages, None),
        ("hl7v2/garbage_end_THL_20241031020000.hl7", "THL", hl7_messages, "malformed_line"),
        ("excel/garbage_row_TXL_20240318-0200.xlsx", "TXL", sheet_rows, None),
    ],
)
def test_rows_read_are_the_physical_lines_and_each_is_loaded_or_rejected(
    specs, name, spec, count, reason
):
    path = FIX / name
    res = read_file(path, specs[spec], file_path=name)
    physical = count(path if spec == "TXL" else path.read_bytes())
    assert res.rows_read == physical
    assert res.rows_loaded + res.rows_rejected == res.rows_read
    assert res.rows_rejected == len(set(res.rejected["line"]))
    if reason is not None:  # the broken line is the one rejected, with its reason
        assert reason in set(res.rejected["reason_code"])


def test_the_garbage_row_of_a_workbook_is_rejected_with_a_reason(specs):
    name = "excel/garbage_row_TXL_20240318-0200.xlsx"
    res = read_file(FIX / name, specs["TXL"], file_path=name)
    last = sheet_rows(FIX / name, [specs["TXL"].exam_sheet]) + 1  # the garbage row's number
    assert last in set(res.rejected["line"])


def test_a_cut_off_csv_from_a_real_shaped_feed_is_quarantined_not_shortened(specs):
    """The shape the issue saw: a full delivery, its last line cut and garbage appended."""
    good = (FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv").read_bytes()
    for tail in (b"\xff\xfe\x93", b"\xe2\x82", b"\x9d\x81garbage"):
        cut = good.rstrip(b"\n")[:-10] + tail
        with pytest.raises(QuarantineError) as e:
            read_file(FIX / "x.csv", specs["TWC"], data=cut, file_path="x.csv")
        assert e.value.reason == "truncated_file"
