"""Every delivery is readable by a standard parser with the spec's dialect, and says the truth."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, datetime
from pathlib import Path

import hl7
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from ingest.feeds.spec import load_all_specs
from ingest.synth.defects import DefectRates, nhs_valid
from ingest.synth.generate import generate_network
from ingest.synth.network import SYNTHETIC_FEEDS_DIR as FEEDS_DIR
from ingest.synth.writers import _format
from ingest.synth.writers._format import format_timestamps, hl7_timestamps
from ingest.synth.writers.hl7v2 import hl7_escape

TRUSTS = ("RRK", "RQ3", "RRJ", "RXK", "RKB", "RLT", "RJC", "RWP", "RLQ", "RL1", "RJE")
START, END = date(2024, 3, 20), date(2024, 4, 9)  # spans the spring clock change


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A defect-free network: every line must parse."""
    tmp = tmp_path_factory.mktemp("wr")
    feeds = tmp / "feeds"
    feeds.mkdir()
    for t in TRUSTS:
        shutil.copy(FEEDS_DIR / f"{t}.yml", feeds / f"{t}.yml")
    home = tmp / "home"
    generate_network(
        home, START, END, scale=0.01, seed=5, rates=DefectRates.none(), specs_dir=feeds
    )
    return home, load_all_specs(feeds)


def _csv_rows(path: Path, spec) -> list[list[str]]:
    text = path.read_bytes().decode(spec.encoding)
    return list(
        csv.reader(
            io.StringIO(text, newline=""),
            delimiter=spec.delimiter,
            quotechar=spec.quotechar,
            strict=True,
        )
    )


def test_csv_files_parse_with_their_dialect(clean) -> None:
    home, specs = clean
    for code, spec in specs.items():
        if spec.family == "excel":
            continue
        for p in sorted((home / "landing" / code).iterdir()):
            if p.suffix in (".hl7",):
                continue
            rows = _csv_rows(p, spec)
            is_slots = spec.files.slots and p.match(spec.files.slots)
            cols = spec.slot_columns if is_slots else spec.columns
            width = len(cols) + (1 if "trailing_delimiter" in spec.quirks else 0)
            assert rows[0][: len(cols)] == list(cols.values()), p.name
            assert all(len(r) == width for r in rows), p.name
            if spec.encoding == "utf-8-sig":
                assert p.read_bytes().startswith(b"\xef\xbb\xbf")
            else:
                assert not p.read_bytes().startswith(b"\xef\xbb\xbf")


def test_hl7_messages_parse(clean) -> None:
    home, _specs = clean
    n = 0
    for code in ("RXK",):
        for p in sorted((home / "landing" / code).glob("*.hl7")):
            raw = p.read_bytes().decode("utf-8")
            assert raw.endswith("\r\n")
            for block in raw.split("\r\n"):
                if not block:
                    continue
                msg = hl7.parse(block)
                n += 1
                pid3 = str(msg.segment("PID")[3])
                assert pid3.split("~")[1].endswith("^^^NHS^NH")
                assert msg.segment("ORC")(3) == msg.segment("OBR")(3)
                mtype = str(msg.segment("MSH")[9])
                assert mtype in ("ORM^O01", "ORU^R01")
                if mtype == "ORU^R01":
                    text = msg.unescape(str(msg.segment("OBX")[5]))
                    assert text and "\\F\\" not in text
    assert n > 100


def test_excel_workbooks_open(clean) -> None:
    home, specs = clean
    for code in ("RRJ", "RLT", "RLQ"):
        spec = specs[code]
        files = sorted((home / "landing" / code).glob("*.xlsx"))
        assert files
        wb = openpyxl.load_workbook(files[-1], read_only=True)
        assert wb.sheetnames == [spec.exam_sheet, spec.slot_sheet]
        rows = list(wb[spec.exam_sheet].iter_rows(values_only=True))
        assert list(rows[0]) == list(spec.columns.values())
        assert len(rows) > 10
        col = list(spec.columns).index("requested_at")
        vals = [r[col] for r in rows[1:] if r[col] is not None]
        if code == "RRJ":
            assert all(isinstance(v, datetime) for v in vals)
        elif code == "RLT":
            assert all(isinstance(v, float) for v in vals)
        else:
            assert all(
                isinstance(v, str) and datetime.strptime(v, spec.datetime_format) for v in vals
            )
        srows = list(wb[spec.slot_sheet].iter_rows(values_only=True))
        assert list(srows[0]) == list(spec.slot_columns.values())
        wb.close()


def test_wide_rows_match_truth(clean) -> None:
    """The last delivered wide row of each exam carries the truth's final state (RRK, ISO)."""
    home, specs = clean
    spec = specs["RRK"]
    ex = pd.read_parquet(home / "truth" / "exams.parquet")
    ev = pd.read_parquet(home / "truth" / "events.parquet")
    frames = []
    for p in sorted((home / "landing" / "RRK").glob("RRK_CRIS_EXAMS_*.csv")):
        rows = _csv_rows(p, spec)
        frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    got = pd.concat(frames).drop_duplicates("Accession Number", keep="last")
    got = got.set_index("Accession Number")
    truth = ex[ex.trust_code == "RRK"].set_index("accession")
    assert set(got.index) == set(truth.index)
    status_word = {v: k for k, v in reversed(spec.value_maps["status"].items())}
    assert (got["Exam Status"] == truth.loc[got.index, "status"].astype(str).map(status_word)).all()
    # the latest report_verified? no: the first verified report, in local wall-clock time
    ver = ev[(ev.trust_code == "RRK") & (ev.event == "report_verified")]
    ver = ver.drop_duplicates("accession", keep="first").set_index("accession")["event_at"]
    want = ver.dt.tz_convert("Europe/London").dt.strftime(spec.datetime_format)
    assert (got.loc[want.index, "Verified"] == want).all()


def test_event_log_has_every_event_once(clean) -> None:
    home, specs = clean
    spec = specs["RWP"]
    frames = []
    for p in sorted((home / "landing" / "RWP").glob("WAHT_RIS_Events_*.csv")):
        rows = _csv_rows(p, spec)
        frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    got = pd.concat(frames)
    ev = pd.read_parquet(home / "truth" / "events.parquet")
    ev = ev[ev.trust_code == "RWP"]
    assert got["Event Id"].is_unique
    assert set(got["Event Id"]) == set(ev["event_id"])
    assert got["Proc Code"].str.islower().all()  # uppercase_codes quirk: sent in lower case


def test_snapshot_rows_overlap(clean) -> None:
    home, specs = clean
    spec = specs["RJC"]
    files = sorted((home / "landing" / "RJC").glob("SWFT-Exams-*.dat"))
    accs = [{r[0] for r in _csv_rows(p, spec)[1:]} for p in files]
    assert len(accs[3] & accs[4]) > 0.5 * len(accs[4])
    with open(files[2], "rb") as f:
        assert f.readline().rstrip(b"\r\n").endswith(b"|")


def test_rkb_quirks_utc_and_spaced_nhs(clean) -> None:
    home, specs = clean
    spec = specs["RKB"]
    rows = []
    for p in sorted((home / "landing" / "RKB").glob("UHCW_RAD_ORDERS_*.tsv")):
        r = _csv_rows(p, spec)
        rows += [dict(zip(r[0], x, strict=True)) for x in r[1:]]
    got = pd.DataFrame(rows).drop_duplicates("ORDER_ACCESSION", keep="last")
    assert got["NHS_NUMBER"].str.fullmatch(r"\d{3} \d{3} \d{4}").all()
    assert nhs_valid(got["NHS_NUMBER"]).all()
    ev = pd.read_parquet(home / "truth" / "events.parquet")
    req = ev[(ev.trust_code == "RKB") & (ev.event == "requested")].set_index("accession")
    want = req["event_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S")
    got = got.set_index("ORDER_ACCESSION")
    assert (got["ORDERING_DTTM"] == want.loc[got.index]).all()


def test_slot_extracts_end_in_truth_state(clean) -> None:
    home, specs = clean
    spec = specs["RXK"]
    frames = []
    for p in sorted((home / "landing" / "RXK").glob("swbh_ris_slots_*.csv")):
        rows = _csv_rows(p, spec)
        frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    got = pd.concat(frames).drop_duplicates("slot_id", keep="last").set_index("slot_id")
    sl = pd.read_parquet(home / "truth" / "slots.parquet")
    sl = sl[sl.trust_code == "RXK"].set_index("slot_id")
    assert set(got.index) == set(sl.index)
    state = {v: k for k, v in reversed(spec.value_maps["state"].items())}
    assert (got["slot_status"] == sl.loc[got.index, "state"].astype(str).map(state)).all()
    booked = sl.loc[got.index, "accession"].fillna("")
    assert (got["accession"] == booked).all()


def test_formatters() -> None:
    t = np.array(
        [pd.Timestamp("2024-07-01 12:34:56", tz="UTC").value // 1000, np.iinfo(np.int64).min],
        dtype=np.int64,
    )
    assert format_timestamps(t, "%d/%m/%Y %H:%M", "Europe/London").to_pylist() == [
        "01/07/2024 13:34",
        "",
    ]
    assert format_timestamps(t, "%d-%b-%Y %H:%M:%S", "UTC").to_pylist()[0] == "01-Jul-2024 12:34:56"
    assert hl7_timestamps(t).to_pylist() == ["20240701133456+0100", ""]
    esc = hl7_escape(pa.array(["a|b^c&d~e\\f\ng"])).to_pylist()[0]
    assert esc == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g"


def test_date_and_time_tables_equal_strftime() -> None:
    """The vectorised tables behind every date/time format equal Python's strftime."""
    epoch = date(1970, 1, 1)
    days = list(range(_format._DAY_LO, _format._DAY_HI + 1, 37)) + [_format._DAY_HI]
    for fmt in ("%Y-%m-%d", "%d-%b-%Y", "%d/%m/%Y", "%Y%m%d", "%e %B %y %%", "%a %d"):
        table = _format._full_day_table(fmt)
        got = [table[d - _format._DAY_LO].as_py() for d in days]
        assert got == [(epoch + pd.Timedelta(days=d)).strftime(fmt) for d in days], fmt
    for fmt, secs in (("%H:%M:%S", True), ("%H:%M", False), ("%H%M%S", True), ("%I:%M %p", False)):
        table = _format._time_table(fmt, secs).to_pylist()
        step = 1 if secs else 60
        want = [
            (datetime(1900, 1, 1) + pd.Timedelta(seconds=i * step)).strftime(fmt)
            for i in range(len(table))
        ]
        assert table == want, fmt


def test_hl7_fast_lines_equal_messages_built_segment_by_segment(tmp_path) -> None:
    """`lines` (per-exam pieces) and `message` (every field) give the same messages."""
    from ingest.synth import deliveries as dl
    from ingest.synth.simulate import simulate_network
    from ingest.synth.writers import hl7v2

    spec = load_all_specs(FEEDS_DIR)["RXK"]
    truth = simulate_network(
        date(2024, 3, 1), date(2024, 3, 10), scale=0.005, seed=2, trusts=["RXK"]
    )
    ex, ev = truth.exams, truth.events
    ex = ex.assign(local_procedure_code=ex["nicip_code"].astype(str))
    sl = dl.trust_slice(ex, ev, truth.slots, "RXK", {})
    rows = dl.event_rows(
        sl, dl.make_deliveries(dl.delivery_nights(date(2024, 3, 1), date(2024, 3, 10))), spec
    )
    rend = hl7v2.renderer(spec)
    rend.prepare(sl)
    fields = rend.fields(hl7v2.canon(sl, rows, slice(0, len(rows)), rend.canon_names))
    fast = rend.lines(fields).to_pylist()
    assert len(fast) > 50 and any(m.startswith("MSH") and "ORU^R01" in m for m in fast)
    for j in range(0, len(fast), 7):
        assert fast[j] == rend.message(rend.row(fields, j))[0].as_py()


def _same_rows(a, b) -> bool:
    """Two `deliveries.Rows` with the same rows, columns and values."""
    if (
        not (np.array_equal(a.k, b.k) and np.array_equal(a.ref, b.ref))
        or a.cols.keys() != b.cols.keys()
    ):
        return False
    for name, v in a.cols.items():
        w = b.cols[name]
        if isinstance(v, np.ndarray):
            if not np.array_equal(v, w):
                return False
        elif not pa.chunked_array([v]).equals(pa.chunked_array([w])):
            return False
    return True


@pytest.mark.parametrize("code", ["RRK", "RJC", "RWP"])  # wide delta, wide snapshot, event log
def test_a_months_rows_are_those_of_all_deliveries_in_it(clean, code) -> None:
    """The writers make a trust's rows a month of deliveries at a time, doing only that
    month's work: the rows of a run of deliveries are the run's share of every delivery's rows."""
    from ingest.synth import deliveries as dl

    home, specs = clean
    spec = specs[code]

    def read(name: str) -> pd.DataFrame:
        df = pd.read_parquet(home / "truth" / f"{name}.parquet")
        return df[df.trust_code == code].reset_index(drop=True)

    sl = dl.trust_slice(read("exams"), read("events"), read("slots"), code, {})
    dels = dl.make_deliveries(dl.delivery_nights(START, END, spec.delivery_every_days))
    ks = range(3, 9)
    for make in (dl.wide_rows, dl.event_rows):
        every = make(sl, dels, spec)
        assert len(every.of(ks)) > 0
        assert _same_rows(make(sl, dels, spec, ks), every.of(ks))
    every = dl.slot_rows(sl, dels)
    assert _same_rows(dl.slot_rows(sl, dels, ks=ks), every.of(ks))
