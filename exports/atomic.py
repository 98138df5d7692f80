"""Files readers may have open while they are rewritten: write beside, then rename over."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def write_atomically(path: Path, write: Callable[[Path], T]) -> T:
    """Write through `write(tmp_path)` beside `path`, then rename it over `path`, so a reader
    sees the old file or the new one, never half of one; returns what `write` returned. The
    temporary name carries the process id, so two writers never share one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        out = write(tmp)
        os.replace(tmp, path)
        return out
    finally:
        tmp.unlink(missing_ok=True)
