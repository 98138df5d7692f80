"""Run one command as a child process and measure its wall time and peak memory.

Peak memory is the largest sum of proportional set sizes (PSS) of the child and all its
descendants, sampled every 50 ms for the first five seconds and every 500 ms after: `ru_maxrss` alone reports the largest single process, which
under-counts a stage that writes with worker processes, and summing RSS over-counts forked workers
that share their parent's pages copy-on-write. PSS splits shared pages between their sharers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
# Sample often at first (short stages), then every half second: reading the memory maps of a
# large process costs CPU that the stage being measured would otherwise have.
SAMPLE_SECONDS = (0.05, 0.5)
SAMPLE_RAMP_SECONDS = 5.0


@dataclass
class Measured:
    command: list[str]
    exit_code: int
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str

    def check(self) -> Measured:
        if self.exit_code != 0:
            raise SystemExit(
                f"benchmark step failed ({self.exit_code}): {' '.join(self.command)}\n"
                f"{self.stdout[-3000:]}\n{self.stderr[-3000:]}"
            )
        return self


def _pss_bytes(p: psutil.Process) -> int:
    """PSS from the kernel's one-line rollup (cheap); RSS where the kernel has none."""
    try:
        with open(f"/proc/{p.pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return p.memory_info().rss


def _tree_memory(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += _pss_bytes(p)
        except psutil.Error:  # exited between listing and reading
            pass
    return total


def run_measured(
    command: list[str], env: dict[str, str] | None = None, cwd: Path = REPO, memory: bool = True
) -> Measured:
    """Run `command` to completion; stdout and stderr are captured in files (no pipe stalls).
    `memory=False` only times it (for a command that measures its own stages)."""
    out_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    with (
        open(out_dir / f"bench-{os.getpid()}.out", "w+") as out,
        open(out_dir / f"bench-{os.getpid()}.err", "w+") as err,
    ):
        t0 = time.perf_counter()
        popen = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        proc = psutil.Process(popen.pid)
        peak = 0
        while memory and popen.poll() is None:
            try:
                peak = max(peak, _tree_memory(proc))
            except psutil.Error:
                pass
            fast = time.perf_counter() - t0 < SAMPLE_RAMP_SECONDS
            time.sleep(SAMPLE_SECONDS[0] if fast else SAMPLE_SECONDS[1])
        popen.wait()
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    os.unlink(out.name)
    os.unlink(err.name)
    return Measured(
        command, popen.returncode, round(seconds, 3), round(peak / 2**20, 1), stdout, stderr
    )


def wmin_command(*args: str) -> list[str]:
    """The `wmin` command of this checkout, run with this interpreter (as `-m pipeline`: a
    `-c` process exits silently with 0 once pyspark is imported, pipeline/__main__.py)."""
    return [sys.executable, "-m", "pipeline", *args]


def wmin_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "WMIN_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "160", **extra}
    env.pop("WMIN_FAIL_POINT", None)
    return env


def stats(values: list[float]) -> dict[str, float]:
    """min / median / max of repeated measurements."""
    ordered = sorted(values)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return {
        "min": round(ordered[0], 3),
        "median": round(median, 3),
        "max": round(ordered[-1], 3),
        "n": n,
    }
