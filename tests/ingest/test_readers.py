import pandas as pd
import pytest
import yaml

from ingest.contract import DQ_FLAGS, ROW_REJECT_REASONS
from ingest.readers import QuarantineError, read_file
from tests.ingest.conftest import FIX


def _reconciles(res):
    assert res.rows_read == res.rows_loaded + res.rows_rejected
    assert set(res.rejected["reason_code"]) <= set(ROW_REJECT_REASONS)
    for fr in (res.exam_records, res.exam_events):
        if "dq_flags" in fr and len(fr):
            for v in fr["dq_flags"].dropna():
                assert set(v.split(",")) <= set(DQ_FLAGS)


def test_wide_good(specs):
    res = read_file(FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv", specs["TWC"])
    _reconciles(res)
    assert res.rows_read == 5 and res.rows_rejected == 0
    r = res.exam_records.iloc[0]
    assert r["nhs_number"] == "9434765919"  # nhs_number_spaces
    assert r["local_procedure_code"] == "XCHES" == r["nicip_code"]  # uppercase_codes + nicip
    assert r["priority"] == "routine" and r["modality"] == "XR" and r["sex"] == "2"
    ev = res.exam_events
    assert set(zip(ev["accession"], ev["event"])) >= {
        ("W0000", "requested"),
        ("W0000", "report_verified"),
    }
    assert ev["source_event_id"].isna().all()  # a wide event's key is accession:event (contract)
    booked = ev[ev["event"] == "booked"].iloc[0]
    # 2024-10-27 01:30 Europe/London is ambiguous: first (BST) reading = 00:30 UTC
    assert booked["appointment_at"] == pd.Timestamp("2024-10-27 00:30", tz="UTC")
    done = ev[ev["event"] == "exam_completed"].iloc[0]
    assert (
        done["event_at"] == pd.Timestamp("2024-10-27 00:45", tz="UTC")
        and done["local_time_ambiguous"]
    )
    ver = ev[ev["event"] == "report_verified"].iloc[0]
    assert ver["actor_id"] == "RAD1" and not ver["actor_outsourced"]


def test_wide_broken_rows(specs):
    name = "TWC_EXAMS_20241029_0200.csv"
    res = read_file(FIX / "wide_csv" / name, specs["TWC"])
    _reconciles(res)
    exp = yaml.safe_load((FIX / "wide_csv" / f"expected_{name[:-4]}.yml").read_text())
    assert res.rows_read == exp["rows_read"] and res.rows_loaded == exp["rows_loaded"]
    got = dict(zip(res.rejected["line"], res.rejected["reason_code"]))
    assert got == exp["rejected"]
    assert all(res.rejected["message"].str.len() > 20)
    flags = res.exam_records.set_index("source_line")["dq_flags"]
    assert flags[11] == "duplicate_row"
    assert set(flags[12].split(",")) == {
        "nhs_number_invalid",
        "unmapped_value",
        "dates_out_of_order",
    }
    assert res.exam_records.set_index("source_line").loc[12, "priority"] == "ZZ"  # kept as sent


@pytest.mark.parametrize(
    "name,reason",
    [
        ("truncated_TWC_EXAMS_20241030_0200.csv", "truncated_file"),
        ("missing_column_TWC_EXAMS_20241030_0200.csv", "missing_required_columns"),
        ("wrong_encoding_TWC_EXAMS_20241030_0200.csv", "wrong_encoding"),
        ("cp1252_as_utf8_TWC_EXAMS_20241030_0200.csv", "wrong_encoding"),
    ],
)
def test_wide_quarantine(specs, name, reason):
    with pytest.raises(QuarantineError) as e:
        read_file(FIX / "wide_csv" / name, specs["TWC"])
    assert e.value.reason == reason


def test_not_declared_format(specs):
    with pytest.raises(QuarantineError) as e:
        read_file(FIX / "excel/TXL_20240304-0200.xlsx", specs["TWC"])
    assert e.value.reason == "not_declared_format"


def test_event_log(specs):
    res = read_file(FIX / "event_csv/tev_events_202403070200.txt", specs["TEV"])
    _reconciles(res)
    assert res.rows_read == 5 and len(res.exam_events) == 5
    assert sorted(res.exam_records["accession"]) == ["E1", "E2"]
    e1 = res.exam_records.set_index("accession").loc["E1"]
    assert e1["source_line"] == 5 and e1["status"] == "reported"  # last row of E1
    assert e1["nicip_code"] is None or pd.isna(e1["nicip_code"])
    ev = res.exam_events.set_index("source_event_id")
    assert ev.loc["EV9", "event"] == "XXX" and ev.loc["EV9", "dq_flags"] == "unmapped_value"
    assert ev.loc["EV1", "appointment_at"] == pd.Timestamp("2024-03-05 10:30", tz="UTC")


def test_event_log_rejects(specs):
    res = read_file(FIX / "event_csv/tev_events_202403080200.txt", specs["TEV"])
    _reconciles(res)
    assert list(res.rejected["reason_code"]) == ["missing_key", "unparseable_timestamp"]


def test_slots(specs):
    res = read_file(FIX / "event_csv/tev_slots_202403080200.txt", specs["TEV"], "slots")
    _reconciles(res)
    assert res.rows_read == 3 and res.rows_loaded == 1
    s = res.capacity_slots.iloc[0]
    assert s["state"] == "free" and s["slot_minutes"] == 15
    assert s["slot_start"] == pd.Timestamp("2024-03-09 09:00", tz="UTC")


def test_hl7(specs):
    res = read_file(FIX / "hl7v2/THL_20241028020000.hl7", specs["THL"])
    _reconciles(res)
    ev = res.exam_events.set_index("source_event_id")
    assert ev.loc["C1", "event"] == "requested" and ev.loc["C2", "event"] == "booked"
    assert ev.loc["C1", "event_at"] == pd.Timestamp("2024-10-27 00:30", tz="UTC")
    rec = res.exam_records.iloc[0]
    assert rec["nhs_number"] == "9434765919"  # hl7_repeat_nhs_in_pid3
    assert rec["procedure_name"] == "CT head & neck^contrast"  # unescaped
    assert rec["site_code"] == "THL01" and rec["room"] == "CT1" and rec["postcode"] == "B1 1AA"
    assert rec["priority"] == "routine" and rec["patient_source_setting"] == "03"


def test_hl7_rejects(specs):
    res = read_file(FIX / "hl7v2/THL_20241029020000.hl7", specs["THL"])
    _reconciles(res)
    assert dict(zip(res.rejected["line"], res.rejected["reason_code"])) == {
        3: "missing_key",
        4: "unparseable_timestamp",
        5: "malformed_line",
    }
    assert res.exam_events.set_index("source_line").loc[6, "dq_flags"] == "duplicate_row"


@pytest.mark.parametrize(
    "name,reason",
    [
        ("truncated_THL_20241030020000.hl7", "truncated_file"),
        ("not_hl7_THL_20241030020000.hl7", "not_declared_format"),
    ],
)
def test_hl7_quarantine(specs, name, reason):
    with pytest.raises(QuarantineError) as e:
        read_file(FIX / "hl7v2" / name, specs["THL"])
    assert e.value.reason == reason


def test_excel(specs):
    res = read_file(FIX / "excel/TXL_20240304-0200.xlsx", specs["TXL"])
    _reconciles(res)
    assert res.rows_read == 5  # 4 exam rows + 1 slot row
    assert dict(zip(res.rejected["line"], res.rejected["reason_code"])) == {
        3: "unparseable_timestamp",
        4: "missing_key",
    }
    rec = res.exam_records
    assert list(rec["dq_flags"].fillna("")) == ["", "duplicate_row"]
    assert rec.iloc[0]["nhs_number"] == "9434765919"
    ev = res.exam_events
    req = ev[ev["event"] == "requested"].iloc[0]
    assert req["event_at"] == pd.Timestamp("2024-03-01 09:30", tz="UTC")  # excel_serial_dates
    assert len(res.capacity_slots) == 1 and res.capacity_slots.iloc[0]["state"] == "free"


def test_excel_truncated(specs):
    with pytest.raises(QuarantineError) as e:
        read_file(FIX / "excel/truncated_TXL_20240311-0200.xlsx", specs["TXL"])
    assert e.value.reason == "truncated_file"


def test_feeds_check(specs, tmp_path):
    from ingest.feeds.check import check_feed, render

    rep = check_feed(FIX / "specs/TWC.yml", FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv")
    assert rep.ok and rep.column_map["accession"] == "Accession Number"
    assert rep.parse_rates["requested_at"] < 1 and len(rep.rejected) == 5
    render(rep)
    bad = tmp_path / "TWC.yml"
    bad.write_text("trust_code: TWC\nfamily: nope\n")
    rep = check_feed(bad, FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv")
    assert not rep.ok and "feed spec is not valid" in rep.error
    render(rep)
