"""generate_network end to end on a small network: determinism, layout, specs, truth."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from ingest.contract import TRUTH_EVENTS, TRUTH_EXAMS, TRUTH_SLOTS
from ingest.feeds.spec import load_all_specs, load_spec
from ingest.synth.defects import DefectRates
from ingest.synth.deliveries import delivery_nights
from ingest.synth.generate import generate_network, write_order
from ingest.synth.network import SYNTHETIC_FEEDS_DIR as FEEDS_DIR

TRUSTS = ("RRK", "RQ3", "RXK", "RBK", "RKB", "RLT", "RJC", "RWP", "RL1", "RNA")
START, END, SCALE = date(2024, 3, 1), date(2024, 3, 31), 0.01


def specs_subset(tmp: Path, trusts=TRUSTS) -> Path:
    d = tmp / "feeds"
    d.mkdir(parents=True, exist_ok=True)
    for t in trusts:
        shutil.copy(FEEDS_DIR / f"{t}.yml", d / f"{t}.yml")
    return d


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gen")
    home = tmp / "home"
    calls = []
    summary = generate_network(
        home,
        START,
        END,
        scale=SCALE,
        seed=3,
        specs_dir=specs_subset(tmp),
        progress=lambda s, d, t: calls.append((s, d, t)),
    )
    return home, summary, calls, tmp


def test_every_spec_loads_and_dialects_differ() -> None:
    specs = load_all_specs(FEEDS_DIR)
    assert sorted(specs) == sorted(
        [
            "RRK",
            "RQ3",
            "RRJ",
            "RXK",
            "RNA",
            "RBK",
            "RL4",
            "RKB",
            "RLT",
            "RJC",
            "RWP",
            "RLQ",
            "RXW",
            "RL1",
            "RJE",
        ]
    )
    dialects = {
        (s.family, s.delimiter, s.encoding, s.datetime_format, s.timezone, s.quirks)
        for s in specs.values()
    }
    assert len(dialects) >= 8
    for code, s in specs.items():
        text = (FEEDS_DIR / f"{code}.yml").read_text()
        assert text.startswith("#"), f"{code}: header comment naming the style"
        if s.family == "event_csv":
            assert {"event_id", "event", "event_at"} <= set(s.columns)
        assert s.files.slots or s.family == "excel"
        assert load_spec(FEEDS_DIR / f"{code}.yml") == s


def test_deterministic_bytes(network, tmp_path) -> None:
    home, _, _, tmp = network
    specs = load_all_specs(tmp / "feeds")  # the run covers every family and both modes
    assert {s.family for s in specs.values()} == {"wide_csv", "event_csv", "hl7v2", "excel"}
    assert {(s.family, s.mode) for s in specs.values()} >= {
        ("wide_csv", "snapshot"),
        ("event_csv", "snapshot"),
    }
    again = tmp_path / "again"
    generate_network(again, START, END, scale=SCALE, seed=3, specs_dir=tmp / "feeds")
    assert tree_digest(home) == tree_digest(again)


def test_the_two_biggest_trusts_are_written_first_and_last() -> None:
    size = {"A": 5, "B": 40, "C": 1, "D": 30, "E": 2}
    assert write_order(list(size), size) == ["B", "C", "E", "A", "D"]
    assert write_order(["A"], {"A": 3}) == ["A"]


def test_layout_names_and_extract_times(network) -> None:
    home, summary, calls, tmp = network
    specs = load_all_specs(tmp / "feeds")
    assert {p.name for p in (home / "landing").iterdir()} == set(TRUSTS)
    assert {
        "exams.parquet",
        "events.parquet",
        "slots.parquet",
        "defects.parquet",
        "defects.csv",
    } <= {p.name for p in (home / "truth").iterdir()}
    n_files = 0
    for code, spec in specs.items():
        for p in (home / "landing" / code).iterdir():
            n_files += 1
            assert fnmatch.fnmatch(p.name, spec.files.exams) or (
                spec.files.slots and fnmatch.fnmatch(p.name, spec.files.slots)
            ), p.name
            m = re.search(spec.extract_time.pattern, p.name)
            assert m, p.name
            x = (
                pd.Timestamp(datetime.strptime(m.group(1), spec.extract_time.format))
                .tz_localize(spec.timezone)
                .tz_convert("Europe/London")
            )
            assert x.hour in (2, 12) and x.minute == 0, p.name  # 02:00 local (12:00 correction)
    assert n_files == summary.files
    assert calls[0][0] == "simulate" and calls[-1][0] == "deliveries"


def test_truth_schemas_and_local_codes(network) -> None:
    home, summary, _, _ = network
    ex = pd.read_parquet(home / "truth" / "exams.parquet")
    ev = pd.read_parquet(home / "truth" / "events.parquet")
    sl = pd.read_parquet(home / "truth" / "slots.parquet")
    assert list(ex.columns) == list(TRUTH_EXAMS)
    assert list(ev.columns) == list(TRUTH_EVENTS)
    assert list(sl.columns) == list(TRUTH_SLOTS)
    assert (len(ex), len(ev), len(sl)) == (summary.exams, summary.events, summary.slots)
    codes = pd.read_csv(
        Path(__file__).resolve().parents[2] / "seeds" / "local_procedure_codes.csv", dtype=str
    )
    defects = pd.read_parquet(home / "truth" / "defects.parquet")
    unknown = set(defects.loc[defects.defect_type == "unknown_local_code", "accession"])
    m = ex.merge(
        codes,
        how="left",
        left_on=["trust_code", "nicip_code"],
        right_on=["trust_code", "nicip_code"],
    )
    local = m["trust_code"].isin(["RQ3", "RXK", "RNA", "RKB", "RLT", "RWP", "RXW", "RJE"])
    ok = m[local & ~m["accession"].isin(unknown)]
    assert (ok["local_procedure_code"] == ok["local_code"]).all()
    nic = m[~local]
    assert (nic["local_procedure_code"] == nic["nicip_code"].astype(str)).all()


def test_delivery_nights() -> None:
    nights = delivery_nights(date(2024, 1, 1), date(2024, 1, 10))
    assert nights[0] == date(2024, 1, 2) and nights[-1] == date(2024, 1, 11) and len(nights) == 10
    weekly = delivery_nights(date(2024, 1, 1), date(2024, 1, 10), 7)
    assert weekly == [date(2024, 1, 8), date(2024, 1, 11)]
    assert date(2024, 1, 5) not in delivery_nights(
        date(2024, 1, 1), date(2024, 1, 10), skip=[date(2024, 1, 5)]
    )


def test_clean_run_has_no_defects(tmp_path) -> None:
    s = generate_network(
        tmp_path / "h",
        date(2024, 3, 1),
        date(2024, 3, 7),
        scale=0.005,
        rates=DefectRates.none(),
        specs_dir=specs_subset(tmp_path, ("RL1",)),
    )
    assert s.defects == 0
    assert len(pd.read_csv(tmp_path / "h" / "truth" / "defects.csv")) == 0
