"""The post-build gate's results as HTML under `home/reports/`, on every run.

Two kinds of page: a summary (`quality_gate_<run>.html`, and `quality_gate_latest.html`) written
from the outcomes the run stores in `pipeline.expectation_results`, and Great Expectations' own
data docs page for each check (`data_docs/<run>/<check>.html`), rendered by GE's validation
results renderer. GE's docs *site* builder only reads results kept in a file-backed context's
stores; the gate validates in-memory frames with an ephemeral context, so the pages are rendered
directly and the summary is their index.
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime
from pathlib import Path

from pipeline.quality_gate import GateResult

_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    ".fail{background:#fdd}.warn{background:#ffd}.ok{background:#dfd}"
)


def render_data_docs(run_dir: Path, result: GateResult) -> dict[str, str]:
    """GE's validation page per check; returns check name -> file name."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    run_dir.mkdir(parents=True, exist_ok=True)
    renderer, view, pages = ValidationResultsPageRenderer(), DefaultJinjaPageView(), {}
    for check, suite_result in result.suite_results:
        name = f"{check}.html"
        (run_dir / name).write_text(view.render(renderer.render(suite_result)), encoding="utf-8")
        pages[check] = name
    return pages


def render(
    run_id: str, result: GateResult, when: datetime, docs: dict[str, str] | None = None
) -> str:
    verdict = (
        "PASSED: the marts were published"
        if result.passed
        else "FAILED: nothing was published, the previous analytics database stays"
    )
    rows = []
    for o in result.outcomes:
        css = "ok" if o.success else ("fail" if o.blocking else "warn")
        state = "pass" if o.success else ("FAIL (blocks publish)" if o.blocking else "warning")
        cells = [
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                o.check_name,
                o.expectation,
                o.column or "",
                state,
                o.unexpected_count,
                o.sample if not o.success else "",
            )
        ]
        if docs and o.check_name in docs:  # link the check to its GE data docs page
            link = f"data_docs/{html.escape(run_id)}/{html.escape(docs[o.check_name])}"
            cells[0] = f"<td><a href='{link}'>{html.escape(o.check_name)}</a></td>"
        rows.append(f"<tr class='{css}'>{''.join(cells)}</tr>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Quality gate {html.escape(run_id)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Post-build expectations, run {html.escape(run_id)}</h1>"
        f"<p>{when:%Y-%m-%d %H:%M} UTC. <strong>{verdict}</strong>. "
        f"{len(result.outcomes)} expectations, {len(result.blocking_failures)} blocking failure(s).</p>"
        "<table><tr><th>check</th><th>expectation</th><th>column</th><th>result</th>"
        "<th>unexpected</th><th>examples</th></tr>" + "".join(rows) + "</table></body></html>\n"
    )


def write_gate_report(reports_dir: Path, run_id: str, result: GateResult) -> Path:
    """Write the run's page and replace `quality_gate_latest.html`; return the run's page."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    docs = render_data_docs(reports_dir / "data_docs" / run_id, result)
    page = render(run_id, result, datetime.now(UTC), docs)
    path = reports_dir / f"quality_gate_{run_id}.html"
    path.write_text(page, encoding="utf-8")
    latest = reports_dir / "quality_gate_latest.html"
    tmp = latest.with_name(f".{latest.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, latest)
    return path
