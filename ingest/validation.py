"""Pre-load validation with Great Expectations 1.x on the parsed frame of each file.

One ephemeral GX context per run (`FeedValidator`), one suite per feed family built from the spec.
Blocking expectations (structure) quarantine the file with reason `failed_expectation`; the others
are recorded as warnings in `landing.validation_results`. Large files are validated on a bounded
sample of rows (`sample_rows`, default 20 000; the sample is recorded in `details`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest import nhs
from ingest.contract import (ACTIVITY_CATEGORIES, EVENTS, MODALITIES, PATIENT_SOURCE_SETTINGS,
                             PRIORITIES, SEXES, SLOT_STATES, STATUSES)
from ingest.feeds.spec import REQUIRED_EXAM_FIELDS, FeedSpec
from ingest.readers.base import ReadResult

VALIDATION_RESULTS = {
    "file_id": "BIGINT", "suite": "VARCHAR", "expectation": "VARCHAR", "column_name": "VARCHAR",
    "blocking": "BOOLEAN", "success": "BOOLEAN", "observed_value": "VARCHAR", "details": "VARCHAR",
}
ALLOWED = {"priority": PRIORITIES, "patient_source_setting": PATIENT_SOURCE_SETTINGS,
           "activity_category": ACTIVITY_CATEGORIES, "sex": SEXES, "status": STATUSES,
           "modality": MODALITIES, "event": EVENTS, "state": SLOT_STATES}
PARSE_RATE_MIN = 0.5  # blocking: below this share of rows parsing, the file is structurally wrong
KEY_PRESENT_MIN = 0.5  # blocking: accession / slot id present on at least this share of rows
WARN_RATE = 0.99  # warnings: NHS number validity, date order


@dataclass
class Outcome:
    suite: str
    expectation: str
    column: str | None
    blocking: bool
    success: bool
    observed: str
    details: str


def check_frame(res: ReadResult) -> pd.DataFrame:
    """One row per row read: parse status, key and the record-level values after mapping."""
    rej = res.rejected
    parsed_fail = rej[rej["reason_code"].isin(["unparseable_timestamp", "unparseable_date",
                                               "malformed_line", "wrong_column_count"])]
    missing = rej[rej["reason_code"] == "missing_key"]
    if res.content == "slots":
        base = res.capacity_slots
        df = pd.DataFrame({"key": base["slot_id"].astype(object), "parsed_ok": True,
                           "state": base["state"].astype(object)})
    elif res.family in ("wide_csv", "excel"):
        base = res.exam_records
        df = _records_part(base)
        df["key"] = base["accession"].astype(object)
    else:
        ev = res.exam_events
        df = pd.DataFrame({"parsed_ok": True, "accession": ev["accession"].astype(object),
                           "key": ev["source_event_id"].astype(object), "event": ev["event"].astype(object),
                           "source_line": ev["source_line"].to_numpy()})
        rec = _records_part(res.exam_records)
        rec["source_line"] = res.exam_records["source_line"].to_numpy()
        df = df.merge(rec.drop(columns=["accession"]), on="source_line", how="left").drop(columns="source_line")
    extra = pd.DataFrame({"parsed_ok": [False] * len(parsed_fail) + [True] * len(missing),
                          "accession": ["(rejected row)"] * len(parsed_fail) + [None] * len(missing)})
    if "accession" not in df.columns:
        df["accession"] = df["key"]
    out = pd.concat([df, extra], ignore_index=True)
    out["parsed_ok"] = out["parsed_ok"].astype(bool)
    return out


def _records_part(rec: pd.DataFrame) -> pd.DataFrame:
    flags = rec["dq_flags"].astype(object).fillna("")
    df = pd.DataFrame({"parsed_ok": True, "accession": rec["accession"].astype(object)})
    nhs_present = rec["nhs_number"].notna().to_numpy()
    valid = nhs.valid_mask(rec["nhs_number"].astype(object))
    df["nhs_valid"] = pd.array(np.where(nhs_present, valid, None), dtype="boolean")
    df["dates_in_order"] = ~flags.str.contains("dates_out_of_order").to_numpy()
    for c in ("priority", "patient_source_setting", "activity_category", "sex", "status", "modality"):
        df[c] = rec[c].astype(object)
    return df


class FeedValidator:
    """Holds one ephemeral GX context for the run; `validate(res, spec)` per file."""

    def __init__(self, sample_rows: int = 20_000):
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx
        self.gx = gx
        self.sample_rows = sample_rows
        self.context = gx.get_context(mode="ephemeral")
        try:  # no progress bars from library code
            from great_expectations.data_context.types.base import ProgressBarsConfig
            self.context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                                      metric_calculations=False)
        except Exception:  # pragma: no cover - older/newer GX layouts
            pass
        ds = self.context.data_sources.add_pandas(name="landing_files")
        asset = ds.add_dataframe_asset(name="parsed_file")
        self.batch_def = asset.add_batch_definition_whole_dataframe("whole_file")

    def suite(self, res: ReadResult, spec: FeedSpec, frame: pd.DataFrame) -> list[tuple[object, bool]]:
        E = self.gx.expectations
        exps: list[tuple[object, bool]] = []
        key_col = "key"
        required = ["parsed_ok", "key"] if res.content == "slots" else ["parsed_ok", "accession", "key"]
        for c in required:
            exps.append((E.ExpectColumnToExist(column=c), True))
        exps.append((E.ExpectColumnValuesToBeInSet(column="parsed_ok", value_set=[True],
                                                   mostly=PARSE_RATE_MIN), True))
        if res.content != "slots":
            exps.append((E.ExpectColumnValuesToNotBeNull(column="accession", mostly=KEY_PRESENT_MIN), True))
            exps.append((E.ExpectColumnValuesToNotBeNull(column="accession"), False))
        exps.append((E.ExpectColumnValuesToBeUnique(column=key_col), False))
        if "nhs_valid" in frame.columns and frame["nhs_valid"].notna().any():
            exps.append((E.ExpectColumnValuesToBeInSet(column="nhs_valid", value_set=[True],
                                                       mostly=WARN_RATE), False))
        if "dates_in_order" in frame.columns and frame["dates_in_order"].notna().any():
            exps.append((E.ExpectColumnValuesToBeInSet(column="dates_in_order", value_set=[True],
                                                       mostly=WARN_RATE), False))
        for c, allowed in ALLOWED.items():
            if c in frame.columns and frame[c].notna().any():
                exps.append((E.ExpectColumnValuesToBeInSet(column=c, value_set=list(allowed)), False))
        return exps

    def validate(self, res: ReadResult, spec: FeedSpec) -> list[Outcome]:
        frame = check_frame(res)
        sampled = len(frame) > self.sample_rows
        if sampled:
            frame = frame.sample(self.sample_rows, random_state=0)
        suite_name = f"{res.family}.{res.content}"
        if len(frame) == 0:
            return [Outcome(suite_name, "file_has_rows", None, False, True, "0", "no data rows")]
        frame = frame.reset_index(drop=True)
        for c in frame.columns:
            if frame[c].dtype == object or str(frame[c].dtype) in ("str", "string"):
                frame[c] = frame[c].astype(object)
        batch = self.batch_def.get_batch(batch_parameters={"dataframe": frame})
        outcomes = []
        exps = self.suite(res, spec, frame)
        suite = self.gx.ExpectationSuite(name=suite_name, expectations=[e for e, _ in exps])
        results = batch.validate(suite).results
        for r in results:
            cfg = r.expectation_config
            kw = dict(cfg.kwargs)
            etype = cfg.type
            column = kw.get("column")
            blocking = _is_blocking(etype, column, kw.get("mostly"))
            result = dict(r.result or {})
            observed = result.get("observed_value")
            if observed is None and "unexpected_percent" in result:
                observed = f"{100 - float(result['unexpected_percent'] or 0):.2f}% expected"
            details = {k: v for k, v in result.items() if k in ("element_count", "unexpected_count",
                                                                 "unexpected_percent",
                                                                 "partial_unexpected_list")}
            if sampled:
                details["sample_rows"] = self.sample_rows
            outcomes.append(Outcome(suite_name, _camel(etype), column, blocking,
                                    bool(r.success), str(observed), json.dumps(details, default=str)))
        return outcomes


def blocking_failures(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.blocking and not o.success]


def outcomes_frame(file_id: int, outcomes: list[Outcome]) -> pd.DataFrame:
    return pd.DataFrame([{"file_id": file_id, "suite": o.suite, "expectation": o.expectation,
                          "column_name": o.column, "blocking": o.blocking, "success": o.success,
                          "observed_value": o.observed, "details": o.details} for o in outcomes],
                        columns=list(VALIDATION_RESULTS))


def _camel(snake: str) -> str:
    return "".join(p.capitalize() for p in snake.split("_"))


def _is_blocking(etype: str, column: str | None, mostly) -> bool:
    """Structure expectations block: columns exist, parse rate, key presence at the low threshold."""
    if etype == "expect_column_to_exist":
        return True
    if etype == "expect_column_values_to_be_in_set" and column == "parsed_ok":
        return True
    return (etype == "expect_column_values_to_not_be_null" and mostly is not None
            and abs(float(mostly) - KEY_PRESENT_MIN) < 1e-9)
