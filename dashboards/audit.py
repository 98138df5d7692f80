"""The app's audit log: one JSON line per sign-in, page view or download, a file a day under
`<home>/logs/audit/` (read by `wmin audit`). Appends only; the app writes no database."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path


def append(
    folder: Path, event: str, user: str | None, role: str | None, details: dict[str, object]
) -> None:
    now = datetime.now(UTC)
    entry = {
        "at": now.isoformat(timespec="seconds"),
        "event": event,
        "user": user,
        "role": role,
        **details,
    }
    line = (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # one write of one line on an O_APPEND file: lines from several sessions never interleave
    fd = os.open(folder / f"{now:%Y-%m-%d}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
