"""The data module: read-only, parameterised, and reopened when a publish replaces the file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dashboards import data
from tests.fixtures.published import build_published_fixture


def test_missing_environment_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(data.ENV_ANALYTICS_DB, raising=False)
    with pytest.raises(data.DataUnavailable, match="wmin serve"):
        data.db_identity()


def test_missing_file_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.ENV_ANALYTICS_DB, str(tmp_path / "analytics.duckdb"))
    with pytest.raises(data.DataUnavailable, match="wmin nightly"):
        data.db_identity()


def test_reopens_after_atomic_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = build_published_fixture(tmp_path / "analytics.duckdb")
    monkeypatch.setenv(data.ENV_ANALYTICS_DB, str(db))
    first = data.publish_info()
    assert first is not None and data.as_of_date() == date(2026, 10, 28)
    opened = data._connection().opened

    new = build_published_fixture(tmp_path / "analytics.duckdb.new")
    with duckdb.connect(str(new)) as con:
        con.execute("update publish_info set as_of_date = '2026-10-29'")
    os.replace(new, db)  # what pipeline.publish does

    assert data.as_of_date() == date(2026, 10, 29)
    assert data._connection().opened == opened + 1
    assert data.as_of_date() == date(2026, 10, 29)  # cached now, no further reopen
    assert data._connection().opened == opened + 1


def test_connection_is_read_only(app_env: Path) -> None:
    data.months()
    holder = data._connection()
    with pytest.raises(duckdb.Error):
        holder.con.execute("create table x as select 1")


def test_filters_are_parameters_not_sql(app_env: Path) -> None:
    evil = ("RRK') or 1=1 --",)
    assert data.tat_monthly(date(2025, 9, 1), date(2026, 10, 31), evil)[
        "trust_code"
    ].unique().tolist() == ["NETWORK"]
    with pytest.raises(ValueError):
        data.mart_extract("fct_exams; drop table x", date(2025, 9, 1), date(2026, 10, 31))


def test_network_rows_are_sums_of_trusts(app_env: Path) -> None:
    tat = data.tat_monthly(date(2025, 9, 1), date(2026, 10, 31))
    trusts = (
        tat[tat.trust_code != "NETWORK"]
        .groupby(["month", "modality", "priority"])
        .exams_tested.sum()
    )
    network = (
        tat[tat.trust_code == "NETWORK"].set_index(["month", "modality", "priority"]).exams_tested
    )
    assert (trusts.sort_index() == network.sort_index()).all()


def test_catalogue_and_trust_names_follow_a_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_published_fixture(tmp_path / "analytics.duckdb")
    monkeypatch.setenv(data.ENV_ANALYTICS_DB, str(db))
    assert data.has_table("quarantined_files")
    code = min(data.trust_names())
    assert data.trust_names()[code] != "Renamed trust"

    new = build_published_fixture(tmp_path / "analytics.duckdb.new")
    with duckdb.connect(str(new)) as con:
        con.execute("drop table quarantined_files")
        con.execute(
            "update dim_trust set trust_name = 'Renamed trust' where trust_code = ?", [code]
        )
    os.replace(new, db)  # what pipeline.publish does

    assert not data.has_table("quarantined_files")
    assert data.trust_names()[code] == "Renamed trust"
