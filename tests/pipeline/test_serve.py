"""`wmin serve`'s launch (localhost only without sign-in; Streamlit's [auth] secrets written owner-only
from the settings) and `wmin audit` reading the app's audit log."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboards import audit as app_audit
from pipeline.cli import app
from pipeline.serve import launch
from pipeline.settings import Settings, SettingsError

SIGN_IN = {
    "auth_issuer": "https://login.microsoftonline.com/tenant-id/v2.0",
    "auth_client_id": "client-id",
    "auth_client_secret": "client-secret-value",
    "auth_redirect_uri": "https://wmin.example.nhs.uk/oauth2callback",
}


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "analytics.duckdb").write_bytes(b"")
    return tmp_path


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_without_sign_in_the_app_listens_on_localhost_only(home: Path) -> None:
    started = launch(Settings(home=home), 8600, None, demo=True)
    assert option(started.command, "--server.address") == "127.0.0.1"
    assert "--secrets.files" not in started.command
    assert started.env["WMIN_APP_SIGN_IN"] == "none" and started.env["WMIN_APP_DEMO"] == "1"
    assert "served on this computer only" in started.notice
    with pytest.raises(SettingsError, match="localhost only; configure sign-in"):
        launch(Settings(home=home), 8600, "0.0.0.0", demo=False)


def test_sign_in_writes_streamlit_auth_secrets_owner_only(home: Path) -> None:
    (home / "access.yml").write_text("users:\n  a@example.nhs.uk: {role: administrator}\n")
    s = Settings(home=home, **SIGN_IN)
    started = launch(s, 8600, None, demo=False)
    secrets_file = Path(option(started.command, "--secrets.files"))
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_file.parent.stat().st_mode) == 0o700
    auth = tomllib.loads(secrets_file.read_text())["auth"]
    assert auth["server_metadata_url"] == (
        "https://login.microsoftonline.com/tenant-id/v2.0/.well-known/openid-configuration"
    )
    assert auth["client_secret"] == "client-secret-value"
    assert len(auth["cookie_secret"]) >= 32
    assert option(started.command, "--server.address") == "0.0.0.0"
    assert started.env["WMIN_APP_SIGN_IN"] == "oidc"
    assert started.env["WMIN_APP_ACCESS_FILE"] == str((home / "access.yml").resolve())
    again = tomllib.loads(
        Path(option(launch(s, 8600, None, False).command, "--secrets.files")).read_text()
    )["auth"]
    assert again["cookie_secret"] == auth["cookie_secret"], "sign-ins survive a restart"


def test_client_secret_from_a_file(home: Path, tmp_path: Path) -> None:
    (home / "access.yml").write_text("users: {}\n")
    secret = tmp_path / "client_secret"
    secret.write_text("from-the-file\n")
    s = Settings(
        home=home, **{**SIGN_IN, "auth_client_secret": None}, auth_client_secret_file=secret
    )
    assert s.auth_section()["client_secret"] == "from-the-file"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"auth_issuer": "https://idp"},
            "partly configured: set WMIN_AUTH_CLIENT_ID, WMIN_AUTH_REDIRECT_URI",
        ),
        (
            {**SIGN_IN, "auth_redirect_uri": "https://host/callback"},
            "must end with /oauth2callback",
        ),
        (SIGN_IN, "no roles file"),
    ],
)
def test_serve_refuses_an_unusable_sign_in_in_one_line(
    home: Path, settings: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in settings.items():
        monkeypatch.setenv(f"WMIN_{key.upper()}", value)
    result = CliRunner().invoke(app, ["serve", "--home", str(home)])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_audit_lists_entries_by_user_and_day(home: Path) -> None:
    folder = home / "logs" / "audit"
    app_audit.append(folder, "sign_in", "a@example.nhs.uk", "trust_analyst", {})
    app_audit.append(
        folder,
        "download",
        "b@example.nhs.uk",
        "network_analyst",
        {"what": "fct_exams_RRK.csv", "rows": 12},
    )
    (folder / "2026-01-01.jsonl").write_text(
        json.dumps({"at": "2026-01-01T09:00:00+00:00", "event": "sign_in", "user": "old@x"})
        + "\nnot json\n"
    )
    runner = CliRunner()
    out = runner.invoke(
        app, ["audit", "--home", str(home), "--user", "B@example.nhs.uk"], env={"COLUMNS": "200"}
    ).output
    assert "fct_exams_RRK.csv" in out and "a@example" not in out and "1 entry" in out
    out = runner.invoke(app, ["audit", "--home", str(home)], env={"COLUMNS": "200"}).output
    assert "old@x" in out and "3 entries" in out and "line 2 is not a JSON entry" in out
    out = runner.invoke(
        app, ["audit", "--home", str(home), "--since", "2026-01-02"], env={"COLUMNS": "200"}
    ).output
    assert "old@x" not in out and "2 entries" in out
