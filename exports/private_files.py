"""Files that carry patient identifiers (DIDS submissions, the restricted database): readable by
their owner only, 0600 in a folder only the owner can open (0700), whatever the process's umask.

Modes are set explicitly rather than through the umask, which is process-wide and would also
close files meant for others (the board pack, the published database)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from exports.atomic import write_atomically

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make `path` (and any missing parents) and close it to everyone but its owner."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(
        path, PRIVATE_DIR_MODE
    )  # mkdir's mode yields to the umask, and an old folder keeps its own
    return path


def make_private(path: Path) -> None:
    """Close an existing file to everyone but its owner (nothing when it does not exist)."""
    try:
        os.chmod(path, PRIVATE_FILE_MODE)
    except FileNotFoundError:
        pass


def write_private(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` fills a fresh owner-only file beside `path`, which then replaces `path`
    atomically: the bytes are never readable by others, not even while being written."""

    def private(tmp: Path) -> object:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE))
        os.chmod(tmp, PRIVATE_FILE_MODE)  # created before by a killed run: its old mode
        return write(tmp)

    write_atomically(path, private)
