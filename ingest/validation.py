"""Pre-load validation with Great Expectations 1.x, judged per file for a batch of files at once.

Each file gets a suite of checks built from its feed family and content (`checks_for`): required
columns, parse rate, key presence and uniqueness, NHS number validity rate, date order rate and
allowed values. Blocking checks (structure) quarantine the file with reason `failed_expectation`;
the others are recorded as warnings in `landing.validation_results`, one row per check per file.

Why two stages: GE has a fixed cost per expectation per validation call (it builds a metric
graph for every expectation), which made one GE call per file cost more than reading and loading
the file (docs/benchmarks.md). So each file's rows are tallied with vectorised pandas where the
file was read (`measure`, in the reader process: rows considered, unexpected rows,
first unexpected values — the same counting rules as GE's column-map expectations: nulls are not
considered except by not-null checks, every occurrence of a duplicated key is unexpected), and
then ONE GE validation per batch of files judges every file: a frame with one row per file and
one column per measured rate, and per check an `ExpectColumnValuesToBeBetween(rate column,
min_value=the check's threshold)`. GE's unexpected row indices on that frame are the files that
fail the check. A file where a check measured nothing (no rows considered) has no rate and passes,
as GE's row-level expectations pass vacuously.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest import nhs
from ingest.contract import (
    ACTIVITY_CATEGORIES,
    EVENTS,
    MODALITIES,
    PATIENT_SOURCE_SETTINGS,
    PRIORITIES,
    SEXES,
    SLOT_STATES,
    STATUSES,
)
from ingest.feeds.spec import FeedSpec
from ingest.great_expectations_import import quiet_ephemeral_context
from ingest.readers.base import ReadResult

VALIDATION_RESULTS = {
    "file_id": "BIGINT",
    "suite": "VARCHAR",
    "expectation": "VARCHAR",
    "column_name": "VARCHAR",
    "blocking": "BOOLEAN",
    "success": "BOOLEAN",
    "observed_value": "VARCHAR",
    "details": "VARCHAR",
}
ALLOWED = {
    "priority": PRIORITIES,
    "patient_source_setting": PATIENT_SOURCE_SETTINGS,
    "activity_category": ACTIVITY_CATEGORIES,
    "sex": SEXES,
    "status": STATUSES,
    "modality": MODALITIES,
    "event": EVENTS,
    "state": SLOT_STATES,
}
PARSE_RATE_MIN = 0.5  # blocking: below this share of rows parsing, the file is structurally wrong
KEY_PRESENT_MIN = 0.5  # blocking: accession / slot id present on at least this share of rows
WARN_RATE = 0.99  # warnings: NHS number validity, date order
PARTIAL_UNEXPECTED = (
    20  # first unexpected values kept in `details`, as GE's partial_unexpected_list
)


@dataclass
class Outcome:
    suite: str
    expectation: str
    column: str | None
    blocking: bool
    success: bool
    observed: str
    details: str


@dataclass(frozen=True)
class Check:
    """One expectation of a file's suite: `expectation` on `column` of the file's rows must hold
    for at least `min_rate` of the rows it considers (GE's `mostly`; 1.0 = every row)."""

    expectation: str  # the GE expectation class this check is, on the file's rows
    column: str
    blocking: bool
    min_rate: float = 1.0
    value_set: tuple | None = None

    @property
    def rate_column(self) -> str:
        """Column of the per-file frame holding this check's rate (checks differing only in
        threshold share it)."""
        return f"{self.column}:{self.expectation}"


@dataclass
class Tally:
    """A check measured on one file's rows, counted as GE's column-map expectations count."""

    element_count: int
    considered: int  # rows the check looks at (non-null ones, all rows for not-null checks)
    unexpected_count: int
    partial_unexpected: list

    @property
    def rate(self) -> float:
        """Share of considered rows that are as expected; NaN when none were considered."""
        if self.considered == 0:
            return float("nan")
        return (self.considered - self.unexpected_count) / self.considered


def check_frame(res: ReadResult) -> pd.DataFrame:
    """One row per row read: parse status, key and the record-level values after mapping."""
    rej = res.rejected
    parsed_fail = rej[
        rej["reason_code"].isin(
            ["unparseable_timestamp", "unparseable_date", "malformed_line", "wrong_column_count"]
        )
    ]
    missing = rej[rej["reason_code"] == "missing_key"]
    if res.content == "slots":
        base = res.capacity_slots
        df = pd.DataFrame(
            {
                "key": base["slot_id"].astype(object),
                "parsed_ok": True,
                "state": base["state"].astype(object),
            }
        )
    elif res.family in ("wide_csv", "excel"):
        base = res.exam_records
        df = _records_part(base)
        df["key"] = base["accession"].astype(object)
    else:
        df = _events_part(res.exam_events, res.exam_records)
    if "accession" not in df.columns:
        df["accession"] = df["key"]
    if len(parsed_fail) + len(missing) == 0:  # most files: no rows to add, no concat to pay
        out = df.reset_index(drop=True)
    else:
        extra = pd.DataFrame(
            {
                "parsed_ok": [False] * len(parsed_fail) + [True] * len(missing),
                "accession": ["(rejected row)"] * len(parsed_fail) + [None] * len(missing),
            }
        )
        out = pd.concat([df, extra], ignore_index=True)
    out["parsed_ok"] = out["parsed_ok"].astype(bool)
    return out


def _events_part(ev: pd.DataFrame, rec: pd.DataFrame) -> pd.DataFrame:
    """An event file's rows: each event, and the record-level values on the row of the event
    its exam record was taken from (the accession's last row); null on the other rows. Kept
    as Arrow columns where the frames are: the tallies then count without Python objects."""
    columns = {
        "parsed_ok": True,
        "accession": ev["accession"].array,
        "key": ev["source_event_id"].array,
        "event": ev["event"].array,
    }
    # each record's row among the events, by source line (unique in a file): no merge needed
    at = pd.Index(ev["source_line"].to_numpy()).get_indexer(rec["source_line"].to_numpy())
    row_of = np.full(len(ev), -1, dtype=np.int64)
    row_of[at[at >= 0]] = np.flatnonzero(at >= 0)
    pick = pa.array(row_of, mask=row_of < 0)
    for name, values in _records_part(rec).drop(columns=["parsed_ok", "accession"]).items():
        spread = pa.array(values.to_numpy(dtype=object), from_pandas=True).take(pick)
        columns[name] = pd.array(spread, dtype=pd.ArrowDtype(spread.type))
    return pd.DataFrame(columns)


def _records_part(rec: pd.DataFrame) -> pd.DataFrame:
    flags = rec["dq_flags"].astype(object).fillna("")
    nhs_present = rec["nhs_number"].notna().to_numpy()
    valid = nhs.valid_mask(rec["nhs_number"].astype(object))
    columns = {
        "parsed_ok": True,
        "accession": rec["accession"].astype(object),
        "nhs_valid": pd.array(np.where(nhs_present, valid, None), dtype="boolean"),
        "dates_in_order": ~flags.str.contains("dates_out_of_order").to_numpy(),
    }
    for c in (
        "priority",
        "patient_source_setting",
        "activity_category",
        "sex",
        "status",
        "modality",
    ):
        columns[c] = rec[c].astype(object)
    return pd.DataFrame(columns)  # built at once: adding columns one by one costs more


def checks_for(content: str, frame: pd.DataFrame) -> list[Check]:
    """The suite of a file of this feed family and content; value checks only for the columns
    the file actually carries (a trust that does not send a field is not warned about it)."""
    required = ["parsed_ok", "key"] if content == "slots" else ["parsed_ok", "accession", "key"]
    checks = [Check("ExpectColumnToExist", c, True) for c in required]
    checks.append(Check("ExpectColumnValuesToBeInSet", "parsed_ok", True, PARSE_RATE_MIN, (True,)))
    if content != "slots":
        checks.append(Check("ExpectColumnValuesToNotBeNull", "accession", True, KEY_PRESENT_MIN))
        checks.append(Check("ExpectColumnValuesToNotBeNull", "accession", False))
    checks.append(Check("ExpectColumnValuesToBeUnique", "key", False))
    for c in ("nhs_valid", "dates_in_order"):
        if c in frame.columns and frame[c].notna().any():
            checks.append(Check("ExpectColumnValuesToBeInSet", c, False, WARN_RATE, (True,)))
    for c, allowed in ALLOWED.items():
        if c in frame.columns and frame[c].notna().any():
            checks.append(Check("ExpectColumnValuesToBeInSet", c, False, 1.0, tuple(allowed)))
    return checks


def tally(check: Check, frame: pd.DataFrame) -> Tally:
    """Count `check` on one file's rows by GE's rules for the expectation it names."""
    n = len(frame)
    if check.expectation == "ExpectColumnToExist":
        present = check.column in frame.columns
        return Tally(n, 1, 0 if present else 1, [] if present else [check.column])
    if check.column not in frame.columns:  # the exist check of the column fails the file already
        return Tally(n, 0, 0, [])
    col = frame[check.column]
    present = col.notna().to_numpy(dtype=bool)
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        unexpected = ~present
        return Tally(
            n, n, int(unexpected.sum()), [None] * min(int(unexpected.sum()), PARTIAL_UNEXPECTED)
        )
    values = col[present]
    if check.expectation == "ExpectColumnValuesToBeInSet":
        bad = ~values.isin(list(check.value_set)).to_numpy(dtype=bool)
    elif check.expectation == "ExpectColumnValuesToBeUnique":
        bad = values.duplicated(keep=False).to_numpy(dtype=bool)
    else:  # pragma: no cover - a check added to checks_for without its counting rule
        raise ValueError(f"no counting rule for {check.expectation}")
    return Tally(n, len(values), int(bad.sum()), values[bad].head(PARTIAL_UNEXPECTED).tolist())


@dataclass
class FileChecks:
    """A file's suite measured on its rows: what travels from the reader process to the judge."""

    suite: str
    tallies: list[tuple[Check, Tally]]
    note: Outcome | None = None  # a file without rows: nothing to judge


def measure(res: ReadResult) -> FileChecks:
    """Tally a read file's suite on its rows (no GE needed: runs where the file was read)."""
    suite = f"{res.family}.{res.content}"
    frame = check_frame(res)
    if len(frame) == 0:
        return FileChecks(
            suite, [], Outcome(suite, "file_has_rows", None, False, True, "0", "no data rows")
        )
    return FileChecks(suite, [(c, tally(c, frame)) for c in checks_for(res.content, frame)])


class FeedValidator:
    """Holds one ephemeral GX context for the run; `judge_many` judges a batch of measured files
    in one GE validation; `validate_many` and `validate` measure read files first."""

    def __init__(self):
        self.gx, self.context = quiet_ephemeral_context()
        ds = self.context.data_sources.add_pandas(name="landing_files")
        asset = ds.add_dataframe_asset(name="file_rates")
        self.batch_def = asset.add_batch_definition_whole_dataframe("one_row_per_file")

    def validate(self, res: ReadResult, spec: FeedSpec) -> list[Outcome]:
        return self.validate_many([(res, spec)])[0]

    def validate_many(self, files: Sequence[tuple[ReadResult, FeedSpec]]) -> list[list[Outcome]]:
        """Outcomes of each file's suite, in the order of `files`."""
        return self.judge_many([measure(res) for res, _ in files])

    def judge_many(self, measured: Sequence[FileChecks]) -> list[list[Outcome]]:
        """Outcomes of each measured file's suite, in the order of `measured`."""
        judged = [i for i, m in enumerate(measured) if m.note is None]
        row_of = {i: row for row, i in enumerate(judged)}  # file position -> row of the GE frame
        failing = self._judge([measured[i] for i in judged]) if judged else {}
        out: list[list[Outcome]] = []
        for i, m in enumerate(measured):
            if m.note is not None:
                out.append([m.note])
                continue
            row = row_of[i]
            out.append(
                [
                    _outcome(m.suite, check, t, row not in failing.get(_ge_key(check), ()))
                    for check, t in m.tallies
                ]
            )
        return out

    def _judge(self, files: list[FileChecks]) -> dict[tuple, set[int]]:
        """One GE validation over one row per file: for each check, the rows (files) whose rate is
        below the check's threshold."""
        rates: dict[str, list[float]] = {}
        expectations: dict[tuple, Check] = {}
        for row, f in enumerate(files):
            for check, t in f.tallies:
                rates.setdefault(check.rate_column, [float("nan")] * len(files))[row] = t.rate
                expectations.setdefault(_ge_key(check), check)
        frame = pd.DataFrame(rates, index=pd.RangeIndex(len(files)))
        E = self.gx.expectations
        suite = self.gx.ExpectationSuite(
            name="per_file_rates",
            expectations=[
                E.ExpectColumnValuesToBeBetween(
                    column=c.rate_column, min_value=c.min_rate, meta={"check": list(key)}
                )
                for key, c in expectations.items()
            ],
        )
        batch = self.batch_def.get_batch(batch_parameters={"dataframe": frame})
        # COMPLETE: the unexpected index list names every failing file, not only the first 20
        result = batch.validate(suite, result_format="COMPLETE")
        failing: dict[tuple, set[int]] = {}
        for r in result.results:
            outcome = r.result or {}
            # an expectation GE could not evaluate has an empty result, which must not read as
            # "no file failed"
            if "unexpected_index_list" not in outcome:
                raise RuntimeError(
                    f"GE could not evaluate {dict(r.expectation_config.kwargs)}: "
                    f"{_exception_messages(r.exception_info)}"
                )
            key = tuple(r.expectation_config.meta["check"])
            failing[key] = {int(i) for i in outcome["unexpected_index_list"]}
        missing = set(expectations) - set(failing)
        if missing:
            raise RuntimeError(f"GE returned no result for {sorted(missing)}")
        return failing


def _exception_messages(info) -> str:
    """GE reports one exception as a flat dict, several as a dict per metric."""
    if not isinstance(info, dict):
        return str(info)
    if "exception_message" in info:
        return str(info["exception_message"])
    return "; ".join(
        sorted({str(v.get("exception_message")) for v in info.values() if isinstance(v, dict)})
    )


def _ge_key(check: Check) -> tuple:
    return (check.rate_column, check.min_rate)


def _outcome(suite: str, check: Check, t: Tally, success: bool) -> Outcome:
    if check.expectation == "ExpectColumnToExist":
        observed = "present" if t.unexpected_count == 0 else "missing"
    elif t.considered == 0:
        observed = "no values"
    else:
        observed = f"{100 * t.rate:.2f}% expected"
    details = {
        "element_count": t.element_count,
        "unexpected_count": t.unexpected_count,
        "unexpected_percent": (100 * t.unexpected_count / t.considered) if t.considered else None,
        "partial_unexpected_list": t.partial_unexpected,
        "min_rate": check.min_rate,
    }
    return Outcome(
        suite,
        check.expectation,
        check.column,
        check.blocking,
        success,
        observed,
        json.dumps(details, default=str),
    )


def blocking_failures(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.blocking and not o.success]


def outcomes_frame(by_file: Sequence[tuple[int, list[Outcome]]]) -> pd.DataFrame:
    """`landing.validation_results` rows of files' outcomes: (file_id, outcomes) pairs."""
    return pd.DataFrame(
        [
            {
                "file_id": file_id,
                "suite": o.suite,
                "expectation": o.expectation,
                "column_name": o.column,
                "blocking": o.blocking,
                "success": o.success,
                "observed_value": o.observed,
                "details": o.details,
            }
            for file_id, outcomes in by_file
            for o in outcomes
        ],
        columns=list(VALIDATION_RESULTS),
    )
