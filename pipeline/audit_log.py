"""`wmin audit`: read the app's audit log (`<home>/logs/audit/<day>.jsonl`, written by
dashboards/audit.py): who signed in, viewed which page with which filters, downloaded what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.settings import Settings


def entries(
    folder: Path,
    since: date | None = None,
    user: str | None = None,
    problems: list[str] | None = None,
) -> Iterator[dict]:
    """Entries oldest first; a line that is not JSON is named in `problems`, never skipped silently."""
    for path in sorted(folder.glob("*.jsonl")):
        if since is not None and path.stem < since.isoformat():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if problems is not None:
                    problems.append(f"{path}: line {number} is not a JSON entry (left out)")
                continue
            if user is not None and str(entry.get("user") or "").lower() != user.lower():
                continue
            yield entry


def _what(entry: dict) -> str:
    rest = {k: v for k, v in entry.items() if k not in ("at", "event", "user", "role")}
    return ", ".join(f"{k}={v}" for k, v in rest.items())


def show_audit(s: Settings, since: str | None, user: str | None, console: Console) -> None:
    try:
        since_day = date.fromisoformat(since) if since else None
    except ValueError:
        raise ValueError(f"--since {since}: not a date (YYYY-MM-DD)") from None
    if not s.audit_dir.is_dir():
        console.print(f"No audit log yet in {s.audit_dir} (the app writes it when it is used).")
        return
    problems: list[str] = []
    rows = list(entries(s.audit_dir, since_day, user, problems))
    table = Table("when (UTC)", "event", "user", "role", "what", title=f"Audit log, {s.audit_dir}")
    for e in rows:
        table.add_row(
            str(e.get("at", "")),
            str(e.get("event", "")),
            escape(str(e.get("user") or "")),
            str(e.get("role") or ""),
            escape(_what(e)),
        )
    console.print(table)
    console.print(f"{len(rows)} {'entry' if len(rows) == 1 else 'entries'}")
    for p in problems:
        console.print(f"[yellow]warning:[/] {escape(p)}", soft_wrap=True)
