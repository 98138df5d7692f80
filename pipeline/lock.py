"""One nightly run at a time: an exclusive, non-blocking lock on a file in the home folder.

The kernel releases a `flock` when its process dies, even by SIGKILL, so a killed run never
leaves a stale lock behind and the next run can start straight away.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Self


class AlreadyRunning(Exception):
    """Another run holds the lock."""


class RunLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise AlreadyRunning(
                f"a run that writes the warehouse is already in progress "
                f"(pid {holder}); this one did nothing. Wait for it to finish."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def database_in_use(error: BaseException, path: Path) -> str | None:
    """A clear message when DuckDB refused to open `path` because another process holds it
    (one writer or many readers per file, never both); None for any other error."""
    text = str(error)
    if "Could not set lock" not in text and "Conflicting lock" not in text:
        return None
    # DuckDB names the file it could not lock (the restricted or the analytics database)
    if 'on file "' in text:
        path = Path(text.split('on file "', 1)[1].split('"', 1)[0])
    holder = text.split("(PID ", 1)[1].split(")", 1)[0] if "(PID " in text else None
    who = f"process {holder}" if holder else "another process"
    return (
        f"{path} is open in {who} (a notebook, a dbt run by hand, or a dashboard opened "
        f"for writing?); close it there and run this again"
    )
