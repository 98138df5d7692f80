"""The extract time from a column (spec `extract_time.column`) or the file name, and the
`event_after_extract` flag (fixtures: tests/ingest/fixtures/build_extract_time.py)."""

from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from ingest.feeds.spec import ExtractTime, FeedSpec, SpecError, load_spec
from ingest.readers import QuarantineError, read_file
from ingest.readers.timestamps import extract_time
from tests.ingest.conftest import FIX

WIDE = FIX / "wide_csv"


def _flags(frame: pd.DataFrame) -> pd.Series:
    return frame["dq_flags"].astype(object).fillna("")


def _column_only(spec: FeedSpec) -> FeedSpec:
    et = spec.extract_time.model_copy(update={"pattern": None, "format": None})
    return spec.model_copy(update={"extract_time": et})


def test_column_wins_over_a_name_holding_only_the_date(specs):
    spec = specs["TXC"]
    name = "TXC_EXAMS_20241028.csv"
    by_name = extract_time(spec, name)
    assert by_name == datetime(2024, 10, 28, tzinfo=UTC)  # midnight: the name has no time
    res = read_file(WIDE / name, spec, extract_at=by_name)
    assert res.extract_at == datetime(2024, 10, 28, 6, 30, tzinfo=UTC)  # GMT on the 28th
    assert res.extract_source.startswith("column 'EXTRACT_DTTM'")
    assert res.rows_read == res.rows_loaded == 4
    assert (res.exam_records["extract_at"] == pd.Timestamp(res.extract_at)).all()
    flagged = res.exam_records.loc[
        _flags(res.exam_records).str.contains("event_after_extract"), "accession"
    ]
    assert flagged.tolist() == ["W0003"]  # verified at 09:15, after the 06:30 extract
    late = res.exam_events[_flags(res.exam_events).str.contains("event_after_extract")]
    assert late[["accession", "event"]].values.tolist() == [["W0003", "report_verified"]]


def test_without_the_column_the_name_is_too_early_and_flags_every_exam(specs):
    spec = specs["TXC"]
    no_column = spec.model_copy(
        update={
            "extract_time": ExtractTime(
                pattern=spec.extract_time.pattern, format=spec.extract_time.format
            )
        }
    )
    name = "TXC_EXAMS_20241028.csv"
    res = read_file(WIDE / name, no_column, extract_at=extract_time(no_column, name))
    assert res.extract_source == "file name"
    assert _flags(res.exam_records).str.contains("event_after_extract").all()


def test_column_only_spec(specs):
    spec = _column_only(specs["TXC"])
    assert extract_time(spec, "TXC_EXAMS_20241028.csv") is None  # discovery: no time from the name
    res = read_file(WIDE / "TXC_EXAMS_20241028.csv", spec)
    assert res.extract_at == datetime(2024, 10, 28, 6, 30, tzinfo=UTC)
    assert res.extract_source == "column 'EXTRACT_DTTM'"


def test_missing_column_quarantines_naming_file_field_and_column(specs):
    with pytest.raises(QuarantineError) as e:
        read_file(WIDE / "TXC_EXAMS_20241029.csv", specs["TXC"])
    assert e.value.reason == "missing_required_columns"
    assert "TXC_EXAMS_20241029.csv" in e.value.message
    assert "extract_time ('EXTRACT_DTTM')" in e.value.message


def test_unparseable_value_rejects_its_row_naming_line_and_field(specs):
    res = read_file(WIDE / "TXC_EXAMS_20241030.csv", specs["TXC"])
    assert res.rows_read == 4 and res.rows_loaded == 3
    rej = res.rejected.iloc[0]
    assert (rej["line"], rej["field"], rej["reason_code"]) == (
        3,
        "extract_time",
        "unparseable_timestamp",
    )
    assert "EXTRACT_DTTM" in rej["message"] and "'%d/%m/%Y %H:%M'" in rej["message"]
    assert res.extract_at == datetime(2024, 10, 30, 6, 30, tzinfo=UTC)


def test_no_readable_value_and_no_name_time_quarantines(specs):
    spec = _column_only(specs["TXC"])
    with pytest.raises(QuarantineError) as e:
        read_file(WIDE / "TXC_EXAMS_20241031.csv", spec)
    assert e.value.reason == "unreadable"
    msg = e.value.message
    assert "TXC_EXAMS_20241031.csv" in msg and "line 2" in msg and "extract_time" in msg
    # with a name time to fall back on, the rows are rejected and the name's time stands
    res = read_file(
        WIDE / "TXC_EXAMS_20241031.csv",
        specs["TXC"],
        extract_at=extract_time(specs["TXC"], "TXC_EXAMS_20241031.csv"),
    )
    assert res.rows_loaded == 0 and res.rows_rejected == 2
    assert res.extract_at == datetime(2024, 10, 31, tzinfo=UTC)


def test_excel_reads_the_column_from_datetime_cells(specs, tmp_path):
    wb = load_workbook(FIX / "excel/TXL_20240304-0200.xlsx")
    ws = wb[specs["TXL"].exam_sheet]
    col = ws.max_column + 1
    ws.cell(row=1, column=col, value="Extracted")
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=col, value=datetime(2024, 3, 4, 7, 45))
    path = tmp_path / "TXL_20240304-0200.xlsx"
    wb.save(path)
    et = specs["TXL"].extract_time.model_copy(update={"column": "Extracted"})
    spec = specs["TXL"].model_copy(update={"extract_time": et})
    res = read_file(path, spec, extract_at=extract_time(spec, path.name))
    assert res.extract_at == datetime(2024, 3, 4, 7, 45, tzinfo=UTC)
    assert (res.exam_records["extract_at"] == pd.Timestamp(res.extract_at)).all()


def test_hl7_takes_the_name_and_rejects_a_column(specs, tmp_path):
    res = read_file(
        FIX / "hl7v2/THL_20241028020000.hl7",
        specs["THL"],
        extract_at=extract_time(specs["THL"], "THL_20241028020000.hl7"),
    )
    assert res.extract_source == "file name"
    raw = specs["THL"].model_dump()
    raw["extract_time"]["column"] = "MSH-7"
    bad = tmp_path / "THL.yml"
    import yaml

    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError, match=r"extract_time\.column"):
        load_spec(bad)


@pytest.mark.parametrize(
    "extract,message",
    [
        ({}, "give 'pattern' and 'format'"),
        ({"pattern": "_(\\d{8})"}, "'pattern' and 'format' go together"),
        ({"column": "X", "format": "%Y"}, "'pattern' and 'format' go together"),
    ],
)
def test_extract_time_keys_are_checked(extract, message):
    with pytest.raises(ValueError, match=message):
        ExtractTime(**extract)


def test_the_loader_lands_the_column_time_and_the_flag(specs, tmp_path):
    import shutil

    import duckdb

    from ingest import loader

    land = tmp_path / "landing" / "TXC"
    land.mkdir(parents=True)
    for day in ("28", "29", "30"):
        shutil.copy(WIDE / f"TXC_EXAMS_202410{day}.csv", land)
    db = tmp_path / "r.duckdb"
    summary = loader.ingest_landing(db, tmp_path, {"TXC": specs["TXC"]}, b"k", validate=False)
    assert summary.trusts["TXC"].loaded == 2 and summary.trusts["TXC"].quarantined == 1
    with duckdb.connect(str(db), read_only=True) as con:
        manifest = dict(
            con.execute(
                "select file_path, extract_at from landing.load_manifest where outcome = 'loaded'"
            ).fetchall()
        )
        got = {k.rsplit("/", 1)[1]: v.astimezone(UTC) for k, v in manifest.items()}
        assert got == {
            "TXC_EXAMS_20241028.csv": datetime(2024, 10, 28, 6, 30, tzinfo=UTC),
            "TXC_EXAMS_20241030.csv": datetime(2024, 10, 30, 6, 30, tzinfo=UTC),
        }
        landed = con.execute(
            "select distinct extract_at from landing.exam_records "
            "where file_id = (select min(file_id) from landing.load_manifest)"
        ).fetchall()
        assert [t.astimezone(UTC) for (t,) in landed] == [got["TXC_EXAMS_20241028.csv"]]
        flagged = con.execute(
            "select accession from landing.exam_records where dq_flags like '%event_after_extract%'"
        ).fetchall()
        assert flagged == [("W0003",)]
        reason, message = con.execute(
            "select reason_code, message from landing.quarantined_files"
        ).fetchone()
        assert reason == "missing_required_columns" and "EXTRACT_DTTM" in message
