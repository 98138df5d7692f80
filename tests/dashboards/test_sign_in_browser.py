"""Sign-in in a real browser: `wmin serve` with sign-in against a local OpenID provider
(oidc-provider-mock, started and stopped here), each role's view, a trust analyst refused another
trust's exam-level rows (by page, by URL, by download), sign-out, and the audit log; and the demo
mode's banner without sign-in. Screenshots go to `<home>/reports/screenshots/sign-in-*.png`.

Needs Debian's chromium at /usr/bin/chromium (the Makefile's `system-deps` installs it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.published import build_published_fixture
from tests.fixtures.servers import free_port, wait_until_healthy

CHROMIUM = Path("/usr/bin/chromium")
WMIN = Path(sys.executable).parent / "wmin"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OWN, OTHER = "RRK", "RXK"
USERS = {
    "trust": {"email": "trust@example.nhs.uk"},
    "board": {"email": "board@example.nhs.uk"},
    "network": {"email": "someone@example.nhs.uk", "roles": ["WMIN.Network"]},
    "stranger": {"email": "stranger@example.com"},
}
ROLES = f"""
contact: "the network data manager, imaging.data@example.nhs.uk"
users:
  trust@example.nhs.uk: {{role: trust_analyst, trust: {OWN}}}
  board@example.nhs.uk: {{role: board_member}}
claims:
  name: roles
  values:
    WMIN.Network: {{role: network_analyst}}
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium "
        "(`apt-get install chromium`, or `make system-deps` as root)",
    ),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("wmin_home")
    build_published_fixture(home / "warehouse" / "analytics.duckdb")
    (home / "exports").mkdir()
    (home / "access.yml").write_text(ROLES, encoding="utf-8")
    return home


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OpenID provider whose authorisation page offers the USERS to sign in as."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on localhost only
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub=name, claims=claims) for name, claims in USERS.items()]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def _serve(home: Path, port: int, args: list[str], env: dict[str, str]) -> Iterator[str]:
    """`wmin serve` in its own process group (it starts Streamlit as a child); the app's URL."""
    log = (home / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        [str(WMIN), "serve", "--home", str(home), "--port", str(port), *args],
        env={**os.environ, **env, "AUTHLIB_INSECURE_TRANSPORT": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        wait_until_healthy(url, proc, Path(log.name), "wmin serve")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def signed_in_app(home: Path, provider: str) -> Iterator[str]:
    port = free_port()
    yield from _serve(
        home,
        port,
        ["--address", "127.0.0.1"],
        {
            "WMIN_AUTH_ISSUER": provider,
            "WMIN_AUTH_CLIENT_ID": "wmin-test",
            "WMIN_AUTH_CLIENT_SECRET": "not-a-real-secret",
            "WMIN_AUTH_REDIRECT_URI": f"http://localhost:{port}/oauth2callback",
        },
    )


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def settled(page) -> None:
    """Wait until the script has finished: a title drawn and no running indicator, twice."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_selector("h1", timeout=30_000)
    for _ in range(2):
        page.wait_for_timeout(1000)
        page.wait_for_function(
            """() => { const w = document.querySelector('[data-testid="stStatusWidget"]');
                       return !w || !/Running|Connecting/i.test(w.innerText || ''); }""",
            timeout=60_000,
        )


def sign_in(page, app: str, who: str) -> None:
    page.goto(app)
    settled(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_role("button", name=who, exact=True).click()
    page.wait_for_url(f"{app}/**", timeout=30_000)
    settled(page)


def shot(page, home: Path, name: str) -> None:
    folder = home / "reports" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"sign-in-{name}.png"), full_page=True)


def audit(home: Path) -> list[dict]:
    return [
        json.loads(line)
        for p in sorted((home / "logs" / "audit").glob("*.jsonl"))
        for line in p.read_text(encoding="utf-8").splitlines()
    ]


def text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text()


def test_trust_analyst_signs_in_is_refused_other_trusts_rows_and_signs_out(
    signed_in_app: str, browser, home: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(signed_in_app)
    settled(page)
    assert "Sign in with your organisation's account" in text(page)
    assert "Network overview" not in text(page)
    shot(page, home, "page")

    sign_in(page, signed_in_app, "trust")
    assert "Signed in as trust@example.nhs.uk, trust analyst (RRK)" in text(page)
    assert page.locator("h1").first.inner_text().startswith("Network overview")

    # by URL: another trust's exam-level rows are refused, no download offered
    page.goto(f"{signed_in_app}/downloads?trust={OTHER}")
    settled(page)
    assert f"Refused: exam-level rows of {OTHER} are not yours to see" in text(page)
    assert page.get_by_role("button", name="⬇️ Exam rows (CSV)").count() == 0
    shot(page, home, "trust-analyst-refused")

    # by page: choosing the trust in the filter is refused the same way
    page.goto(f"{signed_in_app}/downloads")
    settled(page)
    button = page.get_by_role("button", name="⬇️ Exam rows (CSV)")
    button.wait_for(state="visible", timeout=30_000)
    with page.expect_download(timeout=90_000) as got:  # the click reruns the page first
        button.click()
    rows = Path(got.value.path()).read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    trusts = {line.split(",")[header.index("trust_code")] for line in rows[1:]}
    assert trusts == {OWN}, "the download holds the analyst's own trust's exams only"
    trusts_filter = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Trusts")
    trusts_filter.locator("input").click()
    page.keyboard.type(OTHER)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    settled(page)
    assert f"Refused: exam-level rows of {OTHER}" in text(page)

    # sign-out leaves the app for the provider's end-session page; its button brings us back
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{signed_in_app}/**", timeout=30_000)
    page.goto(signed_in_app)
    settled(page)
    assert "Sign in with your organisation's account" in text(page)

    events = [e for e in audit(home) if e.get("user") == "trust@example.nhs.uk"]
    kinds = [e["event"] for e in events]
    assert kinds.count("sign_in") == 1 and "sign_out" in kinds
    assert any(
        e["event"] == "page_view"
        and e["page"] == "downloads"
        and e["filters"].get("trust") == [OTHER]
        for e in events
    )
    assert sum(e["event"] == "refused" and e["trusts"] == [OTHER] for e in events) >= 2
    download = next(e for e in events if e["event"] == "download")
    assert download["what"].startswith(f"fct_exams_{OWN}_") and download["rows"] == len(rows) - 1


def test_board_member_and_network_analyst_views_and_a_stranger_refused(
    signed_in_app: str, browser, home: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page, signed_in_app, "board")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Board measures (SPC)" in nav and "Turnaround times" not in nav and "Downloads" in nav
    page.goto(f"{signed_in_app}/downloads")
    settled(page)
    assert page.get_by_role("button", name="⬇️ Exam rows (CSV)").count() == 0
    assert "Mart extracts" not in text(page)

    page = browser.new_page(viewport={"width": 1280, "height": 1000})  # a new browser context
    page.context.clear_cookies()
    sign_in(page, signed_in_app, "network")
    assert "network analyst" in text(page)
    page.goto(f"{signed_in_app}/downloads?trust={OTHER}")
    settled(page)
    assert page.get_by_role("button", name="⬇️ Exam rows (CSV)").count() == 1

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, signed_in_app, "stranger")
    assert "stranger@example.com, but this account has no role in the app" in text(page)
    assert "imaging.data@example.nhs.uk" in text(page)
    shot(page, home, "stranger-refused")
    context.close()
    assert any(
        e["event"] == "refused" and e["user"] == "stranger@example.com" and e["role"] is None
        for e in audit(home)
    )


def test_demo_mode_without_sign_in_says_so_on_every_page(home: Path, browser) -> None:
    server = _serve(home, free_port(), ["--demo"], {})
    app = next(server)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for path in ("overview", "turnaround", "downloads"):
            page.goto(f"{app}/{path}")
            settled(page)
            assert "Demo mode" in text(page), path
        shot(page, home, "demo-banner")
    finally:
        server.close()
