"""Who may see what: the roles file and a viewer's access (docs/access.md).

The roles file is a small YAML kept outside the repository (`<home>/access.yml` by default):

    contact: "the network data manager, imaging.data@nhs.net"
    users:
      ann.smith@nhs.net: {role: network_analyst}
      raj.patel@nhs.net: {role: trust_analyst, trust: RRK}
    claims:                  # optional: a claim of the ID token (a list or a string) gives the role
      name: roles
      values:
        WMIN.Board: {role: board_member}

A user listed by email wins over a claim. Anyone else is refused, and told to ask `contact`.
This module reads no database and no environment: `dashboards.data` applies the access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

Role = Literal["network_analyst", "trust_analyst", "board_member", "administrator"]
ROLE_NAMES: dict[str, str] = {
    "network_analyst": "network analyst",
    "trust_analyst": "trust analyst",
    "board_member": "board member",
    "administrator": "administrator",
}
# Pages a board member sees (url paths of dashboards/app.py); other roles see every page.
BOARD_PAGES = ("home", "overview", "spc", "planning", "downloads")


class AccessFileError(ValueError):
    """The roles file cannot be used; the message names the file and the entry."""


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    trust: str | None = None

    @model_validator(mode="after")
    def _trust_for_trust_analyst(self) -> Grant:
        if self.role == "trust_analyst" and not self.trust:
            raise ValueError("a trust_analyst needs `trust:` (the trust's ODS code)")
        if self.role != "trust_analyst" and self.trust:
            raise ValueError(f"`trust:` is for trust analysts only, not {self.role}")
        return self


class ClaimRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "roles"
    values: dict[str, Grant] = {}


class AccessFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: str = "the imaging network's data manager"
    users: dict[str, Grant] = {}
    claims: ClaimRule | None = None


@dataclass(frozen=True)
class Access:
    """A viewer: `trust` is set for a trust analyst only."""

    email: str
    role: Role
    trust: str | None = None

    @property
    def label(self) -> str:
        return ROLE_NAMES[self.role] + (f" ({self.trust})" if self.trust else "")

    @property
    def all_trusts(self) -> bool:
        """Exact figures and exam-level rows of every trust."""
        return self.role in ("network_analyst", "administrator")

    def may_see_page(self, url_path: str) -> bool:
        return self.role != "board_member" or url_path in BOARD_PAGES


def load_access_file(path: Path) -> AccessFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise AccessFileError(
            f"{path}: no roles file; write one (docs/access.md) or set WMIN_ACCESS_FILE"
        ) from None
    except (OSError, yaml.YAMLError) as e:
        raise AccessFileError(
            f"{path}: cannot read the roles file: {' '.join(str(e).split())}"
        ) from None
    if isinstance(raw, dict) and isinstance(raw.get("users"), dict):
        raw = {**raw, "users": {str(k).strip().lower(): v for k, v in raw["users"].items()}}
    try:
        return AccessFile.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AccessFileError(f"{path}: {where}: {first['msg']}") from None


def resolve(rules: AccessFile, user: Mapping[str, object]) -> Access | None:
    """The access of a signed-in user (the ID token's claims), None when the file grants none."""
    email = str(user.get("email") or user.get("preferred_username") or "").strip().lower()
    grant = rules.users.get(email) if email else None
    if grant is None and rules.claims is not None:
        claimed = user.get(rules.claims.name)
        for value in [claimed] if isinstance(claimed, str) else list(claimed or []):  # type: ignore[arg-type]
            grant = rules.claims.values.get(str(value))
            if grant is not None:
                break
    if grant is None or not email:
        return None
    return Access(email=email, role=grant.role, trust=grant.trust)
