"""The real app in a real browser at 1280 and 1920 px: every page loads without an exception and
every chart has a plot to look at (not squashed by a legend, not empty, not past the page's edge).

Each Vega chart is measured in the DOM that vega-embed draws (SVG): its plot cells (the view
backgrounds of single, layered and concatenated views), the data marks inside them, and the
drawing's width against its container. A full-page screenshot of every page at each width goes
to `<home>/reports/screenshots/<page>-<width>.png` for a person to look at.

Needs Debian's chromium at /usr/bin/chromium (the Makefile's `system-deps` installs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.published import build_published_fixture
from tests.fixtures.servers import free_port, wait_until_healthy

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "overview": "Network overview",
    "spc": "Board measures (SPC)",
    "turnaround": "Turnaround times",
    "waiting-list": "Waiting list",
    "reporting": "Reporting",
    "scheduling": "Scheduling capacity",
    "utilisation": "Scanner utilisation",
    "data-quality": "Data quality and feeds",
    "downloads": "Downloads",
}
WIDTHS = (1280, 1920)
MIN_PLOT_HEIGHT = 80  # px: below this a chart's plot is a sliver (a legend or a title ate it)
MIN_PLOT_WIDTH = 150

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium "
        "(`apt-get install chromium`, or `make system-deps` as root)",
    ),
]

# For every vega-embed: the drawing's size, its container's width, and each plot cell (a view's
# background that holds no other view) with the number of data-mark items drawn in it.
MEASURE_CHARTS = """() => [...document.querySelectorAll('.vega-embed')].map((embed, i) => {
    const box = r => ({left: Math.round(r.left), top: Math.round(r.top),
                       width: Math.round(r.width), height: Math.round(r.height)});
    const drawing = embed.querySelector('svg[role="graphics-document"]') || embed.querySelector('svg, canvas');
    const chart = {index: i, renderer: drawing ? drawing.tagName.toLowerCase() : null,
                   drawing: drawing ? box(drawing.getBoundingClientRect()) : null,
                   container: box(embed.parentElement.getBoundingClientRect()), cells: []};
    // a plot cell: a group item with its own background and its own axes (a line's path
    // group or a legend's entries have no axes; a vconcat's root holds cells, not axes)
    for (const item of embed.querySelectorAll('g.mark-group > g')) {
        const bg = item.querySelector(':scope > path.background');
        if (!bg || !item.querySelector(':scope > g > g.role-axis')) continue;
        const marks = [...item.querySelectorAll(':scope > g > g.role-mark, :scope > g g.role-scope g.role-mark')]
            .filter(m => !m.closest('.role-legend, .role-axis'))
            .reduce((n, m) => n + m.children.length, 0);
        chart.cells.push({...box(bg.getBoundingClientRect()), marks});
    }
    return chart;
})"""


def problems(page_name: str, width: int, charts: list[dict]) -> list[str]:
    """What a person would see wrong with each chart, in words."""
    found = []
    for c in charts:
        name = f"{page_name} at {width} px, chart {c['index'] + 1}"
        if c["renderer"] != "svg":
            found.append(
                f"{name}: drawn as {c['renderer']}, cannot be measured (keep it under 2,000 points)"
            )
            continue
        if not c["cells"]:
            found.append(f"{name}: no plot area at all")
        for cell in c["cells"]:
            if cell["height"] < MIN_PLOT_HEIGHT or cell["width"] < MIN_PLOT_WIDTH:
                found.append(
                    f"{name}: plot is {cell['width']}x{cell['height']} px "
                    f"(at least {MIN_PLOT_WIDTH}x{MIN_PLOT_HEIGHT})"
                )
            if cell["marks"] == 0:
                found.append(f"{name}: plot has no data marks")
        if c["drawing"]["width"] > c["container"]["width"] + 2:
            found.append(
                f"{name}: {c['drawing']['width']} px wide in a {c['container']['width']} px "
                "container (runs past the edge)"
            )
        stacked = {(cell["left"], cell["width"]) for cell in c["cells"]}
        if len(stacked) > 1:
            found.append(f"{name}: stacked plots do not line up (left, width): {sorted(stacked)}")
    return found


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("wmin_home")
    build_published_fixture(home / "warehouse" / "analytics.duckdb")
    (home / "exports").mkdir()
    return home


@pytest.fixture(scope="module")
def server(home: Path):
    port = free_port()
    env = {
        **os.environ,
        "WMIN_ANALYTICS_DB": str(home / "warehouse" / "analytics.duckdb"),
        "WMIN_EXPORTS_DIR": str(home / "exports"),
        "WMIN_HOME": str(home),
    }
    log = (home / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboards" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc, home / "streamlit.log", "streamlit")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page) -> None:
    """Wait until the script has finished: the app is drawn and no running indicator shows."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !/Running|Connecting/i.test(w.innerText || '');
        }""",
        timeout=60_000,
    )
    page.wait_for_timeout(1500)  # let charts and the map draw
    page.wait_for_function(
        """() => { const w = document.querySelector('[data-testid="stStatusWidget"]');
                   return !w || !/Running/i.test(w.innerText || ''); }""",
        timeout=60_000,
    )


def open_whole_page(page, url: str, width: int) -> None:
    """Load `url`, then make the window as tall as the page so nothing scrolls (Streamlit
    scrolls inside its own container, which a full-page screenshot would not show)."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    settle(page)
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]') || document.body;
        return Math.max(main.scrollHeight, document.body.scrollHeight); }""")
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 16_000)})
    page.wait_for_timeout(1500)


def test_every_page_has_readable_charts_at_two_widths(server: str, home: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = home / "reports" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    charts_seen = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            for width in WIDTHS:
                for path, title in PAGES.items():
                    open_whole_page(page, f"{server}/{path}?from=2025-10&to=2026-09", width)
                    assert page.locator('[data-testid="stException"]').count() == 0, (
                        f"{path}: " + page.locator('[data-testid="stException"]').first.inner_text()
                    )
                    assert page.get_by_text("Page not found").count() == 0, path
                    assert title in page.locator("h1").first.inner_text()
                    page.screenshot(path=str(shots / f"{path}-{width}.png"), full_page=True)
                    charts = page.evaluate(MEASURE_CHARTS)
                    charts_seen += len(charts)
                    found += problems(path, width, charts)
        finally:
            browser.close()
    print(f"screenshots: {shots}")
    assert not found, "charts a person could not read:\n" + "\n".join(found)
    assert charts_seen >= 2 * 15, f"only {charts_seen} charts measured: the pages lost their charts"
    assert sorted(x.name for x in shots.glob("*.png")) == sorted(
        f"{p}-{w}.png" for p in PAGES for w in WIDTHS
    )


def test_root_opens_the_overview_with_the_links_filters(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server}/?trust=RRK&from=2026-02", wait_until="domcontentloaded")
            settle(page)
            assert "Network overview" in page.locator("h1").first.inner_text()
            assert (
                "/overview" in page.url and "trust=RRK" in page.url and "from=2026-02" in page.url
            )
        finally:
            browser.close()
