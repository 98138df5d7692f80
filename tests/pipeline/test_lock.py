import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.lock import AlreadyRunning, RunLock


def test_second_holder_refused_then_free_after_release(tmp_path: Path) -> None:
    lock = tmp_path / "nightly.lock"
    with RunLock(lock), pytest.raises(AlreadyRunning, match="already in progress"), RunLock(lock):
        pass
    with RunLock(lock):  # released: a new run may start
        pass


def test_lock_released_when_holder_is_killed(tmp_path: Path) -> None:
    lock = tmp_path / "nightly.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys,time; from pathlib import Path; from pipeline.lock import RunLock\n"
                f"with RunLock(Path({str(lock)!r})):\n  print('held', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunning), RunLock(lock):
            pass
    finally:
        holder.kill()
        holder.wait()
    with RunLock(lock):  # SIGKILL released it
        pass
