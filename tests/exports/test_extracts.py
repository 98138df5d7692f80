"""Extracts for Excel and Power BI: every non-row-level published table as Parquet and CSV,
equal to the mart except where the mart's small-number rule protects a trust-level cell."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from exports.extracts import write_extracts
from reporting.disclosure import MARK, MART_RULES, suppress_mart
from tests.fixtures.published import EDGE_CASES, build_published_fixture


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_published_fixture(tmp_path_factory.mktemp("extracts") / "analytics.duckdb")


@pytest.fixture(scope="module")
def extracts(published: Path) -> tuple[Path, object]:
    out = published.parent / "extracts"
    return out, write_extracts(published, out)


def _mart(published: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(published), read_only=True) as con:
        con.execute("set TimeZone = 'Europe/London'")
        frame = con.sql(f'select * from "{name}"').to_arrow_table().to_pandas(date_as_object=True)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_localize(None)  # local wall-clock time
    return frame


def _published_tables(published: Path) -> set[str]:
    with duckdb.connect(str(published), read_only=True) as con:
        return {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}


def test_every_table_but_the_row_level_ones_is_extracted(published: Path, extracts) -> None:
    out, result = extracts
    expected = _published_tables(published) - {"fct_exams"}
    assert set(result.tables) == expected and result.kept_inside == ["fct_exams"]
    assert {p.name for p in out.iterdir()} == (
        {f"{t}.parquet" for t in expected} | {f"{t}.csv" for t in expected}
    )


def test_parquet_round_trip_equals_the_protected_mart(published: Path, extracts) -> None:
    out, result = extracts
    for name in result.tables:
        mart = _mart(published, name)
        got = pq.read_table(out / f"{name}.parquet").to_pandas(date_as_object=True)
        assert list(got.columns) == list(mart.columns) and len(got) == len(mart), name
        rule = MART_RULES.get(name)
        protected = (
            set()
            if rule is None
            else (set(rule.counts) | set(rule.statistics) | set(rule.percentages))
        )
        for column in mart.columns:
            want = (
                suppress_mart(name, mart, numeric=True)[column]
                if column in protected
                else mart[column]
            )
            pd.testing.assert_series_equal(
                got[column].astype(object).where(got[column].notna()),
                want.astype(object).where(want.notna()),
                check_names=False,
                obj=f"{name}.{column}",
            )
        if rule is not None:  # counts stay whole numbers for Power BI
            schema = pq.read_schema(out / f"{name}.parquet")
            assert all(str(schema.field(c).type) == "int64" for c in rule.counts if c in mart)


def test_small_numbers_are_suppressed_and_network_rows_exact(published: Path, extracts) -> None:
    out, _ = extracts
    parquet = pq.read_table(out / "tat_monthly.parquet").to_pandas(date_as_object=True)
    csv = pd.read_csv(
        out / "tat_monthly.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )

    def row(frame: pd.DataFrame, key: tuple) -> pd.Series:
        month, trust, modality, priority = key
        hit = frame[
            (frame["month"].astype(str) == str(month))
            & (frame["trust_code"] == trust)
            & (frame["modality"] == modality)
            & (frame["priority"] == priority)
        ]
        assert len(hit) == 1
        return hit.iloc[0]

    for key, n in EDGE_CASES.items():
        shown_csv, shown_parquet = row(csv, key)["exams_tested"], row(parquet, key)["exams_tested"]
        if 1 <= n <= 7:
            assert shown_csv == MARK and pd.isna(shown_parquet)
        else:
            assert int(shown_csv) == shown_parquet == 5 * round(n / 5 + 1e-9)
    mart = _mart(published, "tat_monthly")
    network = mart[mart["trust_code"] == "NETWORK"]["exams_tested"].tolist()
    assert parquet[parquet["trust_code"] == "NETWORK"]["exams_tested"].tolist() == network
    assert csv[csv["trust_code"] == "NETWORK"]["exams_tested"].astype(int).tolist() == network


def test_csv_is_utf8_with_a_bom_and_local_times(published: Path, extracts) -> None:
    out, _ = extracts
    raw = (out / "feed_health_daily.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    csv = pd.read_csv(out / "feed_health_daily.csv", encoding="utf-8-sig")
    with duckdb.connect(str(published), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        summer = con.execute(
            "select trust_code, date, last_file_at from feed_health_daily "
            "where month(date) = 7 and last_file_at is not null order by 1, 2 limit 1"
        ).fetchone()
    trust, day, at_utc = summer
    hit = csv[(csv["trust_code"] == trust) & (csv["date"] == str(day))]["last_file_at"].iloc[0]
    local = at_utc.astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None)
    assert pd.Timestamp(hit) == pd.Timestamp(local) and local.hour == (at_utc.hour + 1) % 24


def test_rewriting_is_atomic_and_drops_tables_no_longer_published(tmp_path: Path) -> None:
    db = build_published_fixture(tmp_path / "analytics.duckdb")
    out = tmp_path / "extracts"
    write_extracts(db, out)
    with duckdb.connect(str(db)) as con:
        con.execute("drop table rejections_by_reason")
    (out / "dim_trust.csv").write_text("an older night's file")
    result = write_extracts(db, out)
    assert "rejections_by_reason" not in result.tables
    assert not (out / "rejections_by_reason.csv").exists()
    assert not (out / "rejections_by_reason.parquet").exists()
    assert (out / "dim_trust.csv").read_text(encoding="utf-8-sig").startswith("trust_code")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
