"""The proof of issue #26: the landing of a small synthetic network (the truth suite's window
and scale, tests/fixtures/truth_network.py, with the generator's default defects so that the
rejection and quarantine marts have rows), built on DuckDB with a full refresh, then written as
Parquet and built on a local Spark session with a full refresh (pipeline/spark_build.py), gives
every published mart the DuckDB build gave: the same rows, exact for integers, strings, dates
and instants, floats within 1e-9.

One Spark session and one build for the module. Skipped without Java or the `spark` extra on a
developer's machine; under CI (CI=true) that is a failure, never a skip.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Self

import duckdb
import pytest

from ingest.synth.defects import DefectRates
from pipeline.landing_parquet import export_landing
from tests.fixtures.truth_network import AS_OF, build_network

pytestmark = pytest.mark.spark

MARTS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
# every mart is published unless its YAML says otherwise; the test below checks the manifest
MART_NAMES = sorted(p.stem for p in MARTS_DIR.rglob("*.sql"))
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")
TOLERANCE = 1e-9


def _require_spark() -> None:
    from pipeline.spark_build import SparkUnavailable, check_spark_available

    try:
        check_spark_available()
    except SparkUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Spark proof: {e}")
        pytest.skip(str(e))


class JvmPeak:
    """Peak resident memory of this process's Java children (the Spark driver), sampled."""

    def __init__(self) -> None:
        import psutil

        self.me, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            rss = sum(
                c.memory_info().rss for c in self.me.children(recursive=True) if "java" in c.name()
            )
            self.peak = max(self.peak, rss)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _published(manifest: Path) -> set[str]:
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {
        n["name"]
        for n in nodes
        if n["resource_type"] == "model" and (n.get("config", {}).get("meta") or {}).get("publish")
    }


def _duckdb_rows(con, name: str) -> tuple[list[str], set[str], list[tuple]]:
    """Columns, float columns and rows of a mart, every non-float value as text (instants
    in UTC)."""
    described = con.execute(f'describe main."{name}"').fetchall()
    columns = [c for c, *_ in described]
    floats = {c for c, dtype, *_ in described if dtype.upper().startswith(FLOAT_TYPES)}
    select = []
    for column, dtype, *_ in described:
        if column in floats:
            select.append(f'cast("{column}" as double)')
        elif dtype.upper() == "TIMESTAMP WITH TIME ZONE":
            select.append(f"cast(timezone('UTC', \"{column}\") as varchar)")
        else:
            select.append(f'cast("{column}" as varchar)')
    rows = con.execute(f'select {", ".join(select)} from main."{name}"').fetchall()
    return columns, floats, rows


def _spark_rows(spark, name: str, columns: list[str], floats: set[str]) -> list[tuple]:
    """The Spark mart's rows in the DuckDB mart's column order, cast alike (the session's time
    zone is UTC: profiles.yml)."""
    select = [
        f"cast(`{c}` as double)" if c in floats else f"cast(`{c}` as string)" for c in columns
    ]
    return [tuple(r) for r in spark.sql(f"select {', '.join(select)} from main.`{name}`").collect()]


def _canonical(value: object) -> object:
    """Text as both engines print it: booleans and instants spelt one way."""
    if value is None:
        return None
    text = str(value)
    if len(text) >= 19 and text[10] == " " and text[4] == "-":  # an instant
        import pandas as pd

        return pd.Timestamp(text).isoformat()
    return text.lower() if text in ("True", "False") else text


def _differences(columns, floats, want: list[tuple], got: list[tuple]) -> list[str]:
    keys = [i for i, c in enumerate(columns) if c not in floats]
    values = [i for i, c in enumerate(columns) if c in floats]

    def order(row: tuple) -> tuple:
        return (
            tuple((row[i] is None, row[i] or "") for i in keys),
            tuple((row[i] is None, round(row[i] or 0.0, 6)) for i in values),
        )

    want = sorted(
        ([_canonical(v) if i in keys else v for i, v in enumerate(r)] for r in want), key=order
    )
    got = sorted(
        ([_canonical(v) if i in keys else v for i, v in enumerate(r)] for r in got), key=order
    )
    problems = []
    if len(want) != len(got):
        problems.append(f"rows: duckdb {len(want)}, spark {len(got)}")
    for w, g in zip(want, got):
        for i, column in enumerate(columns):
            a, b = w[i], g[i]
            same = a == b or (
                i in values
                and None not in (a, b)
                and math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
            )
            if not same:
                problems.append(
                    f"{column}: duckdb {a!r}, spark {b!r} (row {dict(zip(columns, w))})"
                )
        if len(problems) >= 5:
            break
    return problems


@pytest.fixture(scope="module")
def spark_marts(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The network built on DuckDB and on Spark: each mart's rows on both (cast alike), the
    published marts of the DuckDB build, and the Spark build's result."""
    _require_spark()
    from pipeline.spark_build import run_spark_build, spark_session

    home = build_network(tmp_path_factory.mktemp("spark_network"), rates=DefectRates())
    restricted = home / "warehouse" / "restricted.duckdb"
    warehouse = tmp_path_factory.mktemp("spark_warehouse")
    export_landing(restricted, warehouse)
    duck = duckdb.connect(str(restricted), read_only=True)
    published = _published(home / "dbt_target" / "manifest.json")
    marts: dict[str, tuple] = {}
    started = time.perf_counter()
    with JvmPeak() as jvm, spark_session(warehouse) as spark:
        # seeds and models only: equal marts to a DuckDB build that passed every test is the
        # proof, and the tests are most of the nodes on Spark (a query each, each a fixed
        # cost); `wmin build --engine spark` runs them
        result = run_spark_build(
            spark,
            warehouse,
            AS_OF,
            target_dir=warehouse / "target",
            skip_resource_types=("test", "unit_test"),
        )
        built = time.perf_counter() - started
        for name in MART_NAMES:
            columns, floats, want = _duckdb_rows(duck, name)
            try:
                got = _spark_rows(spark, name, columns, floats)
            except Exception as e:  # noqa: BLE001 - a mart Spark did not build is reported as such
                got = e
            marts[name] = (columns, floats, want, got)
    duck.close()
    print(
        f"\nspark: session, seed and build {built:.1f} s; peak JVM memory"
        f" {jvm.peak / 2**20:.0f} MiB; {result.counts}; load {os.getloadavg()[0]:.1f}"
    )
    return {"result": result, "marts": marts, "published": published}


def test_the_spark_build_succeeds(spark_marts: dict) -> None:
    result = spark_marts["result"]
    failed = "; ".join(f"{n}: {m[:200]}" for n, m in result.failed[:10])
    assert result.success, f"{len(result.failed)} node(s) failed on Spark: {failed}"


def test_every_published_model_is_compared(spark_marts: dict) -> None:
    assert spark_marts["published"], "the DuckDB build published nothing"
    assert spark_marts["published"] <= set(MART_NAMES)


@pytest.mark.parametrize("name", MART_NAMES)
def test_the_mart_equals_duckdbs(spark_marts: dict, name: str) -> None:
    if name not in spark_marts["published"]:
        pytest.skip(f"{name} is not published")
    columns, floats, want, got = spark_marts["marts"][name]
    if isinstance(got, Exception):
        pytest.fail(f"{name} not readable on Spark: {' '.join(str(got).split())[:300]}")
    assert want, f"{name} is empty on DuckDB: the network does not exercise it"
    problems = _differences(columns, floats, want, got)
    assert not problems, f"{name} differs: " + "; ".join(problems)
