"""The post-build gate's results as a static HTML page under `home/reports/`, on every run.

GE 1.x builds its data docs only from validation results kept in a file-backed context's stores
(checkpoints with an UpdateDataDocs action); the gate validates in-memory frames with an
ephemeral context, so its docs site would be empty. This page is written from the same outcomes
the run stores in `pipeline.expectation_results`: one file per run and `quality_gate_latest.html`.
"""

from __future__ import annotations

import html
import os
from datetime import datetime, timezone
from pathlib import Path

from pipeline.quality_gate import GateResult

_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
          ".fail{background:#fdd}.warn{background:#ffd}.ok{background:#dfd}")


def render(run_id: str, result: GateResult, when: datetime) -> str:
    verdict = ("PASSED: the marts were published" if result.passed
               else "FAILED: nothing was published, the previous analytics database stays")
    rows = []
    for o in result.outcomes:
        css = "ok" if o.success else ("fail" if o.blocking else "warn")
        state = "pass" if o.success else ("FAIL (blocks publish)" if o.blocking else "warning")
        rows.append("<tr class='{}'>{}</tr>".format(css, "".join(
            f"<td>{html.escape(str(v))}</td>" for v in
            (o.check_name, o.expectation, o.column or "", state, o.unexpected_count,
             o.sample if not o.success else ""))))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Quality gate {html.escape(run_id)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Post-build expectations, run {html.escape(run_id)}</h1>"
        f"<p>{when:%Y-%m-%d %H:%M} UTC. <strong>{verdict}</strong>. "
        f"{len(result.outcomes)} expectations, {len(result.blocking_failures)} blocking failure(s).</p>"
        "<table><tr><th>check</th><th>expectation</th><th>column</th><th>result</th>"
        "<th>unexpected</th><th>examples</th></tr>" + "".join(rows) + "</table></body></html>\n")


def write_gate_report(reports_dir: Path, run_id: str, result: GateResult) -> Path:
    """Write the run's page and replace `quality_gate_latest.html`; return the run's page."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    page = render(run_id, result, datetime.now(timezone.utc))
    path = reports_dir / f"quality_gate_{run_id}.html"
    path.write_text(page, encoding="utf-8")
    latest = reports_dir / "quality_gate_latest.html"
    tmp = latest.with_name(f".{latest.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, latest)
    return path
