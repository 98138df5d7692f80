"""`wmin feeds check`: what a new trust's spec still lacks, on the ingest fixtures."""

import yaml
from typer.testing import CliRunner

from ingest.feeds.check import EXIT_ERROR, EXIT_OK, EXIT_UNMAPPED, check_feed, render
from pipeline.cli import app
from tests.ingest.conftest import FIX

BROKEN = FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv"


def _seeds(tmp_path, sites: str, codes: str = ""):
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "sites.csv").write_text(
        "site_code,trust_code,site_name,is_synthetic_code,latitude,"
        "longitude,postcode_district\n" + sites
    )
    (d / "local_procedure_codes.csv").write_text("trust_code,local_code,nicip_code\n" + codes)
    return d


def test_unmapped_values_by_field_and_word_and_the_exit_code(tmp_path):
    rep = check_feed(
        FIX / "specs/TWC.yml", BROKEN, seeds_dir=_seeds(tmp_path, "TWC01,TWC,A,true,52,-1,B1\n")
    )
    assert rep.ok and rep.rows_loaded == 7
    assert rep.unmapped_values == [("priority", "ZZ", 1)]
    assert rep.rows_loaded_unmapped == 1
    assert rep.exit_code() == EXIT_UNMAPPED and rep.exit_code(accept_unmapped=True) == EXIT_OK
    assert rep.unknown_sites == []
    assert rep.extract_source == "file name" and rep.extract_at == "2024-10-29 02:00 UTC"


def test_unknown_sites_and_unmapped_file_columns(tmp_path):
    spec = yaml.safe_load((FIX / "specs/TWC.yml").read_text())
    del spec["columns"]["room"], spec["columns"]["postcode"]
    path = tmp_path / "TWC.yml"
    path.write_text(yaml.safe_dump(spec))
    rep = check_feed(
        path,
        FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv",
        seeds_dir=_seeds(tmp_path, "TWC02,TWC,B,true,52,-1,B1\nTWC01,OTHER,C,true,52,-1,B1\n"),
    )
    assert rep.unmapped_columns == ["Room", "Postcode"]
    assert rep.unknown_sites == [("TWC01", 5)]
    assert (
        rep.exit_code() == EXIT_OK
    )  # nothing unmapped: sites and columns are for the user to judge
    text = render(rep)
    assert "Room" in text and "TWC01      5" in text


def test_local_codes_missing_from_the_code_map_and_event_words(specs, tmp_path):
    seeds = _seeds(tmp_path, "TEV01,TEV,A,true,52,-1,B1\n", codes="TEV,BWC10002,XABDO\n")
    rep = check_feed(
        FIX / "specs/TEV.yml", FIX / "event_csv/tev_events_202403070200.txt", seeds_dir=seeds
    )
    assert rep.unknown_local_codes == [("BWC10001", 2)]  # two exams (E1, E2) carry it
    assert rep.unmapped_values == [("event", "XXX", 1)]
    assert rep.rows_loaded_unmapped == 1
    assert "local_procedure_codes.csv" in render(rep)


def test_extract_time_from_a_column_is_said(tmp_path):
    rep = check_feed(FIX / "specs/TXC.yml", FIX / "wide_csv/TXC_EXAMS_20241028.csv")
    assert rep.extract_at == "2024-10-28 06:30 UTC"
    assert rep.extract_source.startswith(
        "column 'EXTRACT_DTTM' (the file name said 2024-10-28 00:00"
    )
    assert rep.unmapped_columns == []  # the extract-time column is mapped
    assert rep.dq_flags.get("event_after_extract") == 2  # the exam's record and its late event


def test_unreadable_file_exits_1():
    rep = check_feed(FIX / "specs/TXC.yml", FIX / "wide_csv/TXC_EXAMS_20241029.csv")
    assert not rep.ok and rep.quarantine_reason == "missing_required_columns"
    assert rep.exit_code() == EXIT_ERROR
    assert "EXTRACT_DTTM" in render(rep)


def test_cli_output_piped_is_plain_and_whole(tmp_path):
    seeds = _seeds(tmp_path, "TWC01,TWC,A,true,52,-1,B1\n")
    runner = CliRunner()
    args = ["feeds", "check", str(FIX / "specs/TWC.yml"), str(BROKEN), "--seeds", str(seeds)]
    res = runner.invoke(app, args)
    assert res.exit_code == EXIT_UNMAPPED, res.output
    assert "priority  ZZ          1" in res.output
    # the longest message is printed whole, not cut to a terminal's width
    assert "fix the value or the spec's date_format (value '1970-02-31')" in res.output
    assert "\x1b[" not in res.output and "│" not in res.output
    assert runner.invoke(app, args + ["--accept-unmapped"]).exit_code == EXIT_OK
