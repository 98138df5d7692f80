"""Post-build expectations on the marts (Great Expectations over pandas frames), before publish.

A failed blocking expectation fails the nightly run, so the previously published database stays
in place. Every result is stored with the run in `pipeline.expectation_results`.
GE 1.x has no DuckDB data source, so each check reads a small frame with DuckDB and validates it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ingest.great_expectations_import import quiet_ephemeral_context

RESULTS_DDL = """
create schema if not exists pipeline;
create table if not exists pipeline.expectation_results (
  run_id varchar, checked_at timestamptz, check_name varchar, expectation varchar,
  column_name varchar, blocking boolean, success boolean, unexpected_count bigint,
  sample varchar
);
"""

# (check name, SQL giving the frame, [(expectation class, kwargs, blocking)])
# {rel[name]} is replaced by the relation of a model as dbt built it.
_CHECKS: list[tuple[str, str, list[tuple[str, dict, bool]]]] = [
    (
        "tat_percentages_and_intervals",
        "select * from {rel[tat_monthly]}",
        [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "reported_within_target_pct", "min_value": 0, "max_value": 100},
                True,
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "request_to_test_median_days", "min_value": 0},
                True,
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "test_to_report_median_days", "min_value": 0},
                True,
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "test_to_report_median_hours", "min_value": 0},
                True,
            ),
            ("ExpectColumnValuesToBeBetween", {"column": "exams_tested", "min_value": 0}, True),
        ],
    ),
    (
        "census_percentages",
        "select * from {rel[waiting_list_census]}",
        [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "pct_waiting_6_plus_weeks", "min_value": 0, "max_value": 100},
                True,
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "median_weeks_waited", "min_value": 0},
                True,
            ),
        ],
    ),
    (
        "exam_intervals_not_negative",
        "select request_to_test_days, test_to_report_days, test_to_report_hours from {rel[fct_exams]}",
        [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "request_to_test_days", "min_value": 0},
                True,
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "test_to_report_days", "min_value": 0},
                True,
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "test_to_report_hours", "min_value": 0},
                True,
            ),
        ],
    ),
    (
        "utilisation_within_0_100",
        "select utilisation_pct from {rel[scanner_utilisation_daily]}",
        # overruns can push used time past the booked time: a warning, not a block
        [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "utilisation_pct", "min_value": 0, "max_value": 100},
                False,
            )
        ],
    ),
    (
        "network_equals_sum_of_trusts",
        """
     with t as (
       select 'tat_monthly' as mart, month::varchar || modality || priority as grain,
              trust_code = 'NETWORK' as is_network, exams_tested as n from {rel[tat_monthly]}
       union all
       select 'did_activity_monthly', month::varchar || modality || patient_source_setting,
              trust_code = 'NETWORK', exams_tested from {rel[did_activity_monthly]}
       union all
       select 'waiting_list_census', census_date::varchar || dm01_test,
              trust_code = 'NETWORK', total_waiting from {rel[waiting_list_census]}
       union all
       select 'reporting_backlog', as_of_date::varchar || modality,
              trust_code = 'NETWORK', unreported_exams from {rel[reporting_backlog]}
     )
     select mart, grain,
            sum(case when is_network then n else 0 end)
              - sum(case when is_network then 0 else n end) as network_minus_trusts
     from t group by mart, grain
     """,
        [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "network_minus_trusts", "min_value": 0, "max_value": 0},
                True,
            )
        ],
    ),
    (
        "no_missing_month_for_delivering_trust",
        """
     with delivered as (
       select distinct trust_code, date_trunc('month', date)::date as month
       from {rel[feed_health_daily]} where rows_loaded > 0
     ), active as (
       select distinct trust_code, month from {rel[did_activity_monthly]} where exams_tested > 0
     ), months as (select min(month) as first_month, max(month) as last_month from active)
     select d.trust_code, d.month, a.month is not null as has_activity
     from delivered d cross join months m
     left join active a on a.trust_code = d.trust_code and a.month = d.month
     -- the first and last month of the window can be partial
     where d.month > m.first_month and d.month < m.last_month
     """,
        [("ExpectColumnValuesToBeInSet", {"column": "has_activity", "value_set": [True]}, True)],
    ),
]


@dataclass
class ExpectationOutcome:
    check_name: str
    expectation: str
    column: str | None
    blocking: bool
    success: bool
    unexpected_count: int
    sample: str


@dataclass
class GateResult:
    outcomes: list[ExpectationOutcome]
    # (check name, GE ExpectationSuiteValidationResult): what the data docs pages render
    suite_results: list[tuple[str, object]] = field(default_factory=list)

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.blocking and not o.success]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    def describe_failures(self) -> str:
        return "; ".join(
            f"{o.check_name}: {o.expectation} on {o.column} "
            f"({o.unexpected_count} unexpected, e.g. {o.sample})"
            for o in self.blocking_failures
        )


def run_gate(restricted_db: Path, relations: dict[str, str]) -> GateResult:
    """Validate the built marts. `relations` maps a model name to its qualified relation."""
    gx, ctx = quiet_ephemeral_context()
    source = ctx.data_sources.add_pandas("marts")
    result = GateResult([])
    with duckdb.connect(str(restricted_db), read_only=False) as con, _no_batch_fingerprints():
        for name, sql, expectations in _CHECKS:
            # through Arrow: integer columns arrive as numpy numbers (float64 where a value is
            # null), at a third of the time of DuckDB's pandas frame and its nullable Int32
            frame = _numpy_numbers(con.sql(sql.format(rel=relations)).to_arrow_table().to_pandas())
            batch_def = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
            batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
            # one suite per check, so the data docs show a page per check; whether an
            # expectation blocks publish travels in its meta
            suite = gx.ExpectationSuite(name=name)
            for cls_name, kwargs, blocking in expectations:
                suite.add_expectation(
                    getattr(gx.expectations, cls_name)(**kwargs, meta={"blocking": blocking})
                )
            # BASIC: the unexpected count and a sample, all the gate stores and shows; GE's
            # default (SUMMARY) also works out each unexpected value's count and row index,
            # more metrics over every row of a year's exams
            suite_result = batch.validate(suite, result_format="BASIC")
            result.suite_results.append((name, suite_result))
            for res in suite_result.results:
                config = res.expectation_config
                sample = res.result.get("partial_unexpected_list") or []
                result.outcomes.append(
                    ExpectationOutcome(
                        name,
                        type(config.to_domain_obj()).__name__,
                        config.kwargs.get("column"),
                        bool(config.meta.get("blocking")),
                        bool(res.success),
                        int(res.result.get("unexpected_count") or 0),
                        repr(sample[:3]),
                    )
                )
    return result


@contextmanager
def _no_batch_fingerprints() -> Iterator[None]:
    """GE fingerprints every pandas batch under HASH_THRESHOLD bytes (an md5 over pandas' hash of
    every row, twice a validation: half of the fct_exams check on a year's exams). The gate's
    frames are read fresh each night and never compared by fingerprint, so it is turned off
    while the gate runs (GE reads the threshold at each batch)."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    threshold = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = threshold


def _numpy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer columns (pandas' extension dtypes, such as Int32) as numpy int64, or
    float64 where a value is null: GE checks a range vectorised only on numpy int and float
    columns, and value by value in Python on any other (seconds on a year's exams)."""
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(
            dtype
        ):
            values = frame[column]
            frame[column] = values.astype("float64" if values.isna().any() else "int64")
    return frame


def store_results(restricted_db: Path, run_id: str, result: GateResult) -> None:
    with duckdb.connect(str(restricted_db)) as con:
        con.execute(RESULTS_DDL)
        con.executemany(
            "insert into pipeline.expectation_results (run_id, checked_at, check_name, expectation, "
            "column_name, blocking, success, unexpected_count, sample) "
            "values (?, now(), ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    o.check_name,
                    o.expectation,
                    o.column,
                    o.blocking,
                    o.success,
                    o.unexpected_count,
                    o.sample,
                ]
                for o in result.outcomes
            ],
        )
