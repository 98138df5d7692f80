"""`wmin serve`: start the Streamlit app on the published database, with or without sign-in.

With sign-in configured (WMIN_AUTH_*, docs/access.md) the app is served on every interface (or
`--address`), Streamlit's `[auth]` section is written to `<home>/app/secrets.toml` (0600) and
passed with `--secrets.files`, and the roles file is checked first. Without it the app listens on
localhost only and says so on every page; demo mode says so too."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dashboards.access import AccessFileError, load_access_file
from exports.private_files import private_dir, write_private
from pipeline.settings import Settings, SettingsError

APP_FILE = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
LOCALHOST = "127.0.0.1"
_LOCAL_NAMES = {LOCALHOST, "localhost", "::1"}


@dataclass(frozen=True)
class Launch:
    command: list[str]
    env: dict[str, str]
    address: str
    notice: str  # what the person starting it should know: who can reach it


def _toml_string(value: str) -> str:
    # a TOML basic string takes the same escapes as a JSON string (\", \\, \n, \uXXXX)
    return json.dumps(value, ensure_ascii=True)


def cookie_secret(s: Settings) -> str:
    """WMIN_AUTH_COOKIE_SECRET, else a random secret made once and kept under the home (0600),
    so sign-ins survive a restart of the app."""
    if s.auth_cookie_secret is not None:
        return s.auth_cookie_secret.get_secret_value()
    path = private_dir(s.app_dir) / "cookie_secret"
    if not path.exists():
        write_private(path, lambda tmp: tmp.write_text(secrets.token_urlsafe(32), encoding="utf-8"))
    return path.read_text(encoding="utf-8").strip()


def write_auth_secrets(s: Settings) -> Path:
    """`<home>/app/secrets.toml` with Streamlit's `[auth]` section (owner only)."""
    section = s.auth_section()
    section["cookie_secret"] = section["cookie_secret"] or cookie_secret(s)
    text = "[auth]\n" + "".join(f"{k} = {_toml_string(v)}\n" for k, v in section.items())
    path = private_dir(s.app_dir) / "secrets.toml"
    write_private(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def launch(s: Settings, port: int, address: str | None, demo: bool) -> Launch:
    """The command and environment of the app; SettingsError when they cannot be used."""
    if not s.analytics_db.exists():
        raise SettingsError(
            f"{s.analytics_db} does not exist yet: run `wmin nightly` (or `wmin demo`) first"
        )
    env = {
        **os.environ,
        "WMIN_ANALYTICS_DB": str(s.analytics_db.resolve()),
        "WMIN_EXPORTS_DIR": str(s.exports_dir.resolve()),
        "WMIN_APP_AUDIT_DIR": str(s.audit_dir.resolve()),
        "WMIN_APP_DEMO": "1" if demo else "0",
    }
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    if s.sign_in_configured:
        s.auth_section()  # a partial configuration is said before the roles file
        try:
            load_access_file(s.roles_file)
        except AccessFileError as e:
            raise SettingsError(str(e)) from None
        secrets_file = write_auth_secrets(s)
        address = address or "0.0.0.0"
        env |= {"WMIN_APP_SIGN_IN": "oidc", "WMIN_APP_ACCESS_FILE": str(s.roles_file.resolve())}
        cmd += ["--secrets.files", str(secrets_file.resolve())]
        notice = (
            f"Sign-in through {s.auth_issuer}; roles from {s.roles_file}; "
            f"audit log in {s.audit_dir}"
        )
    else:
        if address and address not in _LOCAL_NAMES:
            raise SettingsError(
                f"--address {address}: without sign-in the app is served on "
                "localhost only; configure sign-in first (docs/access.md)"
            )
        address = address or LOCALHOST
        env |= {"WMIN_APP_SIGN_IN": "none"}
        env.pop("WMIN_APP_ACCESS_FILE", None)
        notice = (
            "No sign-in configured: served on this computer only (localhost)"
            + ("; demo mode" if demo else "")
            + ". To serve others, configure sign-in "
            "(docs/access.md)."
        )
    cmd += ["--server.address", address]
    return Launch(cmd, env, address, notice)


def serve(
    s: Settings, port: int, address: str | None, demo: bool, say: Callable[[str], None]
) -> int:
    started = launch(s, port, address, demo)
    say(started.notice)
    host = "localhost" if started.address in _LOCAL_NAMES else started.address
    say(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    return subprocess.call(started.command, env=started.env)
