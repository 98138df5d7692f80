"""One settings object for the whole pipeline. No other module reads the environment.

Values come from arguments first, then `WMIN_*` environment variables, then defaults.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed key for the synthetic demo only. It is public (it is in the repository), so any
# pseudonym made with it can be reversed: `Settings.pseudonym_key()` refuses it outside demo mode.
DEMO_PSEUDONYM_KEY = "wmin-demo-key-not-for-patient-data"
PROJECT_SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"


class SettingsError(Exception):
    """A setting that cannot be used; the message says which and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WMIN_", extra="ignore")

    home: Path = Field(
        default=Path("var"), description="home folder of landing, warehouse, exports"
    )
    pseudonym_key: SecretStr | None = Field(default=None, description="HMAC key for patient_key")
    pseudonym_key_file: Path | None = Field(default=None, description="file holding the HMAC key")
    demo: bool = Field(default=False, description="demo mode: synthetic data, demo key allowed")
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int = 2
    as_of: date | None = None
    feed_late_hour: int = Field(
        default=6, ge=0, le=23, description="a delivery after this local hour is late"
    )
    # Crash tests only: SIGKILL the nightly process at a named point (see pipeline/failpoints.py).
    fail_point: str | None = Field(
        default=None, pattern=r"^(ingest:file:\d+|build:node:\d+|publish:before_rename)$"
    )

    # Reference data: the ingest's local code maps and the tables dbt seeds. The project's
    # seeds/ unless pointed at a copy (a test onboarding a provider without touching seeds/).
    seeds_dir: Path = Field(default=PROJECT_SEEDS_DIR, description="folder of the seed CSV files")

    # Sign-in to the app (`wmin serve`, docs/access.md): OpenID Connect through Streamlit's
    # native authentication. Secrets come from the environment or a file, never the repository.
    auth_issuer: str | None = Field(
        default=None, description="OIDC issuer URL or its .well-known/openid-configuration URL"
    )
    auth_client_id: str | None = None
    auth_client_secret: SecretStr | None = None
    auth_client_secret_file: Path | None = None
    auth_cookie_secret: SecretStr | None = Field(
        default=None, description="signs the sign-in cookie; made once under the home when unset"
    )
    auth_redirect_uri: str | None = Field(default=None, description="https://<host>/oauth2callback")
    access_file: Path | None = Field(
        default=None, description="roles file (default home/access.yml)"
    )

    # --- derived paths (home layout of DESIGN.md) ---
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def truth_dir(self) -> Path:
        return self.home / "truth"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def restricted_db(self) -> Path:
        return self.warehouse_dir / "restricted.duckdb"

    @property
    def analytics_db(self) -> Path:
        return self.warehouse_dir / "analytics.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def extracts_dir(self) -> Path:
        """Parquet and CSV files of the published marts, for Excel and Power BI."""
        return self.home / "extracts"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def audit_dir(self) -> Path:
        """JSON lines of the app's sign-ins, page views and downloads, one file a day."""
        return self.logs_dir / "audit"

    @property
    def app_dir(self) -> Path:
        """The app's own files written by `wmin serve`: secrets.toml, the cookie secret (0700)."""
        return self.home / "app"

    @property
    def roles_file(self) -> Path:
        return self.access_file or self.home / "access.yml"

    @property
    def sign_in_configured(self) -> bool:
        return bool(self.auth_issuer or self.auth_client_id)

    def auth_section(self) -> dict[str, str]:
        """Streamlit's `[auth]` secrets (one provider) from these settings."""
        missing = [
            name
            for name, value in (
                ("WMIN_AUTH_ISSUER", self.auth_issuer),
                ("WMIN_AUTH_CLIENT_ID", self.auth_client_id),
                ("WMIN_AUTH_REDIRECT_URI", self.auth_redirect_uri),
            )
            if not value
        ]
        if self.auth_client_secret is None and self.auth_client_secret_file is None:
            missing.append("WMIN_AUTH_CLIENT_SECRET or WMIN_AUTH_CLIENT_SECRET_FILE")
        if missing:
            raise SettingsError(
                f"sign-in is partly configured: set {', '.join(missing)} (docs/access.md)"
            )
        assert self.auth_issuer and self.auth_client_id and self.auth_redirect_uri
        if not self.auth_redirect_uri.endswith("/oauth2callback"):
            raise SettingsError(
                f"WMIN_AUTH_REDIRECT_URI {self.auth_redirect_uri} must end with "
                "/oauth2callback (the path Streamlit answers the provider on)"
            )
        metadata = self.auth_issuer.rstrip("/")
        if not metadata.endswith("/.well-known/openid-configuration"):
            metadata += "/.well-known/openid-configuration"
        return {
            "redirect_uri": self.auth_redirect_uri,
            "cookie_secret": self._secret(self.auth_cookie_secret, None, "cookie secret")
            if self.auth_cookie_secret
            else "",
            "client_id": self.auth_client_id,
            "client_secret": self._secret(
                self.auth_client_secret, self.auth_client_secret_file, "client secret"
            ),
            "server_metadata_url": metadata,
        }

    @staticmethod
    def _secret(value: SecretStr | None, file: Path | None, what: str) -> str:
        if value is not None:
            return value.get_secret_value()
        assert file is not None
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise SettingsError(f"cannot read the {what} file {file}: {e.strerror}") from None

    @property
    def lock_file(self) -> Path:
        return self.home / "nightly.lock"

    def ensure_dirs(self) -> None:
        from exports.private_files import make_private, private_dir

        for d in (self.landing_dir, self.exports_dir, self.reports_dir, self.logs_dir):
            d.mkdir(parents=True, exist_ok=True)
        # the restricted database carries identifiers: its folder and file are the owner's only
        private_dir(self.warehouse_dir)
        make_private(self.restricted_db)

    def pseudonym_key_bytes(self) -> bytes:
        """The HMAC key. A real key comes from WMIN_PSEUDONYM_KEY or WMIN_PSEUDONYM_KEY_FILE."""
        if self.pseudonym_key is not None:
            key = self.pseudonym_key.get_secret_value()
        elif self.pseudonym_key_file is not None:
            try:
                key = self.pseudonym_key_file.read_text(encoding="utf-8").strip()
            except OSError as e:
                raise SettingsError(
                    f"cannot read the pseudonymisation key file "
                    f"{self.pseudonym_key_file}: {e.strerror}"
                ) from None
        elif self.demo:
            key = DEMO_PSEUDONYM_KEY
        else:
            raise SettingsError(
                "no pseudonymisation key: set WMIN_PSEUDONYM_KEY or WMIN_PSEUDONYM_KEY_FILE "
                "(a secret of at least 32 characters kept outside the repository), or run "
                "`wmin demo` for the synthetic network"
            )
        if key == DEMO_PSEUDONYM_KEY and not self.demo:
            raise SettingsError(
                "the built-in demo key is allowed only in demo mode; "
                "set a real key in WMIN_PSEUDONYM_KEY or WMIN_PSEUDONYM_KEY_FILE"
            )
        if len(key) < 32 and key != DEMO_PSEUDONYM_KEY:
            raise SettingsError("the pseudonymisation key must be at least 32 characters")
        return key.encode("utf-8")

    def effective_as_of(self) -> date:
        return self.as_of or date.today()
