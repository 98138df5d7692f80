"""Pre-load validation judges a batch of files in one GE call and must give each file the outcome
GE's row-level expectations give that file alone."""

import json

import pytest

from ingest.readers import read_file
from ingest.readers.base import extract_time
from ingest.validation import FeedValidator, check_frame, checks_for
from tests.ingest.conftest import FIX

FILES = [
    ("TWC", "wide_csv/TWC_EXAMS_20241028_0200.csv", "exams"),
    ("TWC", "wide_csv/TWC_EXAMS_20241029_0200.csv", "exams"),
    ("TTD", "wide_csv/TTD_20241028_0200.csv", "exams"),
    ("THL", "hl7v2/THL_20241028020000.hl7", "exams"),
    ("THL", "hl7v2/THL_20241029020000.hl7", "exams"),
    ("TEV", "event_csv/tev_events_202403070200.txt", "exams"),
    ("TEV", "event_csv/tev_events_202403080200.txt", "exams"),
    ("TEV", "event_csv/tev_slots_202403080200.txt", "slots"),
    ("TXL", "excel/TXL_20240304-0200.xlsx", "exams"),
]


@pytest.fixture(scope="module")
def validator():
    return FeedValidator()


def _read(specs, trust, rel, content, path=None):
    spec = specs[trust]
    path = path or FIX / rel
    return read_file(
        path,
        spec,
        content,
        extract_at=extract_time(spec, path.name),
        local_codes=None,
        file_path=path.name,
    ), spec


def _unparseable_file(tmp_path):
    """A TWC delivery whose every row has a timestamp in an undeclared format."""
    text = (
        (FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv")
        .read_text()
        .replace("2024-10-26 09:00:00", "26th October")
    )
    path = tmp_path / "TWC_EXAMS_20241031_0200.csv"
    path.write_text(text)
    return path


def _ge_row_level(validator, res):
    """The reference: each check as a GE expectation on the file's own rows, one GE call per file
    (how files were validated before batching)."""
    gx = validator.gx
    frame = check_frame(res).reset_index(drop=True)
    for c in frame.columns:
        if frame[c].dtype == object or str(frame[c].dtype) in ("str", "string"):
            frame[c] = frame[c].astype(object)
    E = gx.expectations
    exps = []
    for i, c in enumerate(checks_for(res.content, frame)):
        mostly = {"mostly": c.min_rate} if c.min_rate < 1 else {}
        meta = {"i": i}
        if c.expectation == "ExpectColumnToExist":
            exps.append(E.ExpectColumnToExist(column=c.column, meta=meta))
        elif c.expectation == "ExpectColumnValuesToBeInSet":
            exps.append(
                E.ExpectColumnValuesToBeInSet(
                    column=c.column, value_set=list(c.value_set), meta=meta, **mostly
                )
            )
        elif c.expectation == "ExpectColumnValuesToNotBeNull":
            exps.append(E.ExpectColumnValuesToNotBeNull(column=c.column, meta=meta, **mostly))
        elif c.expectation == "ExpectColumnValuesToBeUnique":
            exps.append(E.ExpectColumnValuesToBeUnique(column=c.column, meta=meta))
        else:
            raise AssertionError(f"no reference for {c.expectation}")
    ds = validator.context.data_sources.add_or_update_pandas(name="reference")
    asset = ds.add_dataframe_asset(name=f"file_{id(res)}")
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    results = batch.validate(gx.ExpectationSuite(name="reference", expectations=exps)).results
    return {
        r.expectation_config.meta["i"]: (bool(r.success), (r.result or {}).get("unexpected_count"))
        for r in results
    }


def test_batched_outcomes_equal_ge_row_level_per_file(specs, validator, tmp_path):
    files = [_read(specs, t, rel, content) for t, rel, content in FILES]
    files.append(_read(specs, "TWC", None, "exams", path=_unparseable_file(tmp_path)))
    batched = validator.validate_many(files)
    assert len(batched) == len(files)
    seen = {"success": set(), "suites": set()}
    for (res, _), outcomes in zip(files, batched):
        reference = _ge_row_level(validator, res)
        assert len(outcomes) == len(reference), res.file_path
        for i, o in enumerate(outcomes):
            ref_success, ref_unexpected = reference[i]
            assert o.success == ref_success, (res.file_path, o)
            if ref_unexpected is not None:
                assert json.loads(o.details)["unexpected_count"] == ref_unexpected, (
                    res.file_path,
                    o,
                )
            seen["success"].add(o.success)
            seen["suites"].add(o.suite)
    # the comparison covered failing and passing checks and every feed family
    assert seen["success"] == {True, False}
    assert {
        "wide_csv.exams",
        "hl7v2.exams",
        "event_csv.exams",
        "event_csv.slots",
        "excel.exams",
    } <= seen["suites"]


def test_suite_covers_the_issue_checks(specs, validator):
    res, spec = _read(specs, "TWC", "wide_csv/TWC_EXAMS_20241029_0200.csv", "exams")
    got = {(o.expectation, o.column, o.blocking) for o in validator.validate(res, spec)}
    assert {
        ("ExpectColumnToExist", "accession", True),
        ("ExpectColumnValuesToBeInSet", "parsed_ok", True),  # parse rate
        ("ExpectColumnValuesToNotBeNull", "accession", True),  # key present on most rows
        ("ExpectColumnValuesToBeUnique", "key", False),
        ("ExpectColumnValuesToBeInSet", "nhs_valid", False),
        ("ExpectColumnValuesToBeInSet", "dates_in_order", False),
        ("ExpectColumnValuesToBeInSet", "priority", False),
    } <= got


def test_keys_are_unique_per_file_not_across_the_batch(specs, validator):
    clean = _read(specs, "TWC", "wide_csv/TWC_EXAMS_20241028_0200.csv", "exams")
    dup = _read(specs, "TWC", "wide_csv/TWC_EXAMS_20241029_0200.csv", "exams")
    # the same clean file twice shares every key with itself and with the file with duplicates
    results = validator.validate_many([clean, dup, clean])

    def unique(outcomes):
        return next(o for o in outcomes if o.expectation == "ExpectColumnValuesToBeUnique")

    assert unique(results[0]).success and unique(results[2]).success
    assert not unique(results[1]).success
    assert "W0001" in json.loads(unique(results[1]).details)["partial_unexpected_list"]


def test_a_blocking_failure_stays_with_its_file(specs, validator, tmp_path):
    good = _read(specs, "TWC", "wide_csv/TWC_EXAMS_20241028_0200.csv", "exams")
    bad = _read(specs, "TWC", None, "exams", path=_unparseable_file(tmp_path))
    results = validator.validate_many([good, bad, good])
    blocked = [
        [(o.expectation, o.column) for o in r if o.blocking and not o.success] for r in results
    ]
    assert blocked == [[], [("ExpectColumnValuesToBeInSet", "parsed_ok")], []]


def test_an_expectation_ge_could_not_evaluate_is_an_error_not_a_pass(specs, validator, monkeypatch):
    real = validator.batch_def

    class DropsRateColumns:  # GE then cannot find the rate columns of all checks but the first
        def get_batch(self, batch_parameters):
            return real.get_batch(
                batch_parameters={"dataframe": batch_parameters["dataframe"].iloc[:, :1]}
            )

    monkeypatch.setattr(validator, "batch_def", DropsRateColumns())
    res = _read(specs, "TWC", "wide_csv/TWC_EXAMS_20241029_0200.csv", "exams")
    with pytest.raises(RuntimeError, match="could not evaluate"):
        validator.validate_many([res])


@pytest.mark.parametrize(
    "trust,rel",
    [("THL", "hl7v2/THL_20241029020000.hl7"), ("TEV", "event_csv/tev_events_202403070200.txt")],
)
def test_an_event_files_check_frame_has_one_parse_column_and_record_values_on_their_row(
    specs, trust, rel
):
    """An event family's check frame once merged the records' columns in by source line, which
    suffixed both parse-status columns (parsed_ok_x/_y): one column now, True on every loaded
    event, False on each unparseable row; the record-level values sit on the row of the event
    the record was taken from and are null on the others."""
    res, _ = _read(specs, trust, rel, "exams")
    frame = check_frame(res)
    assert not [c for c in frame.columns if c.endswith(("_x", "_y"))]
    failed = res.rejected["reason_code"].isin(
        ["unparseable_timestamp", "unparseable_date", "malformed_line", "wrong_column_count"]
    )
    assert frame["parsed_ok"].tolist().count(False) == int(failed.sum())
    assert frame["parsed_ok"].iloc[: len(res.exam_events)].all()
    sent = frame["sex"].iloc[: len(res.exam_events)].notna()
    assert int(sent.sum()) == int(res.exam_records["sex"].notna().sum())
