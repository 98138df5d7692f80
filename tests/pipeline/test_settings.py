from pathlib import Path

import pytest

from pipeline.settings import DEMO_PSEUDONYM_KEY, Settings, SettingsError


def test_home_layout_follows_design(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.restricted_db == tmp_path / "warehouse" / "restricted.duckdb"
    assert s.analytics_db == tmp_path / "warehouse" / "analytics.duckdb"
    assert s.landing_dir == tmp_path / "landing"


def test_environment_sets_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WMIN_HOME", str(tmp_path))
    assert Settings().home == tmp_path


def test_no_key_outside_demo_is_refused_with_advice() -> None:
    with pytest.raises(SettingsError, match="WMIN_PSEUDONYM_KEY"):
        Settings(demo=False).pseudonym_key_bytes()


def test_demo_key_only_in_demo_mode() -> None:
    assert Settings(demo=True).pseudonym_key_bytes() == DEMO_PSEUDONYM_KEY.encode()
    with pytest.raises(SettingsError, match="only in demo mode"):
        Settings(demo=False, pseudonym_key=DEMO_PSEUDONYM_KEY).pseudonym_key_bytes()


def test_key_file_and_minimum_length(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("k" * 40 + "\n")
    assert Settings(pseudonym_key_file=key_file).pseudonym_key_bytes() == b"k" * 40
    with pytest.raises(SettingsError, match="at least 32"):
        Settings(pseudonym_key="short").pseudonym_key_bytes()
    with pytest.raises(SettingsError, match="cannot read"):
        Settings(pseudonym_key_file=tmp_path / "absent").pseudonym_key_bytes()


def test_board_pack_due_for_last_complete_month() -> None:
    from datetime import date

    from pipeline.nightly import due_board_pack_month

    assert due_board_pack_month(date(2026, 3, 1)) == "2026-02"
    assert due_board_pack_month(date(2026, 1, 15)) == "2025-12"
