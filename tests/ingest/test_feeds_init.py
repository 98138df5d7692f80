"""`wmin feeds init`: a drafted spec from a sample in a dialect the synthetic network does not
use (fixtures/build_draft.py), and from the HL7 and Excel fixtures."""

import re

import yaml
from typer.testing import CliRunner

from ingest.feeds.check import EXIT_OK, EXIT_UNMAPPED, check_feed
from ingest.feeds.draft import detect_encoding, draft_spec, name_timestamp
from ingest.feeds.draft_yaml import yaml_text
from ingest.feeds.spec import load_spec
from pipeline.cli import app
from tests.ingest.conftest import FIX

SAMPLE = FIX / "draft/NEWCDC_Activity_20261105.csv"


def _cols(d):
    return {f: g.value for f, g in d.columns.items()}


def test_dialect_formats_and_extract_time_are_found():
    d = draft_spec(SAMPLE, "NCD01")
    assert (d.family.value, d.encoding.value, d.delimiter.value) == ("wide_csv", "cp1252", ";")
    assert (d.datetime_format.value, d.date_format.value) == ("%d.%m.%Y %H:%M", "%d.%m.%Y")
    et = {k: g.value for k, g in d.extract_time.items()}
    assert et == {"pattern": r"_(\d{8})", "format": "%Y%m%d", "column": "EXTRACT_DTTM"}
    assert d.files_exams.value == "NEWCDC_Activity_*.csv"
    assert d.procedure_code_system.value == "local"


def test_columns_by_name_and_by_content():
    cols = _cols(draft_spec(SAMPLE, "NCD01"))
    assert cols["accession"] == "Order Accession" and cols["sex"] == "Gender"  # by name
    assert cols["nhs_number"] == "Patient Identifier" and cols["postcode"] == "Home PC"  # content
    assert cols["birth_date"] == "Born"
    # unnamed timestamp columns in the usual workflow order
    assert [
        cols[f] for f in ("requested_at", "booked_at", "exam_completed_at", "report_verified_at")
    ] == ["T_REQ", "T_BOOK", "T_SCAN", "T_AUTH"]


def test_every_guessed_line_is_commented_and_the_draft_is_a_valid_spec(tmp_path):
    d = draft_spec(SAMPLE, "NCD01")
    text = yaml_text(d)
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and not line.rstrip().endswith(":"):
            assert "  # " in line, line
    assert "'Routine': 'routine'  # likely" in text and "'2WW': 'suspected_cancer'" in text
    path = tmp_path / "NCD01.yml"
    path.write_text(text)
    spec = load_spec(path)
    assert spec.extract_time.column == "EXTRACT_DTTM"
    rep = check_feed(path, SAMPLE)
    assert rep.ok and rep.rows_loaded == rep.rows_read == 24 and rep.exit_code() == EXIT_OK
    assert rep.extract_source.startswith("column 'EXTRACT_DTTM'")


def test_words_left_unmapped_are_listed_for_the_user(tmp_path):
    sample = tmp_path / "NCD01_20261105.csv"
    sample.write_bytes(SAMPLE.read_bytes().replace(b";Routine;", b";RTN;"))
    text = yaml_text(draft_spec(sample, "NCD01"))
    assert "# 'RTN': TODO  (12 rows)" in text
    assert re.search(r"value_maps\.priority: map 1 word", text)
    path = tmp_path / "NCD01.yml"
    path.write_text(text)
    rep = check_feed(path, sample)
    assert ("priority", "RTN", 12) in rep.unmapped_values and rep.exit_code() == EXIT_UNMAPPED


def test_hl7_and_excel_samples(specs):
    h = draft_spec(FIX / "hl7v2/THL_20241028020000.hl7", "THL")
    assert h.family.value == "hl7v2" and h.extract_time["format"].value == "%Y%m%d%H%M%S"
    assert "event" in h.words and [q.value for q in h.quirks] == ["hl7_repeat_nhs_in_pid3"]
    x = draft_spec(FIX / "excel/TXL_20240304-0200.xlsx", "TXL")
    assert x.family.value == "excel" and x.exam_sheet.value == specs["TXL"].exam_sheet
    assert _cols(x)["accession"] == "Accession No"
    assert "excel_serial_dates" in [q.value for q in x.quirks]


def test_name_timestamps_and_encodings():
    assert name_timestamp("DGFT_RadExams_311220250200.csv")["format"] == "%d%m%Y%H%M"
    t = name_timestamp("UHCW_RAD_ORDERS_20260301T020000Z.tsv")
    assert (t["pattern"], t["format"]) == (r"_(\d{8}T\d{6}Z)", "%Y%m%dT%H%M%SZ")
    assert name_timestamp("export.csv") is None
    assert detect_encoding(b"\xef\xbb\xbfa,b\n").value == "utf-8-sig"
    assert detect_encoding("é".encode()).value == "utf-8"
    assert detect_encoding("é".encode("cp1252")).value == "cp1252"


def test_cli_never_overwrites_without_force(tmp_path):
    out = tmp_path / "NCD01.yml"
    runner = CliRunner()
    args = ["feeds", "init", str(SAMPLE), "--trust", "NCD01", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    out.write_text("# edited by hand\n")
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and "--force" in res.output
    assert out.read_text() == "# edited by hand\n"
    assert runner.invoke(app, args + ["--force"]).exit_code == 0
    assert yaml.safe_load(out.read_text())["trust_code"] == "NCD01"
