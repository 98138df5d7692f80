"""Output for a log file: when standard output is not a terminal (cron, systemd, a pipe), each
command writes plain lines, each stamped with the UTC time, never cut, with no colour codes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.console import Console

# a long step says how far it has got at most this often in a log file
PROGRESS_INTERVAL_SECONDS = 60.0


def is_plain(console: Console) -> bool:
    return not console.is_terminal


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_line(console: Console, text: str) -> None:
    """One timestamped line, written straight to the console's file: no markup, no wrapping."""
    console.file.write(f"{stamp()} {' '.join(str(text).split())}\n")
    console.file.flush()


def say(console: Console, text: str, style: str = "bold") -> None:
    """A step's line: styled on a terminal, a plain timestamped line otherwise."""
    from rich.markup import escape

    if is_plain(console):
        log_line(console, text)
    else:
        console.print(f"[{style}]{escape(text)}[/]" if style else escape(text), soft_wrap=True)


class Throttle:
    """True at most once per `interval` seconds (the first call waits a whole interval)."""

    def __init__(self, interval: float = PROGRESS_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


def count_text(counts: dict) -> str:
    """`files 12, rows_read 3,456`: a step's counts on one line."""
    return ", ".join(
        f"{k} {v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{k} {v}"
        for k, v in counts.items()
    )
