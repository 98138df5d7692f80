"""The real app in a real browser: every page loads without an exception; a screenshot of each.

Needs Debian's chromium at /usr/bin/chromium (the Makefile's `system-deps` installs it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.published import build_published_fixture

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
PAGES = {"": "Network overview", "turnaround": "Turnaround times", "waiting-list": "Waiting list",
         "reporting": "Reporting", "scheduling": "Scheduling capacity", "utilisation": "Scanner utilisation",
         "data-quality": "Data quality and feeds", "downloads": "Downloads"}

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium "
                                  "(`apt-get install chromium`, or `make system-deps` as root)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("wmin_home")
    build_published_fixture(home / "warehouse" / "analytics.duckdb")
    (home / "exports").mkdir()
    return home


@pytest.fixture(scope="module")
def server(home: Path):
    port = _free_port()
    env = {**os.environ, "WMIN_ANALYTICS_DB": str(home / "warehouse" / "analytics.duckdb"),
           "WMIN_EXPORTS_DIR": str(home / "exports"), "WMIN_HOME": str(home)}
    log = (home / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("streamlit did not start: " + (home / "streamlit.log").read_text()[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _settle(page) -> None:
    """Wait until the script has finished: the app is drawn and no running indicator shows."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !/Running|Connecting/i.test(w.innerText || '');
        }""", timeout=60_000)
    page.wait_for_timeout(1500)  # let charts and the map draw before the screenshot
    page.wait_for_function(
        """() => { const w = document.querySelector('[data-testid="stStatusWidget"]');
                   return !w || !/Running/i.test(w.innerText || ''); }""", timeout=60_000)


def test_every_page_in_chromium(server: str, home: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = home / "reports" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path, title in PAGES.items():
                page.goto(f"{server}/{path}?from=2025-10&to=2026-09", wait_until="domcontentloaded")
                _settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, (
                    f"{path}: " + page.locator('[data-testid="stException"]').first.inner_text())
                assert title in page.locator("h1").first.inner_text()
                assert page.get_by_text("Page not found").count() == 0, path
                page.screenshot(path=str(shots / f"{path or 'overview'}.png"), full_page=True)
        finally:
            browser.close()
    assert sorted(x.stem for x in shots.glob("*.png")) == sorted(p or "overview" for p in PAGES)
    print(f"screenshots: {shots}")
