"""Fail points: kill the nightly process at a named point, to prove crash recovery in tests.

Set by `Settings.fail_point` (WMIN_FAIL_POINT) only; unset in production, where every hook
here is a no-op. The kill is SIGKILL, the harshest stop: no cleanup, no finally blocks.
"""

from __future__ import annotations

import os
import signal


class FailPoints:
    def __init__(self, spec: str | None) -> None:
        self.step, self.count = None, 0
        if spec:
            parts = spec.split(":")
            self.step = parts[0]
            self.count = int(parts[2]) if len(parts) == 3 else 0
        self._seen: dict[str, int] = {}

    def hit(self, step: str) -> None:
        """Count one event of a step (a file loaded, a dbt node finished, the rename reached)."""
        if self.step != step:
            return
        self._seen[step] = self._seen.get(step, 0) + 1
        if self._seen[step] > self.count:
            os.kill(os.getpid(), signal.SIGKILL)
