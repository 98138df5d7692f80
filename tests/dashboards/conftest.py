"""Fixtures of the dashboard tests: one published fixture database per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.published import build_published_fixture


@pytest.fixture(scope="session")
def analytics_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_published_fixture(tmp_path_factory.mktemp("warehouse") / "analytics.duckdb")


@pytest.fixture()
def app_env(analytics_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment of `wmin serve`: the published database and an exports folder."""
    exports = tmp_path / "exports"
    (exports / "2026-09").mkdir(parents=True)
    (exports / "2026-09" / "board_pack_2026-09.xlsx").write_bytes(b"PK\x03\x04 fixture")
    monkeypatch.setenv("WMIN_ANALYTICS_DB", str(analytics_db))
    monkeypatch.setenv("WMIN_EXPORTS_DIR", str(exports))
    return analytics_db
