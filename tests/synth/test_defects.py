"""The defect list matches what is really in the files and in the truth."""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date
from pathlib import Path

import hl7
import numpy as np
import openpyxl
import pandas as pd
import pytest

from ingest.contract import DQ_FLAGS, FILE_QUARANTINE_REASONS, ROW_REJECT_REASONS
from ingest.feeds.spec import load_all_specs
from ingest.synth.defects import (
    BAD_DATE,
    BAD_HL7_DATE,
    BAD_HL7_TIMESTAMP,
    BAD_TIMESTAMP,
    DEFECT_COLUMNS,
    LATE_DELIVERY,
    DefectRates,
    RowDefect,
    line_numbers,
    nhs_check_digit,
    nhs_valid,
    plan_row_defects,
)
from ingest.synth.generate import generate_network
from ingest.synth.network import SYNTHETIC_FEEDS_DIR as FEEDS_DIR

TRUSTS = ("RRK", "RQ3", "RRJ", "RXK", "RNA", "RKB", "RJC", "RWP", "RL1", "RJE")
RATES = DefectRates(
    duplicate_row=0.003,
    malformed_line=0.002,
    wrong_column_count=0.002,
    missing_key=0.002,
    unparseable_timestamp=0.002,
    unparseable_date=0.001,
    nhs_number_invalid=0.01,
    dates_out_of_order=0.05,
    unknown_local_code=0.01,
)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("def")
    feeds = tmp / "feeds"
    feeds.mkdir()
    for t in TRUSTS:
        shutil.copy(FEEDS_DIR / f"{t}.yml", feeds / f"{t}.yml")
    home = tmp / "home"
    generate_network(
        home, date(2024, 5, 1), date(2024, 5, 28), scale=0.01, seed=11, rates=RATES, specs_dir=feeds
    )
    d = pd.read_parquet(home / "truth" / "defects.parquet")
    return home, load_all_specs(feeds), d


def _spec_of(specs, rel: str):
    return specs[rel.split("/")[1]]


def _physical_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.split(b"\n")[:-1]


def _hl7_messages(path: Path) -> list[bytes]:
    return [m for m in path.read_bytes().split(b"\r\n") if m]


def test_columns_and_outcomes(net) -> None:
    home, _specs, d = net
    assert tuple(d.columns) == DEFECT_COLUMNS
    assert d["defect_id"].is_unique
    csvd = pd.read_csv(home / "truth" / "defects.csv")
    assert len(csvd) == len(d)
    allowed = (
        {f"rejected:{r}" for r in ROW_REJECT_REASONS}
        | {f"quarantined:{r}" for r in FILE_QUARANTINE_REASONS}
        | {f"loaded_flagged:{f}" for f in DQ_FLAGS}
        | {"skipped_duplicate_file", "superseded", LATE_DELIVERY}
    )
    assert set(d["expected_outcome"]) <= allowed
    for kind in (
        "duplicate_row",
        "malformed_line",
        "wrong_column_count",
        "missing_key",
        "unparseable_timestamp",
        "unparseable_date",
        "nhs_number_invalid",
        "dates_out_of_order",
        "unknown_local_code",
        "truncated_file",
        "missing_delivery",
        "identical_redelivery",
        "corrected_redelivery",
    ):
        assert (d["defect_type"] == kind).any(), kind


def test_row_defects_are_where_listed(net) -> None:
    home, specs, d = net
    rows = d[
        d["defect_type"].isin(
            [
                "duplicate_row",
                "malformed_line",
                "wrong_column_count",
                "missing_key",
                "unparseable_timestamp",
                "unparseable_date",
            ]
        )
    ]
    listed: dict[str, set[int]] = {}
    for r in rows.itertuples():
        path = home / r.file
        spec = _spec_of(specs, r.file)
        line = int(r.line)
        listed.setdefault(r.file, set()).add(line)
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            sheet = (
                spec.exam_sheet
                if r.detail.startswith(f"sheet {spec.exam_sheet!r}")
                else spec.slot_sheet
            )
            grid = list(wb[sheet].iter_rows(values_only=True))
            wb.close()
            row, prev = grid[line - 1], grid[line - 2]
            if r.defect_type == "duplicate_row":
                assert row == prev
            elif r.defect_type == "missing_key":
                assert row[0] is None
            else:
                assert (BAD_TIMESTAMP if "timestamp" in r.defect_type else BAD_DATE) in row
            continue
        if path.suffix == ".hl7":
            msgs = _hl7_messages(path)
            m, prev = msgs[line - 1], msgs[line - 2]
            if r.defect_type == "duplicate_row":
                assert m == prev
            elif r.defect_type == "malformed_line":
                with pytest.raises(hl7.ParseException):
                    hl7.parse(m.decode())
            elif r.defect_type == "missing_key":
                assert str(hl7.parse(m.decode()).segment("ORC")(3)) == ""
            elif r.defect_type == "unparseable_timestamp":
                assert str(hl7.parse(m.decode()).segment("MSH")(7)) == BAD_HL7_TIMESTAMP
            else:
                assert str(hl7.parse(m.decode()).segment("PID")(7)) == BAD_HL7_DATE
            continue
        lines = _physical_lines(path)
        raw, prev = lines[line - 1], lines[line - 2]
        if r.defect_type == "duplicate_row":
            assert raw == prev
            continue
        if r.defect_type == "malformed_line":
            with pytest.raises(UnicodeDecodeError):
                raw.decode(spec.encoding.replace("-sig", ""))
            continue
        fields = next(
            csv.reader(
                [raw.decode(spec.encoding.replace("-sig", ""))],
                delimiter=spec.delimiter,
                quotechar=spec.quotechar,
            )
        )
        header = next(
            csv.reader(
                [lines[0].decode(spec.encoding.replace("-sig", ""))],
                delimiter=spec.delimiter,
                quotechar=spec.quotechar,
            )
        )
        if r.defect_type == "wrong_column_count":
            assert len(fields) != len(header)
            continue
        assert len(fields) == len(header)
        rec = dict(zip(header, fields, strict=True))
        is_slots = spec.files.slots and path.match(spec.files.slots)
        cols = spec.slot_columns if is_slots else spec.columns
        if r.defect_type == "missing_key":
            assert rec[cols["slot_id" if is_slots else "accession"]] == ""
        elif r.defect_type == "unparseable_timestamp":
            assert rec[cols[r.field]] == BAD_TIMESTAMP
        else:
            assert rec[cols[r.field]] == BAD_DATE
    # every line not listed is a good line
    for code, spec in specs.items():
        for path in sorted((home / "landing" / code).iterdir()):
            rel = f"landing/{code}/{path.name}"
            if (
                path.suffix == ".xlsx"
                or (d["file"].eq(rel) & d["defect_type"].eq("truncated_file")).any()
            ):
                continue
            bad = listed.get(rel, set())
            if path.suffix == ".hl7":
                for i, m in enumerate(_hl7_messages(path), start=1):
                    if i not in bad:
                        assert str(hl7.parse(m.decode()).segment("ORC")(3)) != ""
                continue
            lines = _physical_lines(path)
            enc = spec.encoding.replace("-sig", "")
            width = len(next(csv.reader([lines[0].decode(enc)], delimiter=spec.delimiter)))
            for i, raw in enumerate(lines[1:], start=2):
                if i in bad:
                    continue
                f = next(
                    csv.reader(
                        [raw.decode(enc)], delimiter=spec.delimiter, quotechar=spec.quotechar
                    )
                )
                assert len(f) == width and f[0] != "" and BAD_TIMESTAMP not in f, (rel, i)


def test_invalid_nhs_numbers_listed_exactly(net) -> None:
    home, _, d = net
    ex = pd.read_parquet(home / "truth" / "exams.parquet")
    listed = set(d.loc[d.defect_type == "nhs_number_invalid", "accession"])
    valid = nhs_valid(ex["nhs_number"])
    assert set(ex.loc[~valid, "accession"]) == listed
    assert listed
    assert d.loc[d.defect_type == "nhs_number_invalid", "file"].notna().all()


def test_semantic_lines_point_at_the_exam(net) -> None:
    home, specs, d = net
    for r in d[
        d.defect_type.isin(["nhs_number_invalid", "unknown_local_code", "dates_out_of_order"])
    ].itertuples():
        spec = _spec_of(specs, r.file)
        path = home / r.file
        if path.suffix == ".hl7":
            m = hl7.parse(_hl7_messages(path)[int(r.line) - 1].decode())
            assert str(m.segment("ORC")(3)) == r.accession
        elif path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            grid = list(wb[spec.exam_sheet].iter_rows(values_only=True))
            wb.close()
            assert grid[int(r.line) - 1][0] == r.accession
        else:
            raw = _physical_lines(path)[int(r.line) - 1].decode(spec.encoding.replace("-sig", ""))
            assert raw.split(spec.delimiter)[0] == r.accession


def test_out_of_order_and_unknown_codes_in_truth(net) -> None:
    home, _, d = net
    ev = pd.read_parquet(home / "truth" / "events.parquet")
    accs = set(d.loc[d.defect_type == "dates_out_of_order", "accession"])
    assert accs
    sub = ev[ev.accession.isin(accs)]
    ver = sub[sub.event == "report_verified"].groupby("accession")["event_at"].min()
    sta = sub[sub.event == "exam_started"].groupby("accession")["event_at"].max()
    assert (ver < sta.loc[ver.index]).all()
    ex = pd.read_parquet(home / "truth" / "exams.parquet").set_index("accession")
    unk = d.loc[d.defect_type == "unknown_local_code", "accession"]
    assert ex.loc[unk, "local_procedure_code"].str.endswith("Z9").all()


def test_file_level_defects(net) -> None:
    home, specs, d = net
    trunc = d[d.defect_type == "truncated_file"].iloc[0]
    t = (home / trunc.file).read_bytes()
    resent = (home / trunc.file).with_name(
        Path(trunc.file).stem + "_resent" + Path(trunc.file).suffix
    )
    full = resent.read_bytes()
    assert not t.endswith(b"\n") and full.startswith(t) and len(full) > len(t)
    ident = d[d.defect_type == "identical_redelivery"].iloc[0]
    orig = ident.detail.split("same bytes as ")[1]
    sha = [hashlib.sha256((home / f).read_bytes()).hexdigest() for f in (ident.file, orig)]
    assert sha[0] == sha[1] and ident.file != orig
    miss = d[d.defect_type == "missing_delivery"].iloc[0]
    assert not (home / miss.file).exists()
    nxt = miss.detail.split("arrives in ")[1]
    assert (home / "landing" / miss.trust_code / nxt).exists()
    corr = d[d.defect_type == "corrected_redelivery"].iloc[0]
    spec = _spec_of(specs, corr.file)
    fixed = corr.detail.split("corrected in ")[1].split(" ")[0]
    enc = spec.encoding.replace("-sig", "")
    wrong = _physical_lines(home / corr.file)
    right = _physical_lines(home / fixed)
    assert len(wrong) == len(right)
    diff = [i + 1 for i, (a, b) in enumerate(zip(wrong, right, strict=True)) if a != b]
    assert diff == [int(corr.line)]
    col = list(spec.columns.values()).index(spec.columns["priority"])
    got = next(csv.reader([wrong[diff[0] - 1].decode(enc)], delimiter=spec.delimiter))[col]
    good = next(csv.reader([right[diff[0] - 1].decode(enc)], delimiter=spec.delimiter))[col]
    assert got != good and f"sent as {got!r} instead of {good!r}" in corr.detail


def test_planner_and_line_numbers() -> None:
    rng = np.random.default_rng(0)
    plan = plan_row_defects(
        rng,
        1000,
        DefectRates(duplicate_row=0.01),
        "xlsx",
        forced=("wrong_column_count", "missing_key"),
    )
    assert {p.kind for p in plan} >= {"duplicate_row", "missing_key"}
    assert all(p.kind != "wrong_column_count" for p in plan)  # not possible in a workbook
    rows = [p.row for p in plan]
    assert rows == sorted(set(rows))
    plan = [RowDefect(0, "duplicate_row"), RowDefect(2, "duplicate_row")]
    assert line_numbers(np.arange(4), 2, plan).tolist() == [2, 4, 5, 7]
    assert nhs_check_digit(np.array([943476591])).tolist() == [9]  # 9434765919 is valid
