"""`wmin feeds check FEED.yml FILE`: try a trust's feed spec on a sample file (onboarding tool)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.feeds.spec import SpecError, load_spec
from ingest.readers import read_file
from ingest.readers.base import QuarantineError, extract_time


@dataclass
class FeedCheckReport:
    spec_path: str
    file: str
    ok: bool
    error: str | None = None  # spec error or quarantine reason + message
    quarantine_reason: str | None = None
    family: str | None = None
    content: str | None = None
    extract_at: str | None = None
    column_map: dict[str, str | None] = field(default_factory=dict)  # canonical -> column found / None
    parse_rates: dict[str, float | None] = field(default_factory=dict)  # field -> share parsed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected: list[dict] = field(default_factory=list)  # first N: line, field, reason, message, raw
    dq_flags: dict[str, int] = field(default_factory=dict)


def check_feed(spec_path: Path, file: Path, max_rejects: int = 20) -> FeedCheckReport:
    rep = FeedCheckReport(str(spec_path), str(file), ok=False)
    try:
        spec = load_spec(Path(spec_path))
    except SpecError as e:
        rep.error = str(e)
        return rep
    rep.family = spec.family
    file = Path(file)
    from fnmatch import fnmatch
    content = "slots" if spec.files.slots and fnmatch(file.name, spec.files.slots) else "exams"
    rep.content = content
    try:
        rep.extract_at = extract_time(spec, file.name).isoformat()
    except QuarantineError as e:
        rep.extract_at = f"not found: {e.message}"
    if not file.is_file():
        rep.error = f"{file}: no such file"
        return rep
    try:
        res = read_file(file, spec, content)
    except QuarantineError as q:
        rep.error, rep.quarantine_reason = q.message, q.reason
        return rep
    except Exception as e:  # never a traceback for the onboarding user
        rep.error = f"the reader failed on this file ({type(e).__name__}: {e})"
        return rep
    rep.ok = True
    rep.column_map = dict(res.column_map)
    rep.parse_rates = {f: (ok / tot if tot else None) for f, (ok, tot) in res.field_parse.items()}
    rep.rows_read, rep.rows_loaded, rep.rows_rejected = res.rows_read, res.rows_loaded, res.rows_rejected
    for r in res.rejected.head(max_rejects).itertuples(index=False):
        rep.rejected.append({"line": int(r.line), "field": r.field, "reason": r.reason_code,
                             "message": r.message, "raw": str(r.raw_text)[:200]})
    flags: dict[str, int] = {}
    for frame in (res.exam_records, res.exam_events):
        if "dq_flags" in frame.columns:
            for v in frame["dq_flags"].dropna():
                for f in str(v).split(","):
                    flags[f] = flags.get(f, 0) + 1
    rep.dq_flags = flags
    return rep


def render(report: FeedCheckReport):
    """A rich renderable of the report."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    title = f"{report.file}  ·  {report.spec_path}"
    if report.error and not report.ok:
        head = "Quarantine: " + report.quarantine_reason if report.quarantine_reason else "Error"
        return Panel(Text(report.error), title=f"{head} — {title}", border_style="red")
    parts = [Text(f"family {report.family} ({report.content}); extract time {report.extract_at}; rows read "
                  f"{report.rows_read}, loaded {report.rows_loaded}, rejected {report.rows_rejected}")]
    cm = Table(title="Column mapping")
    cm.add_column("canonical field")
    cm.add_column("column")
    cm.add_column("found")
    for f, c in report.column_map.items():
        cm.add_row(f, c or "", "yes" if c else "[red]MISSING[/red]")
    parts.append(cm)
    pr = Table(title="Parse rate")
    pr.add_column("field")
    pr.add_column("parsed")
    for f, r in report.parse_rates.items():
        pr.add_row(f, "-" if r is None else f"{r:.1%}")
    parts.append(pr)
    if report.rejected:
        rj = Table(title=f"First {len(report.rejected)} rejected rows")
        for c in ("line", "reason", "field", "message"):
            rj.add_column(c)
        for r in report.rejected:
            rj.add_row(str(r["line"]), r["reason"], str(r["field"] or ""), r["message"])
        parts.append(rj)
    if report.dq_flags:
        parts.append(Text("Data-quality flags: " + ", ".join(f"{k} {v}" for k, v in report.dq_flags.items())))
    return Panel(Group(*parts), title=title, border_style="green")
