"""Who may see what (docs/access.md): the roles file, the data module's enforcement for each role,
and the app as each role sees it in AppTest (a fake signed-in user through `AppTest.user`)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data
from dashboards.access import Access, AccessFileError, load_access_file, resolve

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
OWN, OTHER = "RRK", "RXK"
ROLES = f"""
contact: "the network data manager, imaging.data@example.nhs.uk"
users:
  Net@Example.nhs.uk: {{role: network_analyst}}
  trust@example.nhs.uk: {{role: trust_analyst, trust: {OWN}}}
  board@example.nhs.uk: {{role: board_member}}
claims:
  name: roles
  values:
    WMIN.Admin: {{role: administrator}}
"""
TRUST_ANALYST = Access("trust@example.nhs.uk", "trust_analyst", OWN)
NETWORK_ANALYST = Access("net@example.nhs.uk", "network_analyst")
BOARD = Access("board@example.nhs.uk", "board_member")
START, END = date(2025, 11, 1), date(2026, 9, 30)


@pytest.fixture()
def roles_file(tmp_path: Path) -> Path:
    path = tmp_path / "access.yml"
    path.write_text(ROLES, encoding="utf-8")
    return path


@pytest.fixture()
def signed_in_app(
    app_env: Path, roles_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The app as `wmin serve` starts it with sign-in; returns the audit folder."""
    audit = tmp_path / "audit"
    monkeypatch.setenv(data.ENV_SIGN_IN, "oidc")
    monkeypatch.setenv(data.ENV_ACCESS_FILE, str(roles_file))
    monkeypatch.setenv(data.ENV_AUDIT_DIR, str(audit))
    return audit


def app_as(user: dict | None, page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    # a fresh token time each time: each app_as is a new sign-in
    at.user = (
        {"is_logged_in": False}
        if user is None
        else {"is_logged_in": True, "iat": time.time_ns(), **user}
    )
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page is not None:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def audit_entries(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for p in sorted(folder.glob("*.jsonl"))
        for line in p.read_text(encoding="utf-8").splitlines()
    ]


# ---------------------------------------------------------------- the roles file
def test_roles_file_grants_by_email_or_claim(roles_file: Path) -> None:
    rules = load_access_file(roles_file)
    assert resolve(rules, {"email": "NET@example.nhs.uk"}) == NETWORK_ANALYST
    assert resolve(rules, {"email": "trust@example.nhs.uk"}) == TRUST_ANALYST
    assert resolve(
        rules, {"email": "it@example.nhs.uk", "roles": ["Other", "WMIN.Admin"]}
    ) == Access("it@example.nhs.uk", "administrator")
    assert resolve(rules, {"email": "stranger@example.com"}) is None
    assert resolve(rules, {"roles": "WMIN.Admin"}) is None, "no email: nobody to audit, refused"


def test_roles_file_errors_name_the_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "access.yml"
    path.write_text("users:\n  a@example.nhs.uk: {role: trust_analyst}\n", encoding="utf-8")
    with pytest.raises(
        AccessFileError, match=r"access.yml: users.a@example.nhs.uk: .*needs `trust:`"
    ):
        load_access_file(path)
    path.write_text("users:\n  a@example.nhs.uk: {role: superuser}\n", encoding="utf-8")
    with pytest.raises(AccessFileError, match=r"users\.a@example\.nhs\.uk\.role"):
        load_access_file(path)
    with pytest.raises(AccessFileError, match="no roles file"):
        load_access_file(tmp_path / "missing.yml")


# ---------------------------------------------------------------- the data module enforces
def test_trust_analyst_sees_other_trusts_only_suppressed(app_env: Path) -> None:
    exact = data.tat_monthly(START, END, access=NETWORK_ANALYST)
    seen = data.tat_monthly(START, END, access=TRUST_ANALYST)
    assert len(seen) == len(exact)
    own = exact["trust_code"].isin([OWN, data.NETWORK])
    # own trust and network rows exact; other trusts' counts rounded to 5 or suppressed
    assert seen[own]["exams_tested"].tolist() == exact[own]["exams_tested"].tolist()
    others = seen[~own]["exams_tested"].to_numpy(dtype=float)
    assert np.all(np.isnan(others) | (others % 5 == 0))
    small = exact[~own]["exams_tested"].between(1, 7)
    assert small.any(), "the fixture has small counts of other trusts"
    assert seen[~own][small.to_numpy()]["exams_tested"].isna().all()


def test_exam_level_rows_of_another_trust_are_refused(app_env: Path) -> None:
    with pytest.raises(data.AccessDenied, match=f"{OTHER}"):
        data.exam_rows(START, END, (OTHER,), access=TRUST_ANALYST)
    with pytest.raises(data.AccessDenied):
        data.exam_rows(START, END, (OWN, OTHER), access=TRUST_ANALYST)
    own = data.exam_rows(START, END, access=TRUST_ANALYST)
    assert len(own) > 0 and set(own["trust_code"]) == {OWN}
    assert set(data.exam_rows(START, END, access=NETWORK_ANALYST)["trust_code"]) > {OWN, OTHER}
    with pytest.raises(data.AccessDenied):
        data.exam_rows(START, END, access=BOARD)
    with pytest.raises(data.AccessDenied):
        data.mart_extract("tat_monthly", START, END, access=BOARD)
    medians = data.exam_interval_medians(START, END, (OTHER,), access=TRUST_ANALYST)
    assert set(medians["trust_code"]) <= {OWN, data.NETWORK}


# ---------------------------------------------------------------- each role's app
def test_signed_out_viewer_gets_the_sign_in_page(signed_in_app: Path) -> None:
    at = app_as(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric


def test_unknown_user_is_refused_and_told_whom_to_ask(signed_in_app: Path) -> None:
    at = app_as({"email": "stranger@example.com"})
    assert "no role in the app" in at.error[0].value
    assert any("imaging.data@example.nhs.uk" in m.value for m in at.markdown)
    assert not at.metric
    assert [e["event"] for e in audit_entries(signed_in_app)] == ["refused"]


def test_board_member_sees_the_summary_pages_only(signed_in_app: Path) -> None:
    at = app_as({"email": "board@example.nhs.uk"})
    assert at.metric, "the overview's figures"
    # the navigation holds the summary pages only: the turnaround page cannot be reached
    with pytest.raises(ValueError, match=r"Known pages: .*overview.py.*spc.py.*downloads.py'\]"):
        at.switch_page("app_pages/turnaround.py")
    at = app_as({"email": "board@example.nhs.uk"}, "downloads")
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert any("board_pack" in label for label in labels) and not any(
        "CSV" in label for label in labels
    )


def test_trust_analyst_refused_other_trust_rows_by_url(signed_in_app: Path) -> None:
    at = app_as({"email": "trust@example.nhs.uk"}, "downloads", {"trust": OTHER})
    assert any("Refused" in e.value and OTHER in e.value for e in at.error)
    assert not any("Exam rows" in str(b.proto.label) for b in at.get("download_button"))
    at = app_as({"email": "trust@example.nhs.uk"}, "downloads")
    assert any("Exam rows" in str(b.proto.label) for b in at.get("download_button"))
    events = audit_entries(signed_in_app)
    assert {e["event"] for e in events} >= {"sign_in", "page_view", "refused"}
    refused = next(e for e in events if e["event"] == "refused")
    assert refused["user"] == "trust@example.nhs.uk" and refused["trusts"] == [OTHER]
    views = [e for e in events if e["event"] == "page_view"]
    assert any(e["page"] == "downloads" and e["filters"].get("trust") == [OTHER] for e in views)


def test_network_analyst_sees_every_trust_exactly(signed_in_app: Path) -> None:
    at = app_as({"email": "net@example.nhs.uk"}, "downloads", {"trust": OTHER})
    assert not at.error
    assert any("Exam rows" in str(b.proto.label) for b in at.get("download_button"))
    assert any("net@example.nhs.uk" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize(
    "page",
    [
        "overview",
        "spc",
        "turnaround",
        "waiting_list",
        "reporting",
        "scheduling",
        "utilisation",
        "data_quality",
        "downloads",
    ],
)
def test_every_page_runs_for_a_trust_analyst_asking_for_another_trust(
    signed_in_app: Path, page: str
) -> None:
    at = app_as(
        {"email": "trust@example.nhs.uk"},
        page if page != "overview" else None,
        {"trust": [OTHER, OWN], "highlight": OTHER, "spc_trust": OTHER},
    )
    assert at.title
    assert not [e.value for e in at.error if "Refused" not in e.value]
