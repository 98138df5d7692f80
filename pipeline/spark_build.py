"""`wmin build --engine spark`: the dbt project built by Apache Spark in this process, from the
landing Parquet (pipeline/landing_parquet.py), with a full refresh (docs/spark.md).

The runner starts a local SparkSession with the settings of the profile's `spark` output
(dbt_project/profiles.yml), its warehouse and Derby metastore under `warehouse/spark/` of the
home (they hold restricted models, so they sit in the owner-only folder), registers the
landing Parquet as external tables in database `landing` (where the dbt sources point),
registers the offers allocation's table function (pipeline/spark_offers.py), then runs
`dbt build --full-refresh --target spark` through dbtRunner. dbt-spark's session method takes
the same session (SparkSession.builder.getOrCreate), so what was registered here is visible to
dbt's SQL.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipeline.build import (
    DBT_PROJECT_DIR,
    BuildResult,
    _collect,
    _dbt_invocation,
    _environment,
    _log_flags,
    _project_for_seeds,
)
from pipeline.landing_parquet import landing_parquet_dir, read_layout
from pipeline.seed_state import SEEDS_DIR

SPARK_TARGET = "spark"
LANDING_DATABASE = "landing"  # the dbt sources' schema (models/staging/_landing__sources.yml)
# DuckDB's names in the layout file -> Spark SQL's
_SPARK_TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "SMALLINT": "SMALLINT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "DOUBLE": "DOUBLE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}


class SparkUnavailable(RuntimeError):
    """Java or the `spark` extra is missing; the message says what to install."""


def check_spark_available() -> None:
    """Raise SparkUnavailable, in words a person can act on, when this machine cannot start
    a local Spark session."""
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise SparkUnavailable(
            "the Spark engine needs Java 17 or later, and no `java` was found (JAVA_HOME or"
            " PATH): install a JDK, e.g. `apt-get install openjdk-17-jre-headless`"
        )
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as e:
        raise SparkUnavailable(
            f"the Spark engine needs the `spark` extra ({e.name} is missing):"
            " `make env`, or `pip install '.[spark]'`"
        ) from None


def spark_dirs(warehouse_dir: Path) -> tuple[Path, Path]:
    """Spark's warehouse folder and Derby metastore for a home's warehouse folder."""
    root = Path(warehouse_dir) / "spark"
    return root / "warehouse", root / "metastore_db"


def _profile_settings() -> dict[str, str]:
    """The `spark` output's session settings in profiles.yml, its env_var() calls rendered
    (the environment set by the caller)."""
    from jinja2 import Environment

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise SparkUnavailable(f"profiles.yml's spark output needs {name} in the environment")
        return value

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    output = profile["wmin"]["outputs"][SPARK_TARGET]
    render = Environment().from_string
    return {
        key: render(str(value)).render(env_var=env_var)
        for key, value in (output.get("server_side_parameters") or {}).items()
    }


def _spark_environment(warehouse_dir: Path) -> dict[str, str]:
    warehouse, metastore = spark_dirs(warehouse_dir)
    return {
        "WMIN_SPARK_WAREHOUSE": str(warehouse.resolve()),
        "WMIN_SPARK_METASTORE": str(metastore.resolve()),
        # the Python workers of the table function run this interpreter (its packages)
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


@contextmanager
def spark_session(warehouse_dir: Path, *, cores: int = 2) -> Iterator[Any]:
    """A local SparkSession with the profile's settings and a fresh warehouse and metastore
    (every Spark build is a full refresh: nothing of an earlier build is kept), stopped after."""
    check_spark_available()
    # pyspark 4.3 warns that it has not been tried with pandas 3; the table function's frames
    # are built by us and checked by the proof (tests/spark)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.sql import SparkSession

    from exports.private_files import private_dir

    root = Path(warehouse_dir) / "spark"
    shutil.rmtree(root, ignore_errors=True)
    private_dir(root)
    env = _spark_environment(warehouse_dir)
    with _environment(env):
        builder = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("wmin build")
            .enableHiveSupport()
            # Derby's log and lock files beside its database, not in the working folder; the
            # JVM's own log at errors only, from the start (dbt reports the build)
            .config(
                "spark.driver.extraJavaOptions",
                f"-Dderby.system.home={root.resolve()}"
                f" -Dlog4j2.configurationFile={_log4j_errors_only(root).as_uri()}",
            )
            .config("spark.ui.showConsoleProgress", "false")  # dbt reports the progress
        )
        for key, value in _profile_settings().items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        _quiet_query_errors()
        try:
            yield spark
        finally:
            spark.stop()
            _stop_jvm()


_LOG4J_ERRORS_ONLY = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
"""


def _log4j_errors_only(folder: Path) -> Path:
    path = folder / "log4j2.properties"
    path.write_text(_LOG4J_ERRORS_ONLY)
    return path.resolve()


def _quiet_query_errors() -> None:
    """pyspark logs every failed statement with the JVM's stack trace on stderr; dbt reports
    the failed node and its message already (and keeps them in its log)."""
    from pyspark.logger import PySparkLogger

    PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)


def _stop_jvm() -> None:
    """End the JVM pyspark started, so that its memory is given back now rather than when this
    process exits (a test run goes on; a later session starts a new one)."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        return
    SparkContext._gateway = SparkContext._jvm = None
    gateway.shutdown()
    proc = getattr(gateway, "proc", None)
    if proc is not None and proc.stdin is not None:
        proc.stdin.close()  # the JVM ends itself when its stdin closes
        proc.wait(timeout=60)


def _column_ddl(columns: dict[str, str], partitioned_by: list[str]) -> str:
    """Columns in Spark SQL, partition columns last (as Spark keeps them)."""
    ordered = [c for c in columns if c not in partitioned_by] + list(partitioned_by)
    parts = []
    for name in ordered:
        dtype = columns[name].upper()
        if dtype not in _SPARK_TYPES:
            raise ValueError(f"landing column {name} of type {dtype}: no Spark type for it")
        parts.append(f"`{name}` {_SPARK_TYPES[dtype]}")
    return ", ".join(parts)


def register_landing(spark: Any, folder: Path) -> dict[str, int]:
    """Every table of the landing Parquet at `folder` as an external table of database
    `landing`; rows by table (from the layout file)."""
    layout = read_layout(folder)
    spark.sql(f"create database if not exists {LANDING_DATABASE}")
    rows = {}
    for name, table in layout["tables"].items():
        qualified = f"{LANDING_DATABASE}.`{name}`"
        partitioned_by = table["partitioned_by"]
        partition_clause = (
            f" partitioned by ({', '.join(partitioned_by)})" if partitioned_by else ""
        )
        location = (Path(folder) / name).resolve().as_uri()
        spark.sql(f"drop table if exists {qualified}")
        spark.sql(
            f"create table {qualified} ({_column_ddl(table['columns'], partitioned_by)})"
            f" using parquet{partition_clause} location '{location}'"
        )
        if partitioned_by:  # the trusts' folders become the table's partitions
            spark.sql(f"msck repair table {qualified}")
        rows[name] = int(table["rows"])
    return rows


def run_spark_build(
    spark: Any,
    warehouse_dir: Path,
    as_of: date,
    *,
    target_dir: Path,
    seeds_dir: Path | None = None,
    log_dir: Path | None = None,
    exclude: str | None = None,
    skip_resource_types: tuple[str, ...] = (),
) -> BuildResult:
    """Register landing and the table function in `spark`, then dbt build (seeds, models, data
    and unit tests, less `skip_resource_types`, e.g. ("test", "unit_test")) with
    --full-refresh on the spark target; what happened."""
    from dbt.cli.main import dbtRunner

    from pipeline.spark_offers import register_offer_allocation

    started = time.perf_counter()
    target = Path(target_dir)
    result = BuildResult(success=False, target_dir=target)
    register_landing(spark, landing_parquet_dir(warehouse_dir))
    register_offer_allocation(spark)
    seeds = Path(seeds_dir) if seeds_dir is not None else SEEDS_DIR
    env, common = _dbt_invocation(
        Path(warehouse_dir) / "restricted.duckdb",  # read by the duckdb output only
        as_of,
        1,  # dbt-spark's session method: one statement at a time on the one session
        target,
        memory_limit=None,
        feed_late_hour=None,
        test_new_rows_only=False,
        project_dir=_project_for_seeds(seeds, target),
    )
    env.update(_spark_environment(warehouse_dir))
    args = ["build", *common, *_log_flags(log_dir, target, target_dir)]
    args += ["--target", SPARK_TARGET, "--full-refresh"]
    args += ["--exclude", exclude] if exclude else []
    for resource_type in skip_resource_types:
        args += ["--exclude-resource-type", resource_type]
    with _environment(env):
        ok = _collect(dbtRunner().invoke(args), result, "build")
    result.success = ok and not result.failed
    result.elapsed_seconds = round(time.perf_counter() - started, 2)
    return result


def build_with_spark(
    restricted_db: Path,
    warehouse_dir: Path,
    as_of: date,
    *,
    seeds_dir: Path | None = None,
    log_dir: Path | None = None,
) -> BuildResult:
    """`wmin build --engine spark`: landing exported to Parquet afresh, then a full-refresh
    build on a local Spark session; the session's files stay in `warehouse/spark/`."""
    from pipeline.landing_parquet import export_landing

    check_spark_available()
    export_landing(restricted_db, warehouse_dir)
    with spark_session(warehouse_dir) as spark:
        return run_spark_build(
            spark,
            warehouse_dir,
            as_of,
            target_dir=Path(warehouse_dir) / "spark" / "target",
            seeds_dir=seeds_dir,
            log_dir=log_dir,
        )
