"""The readers' second core: a small thread pool for the parts of a big file's read that do not
wait on each other. numpy, Arrow and pandas release the GIL in their loops, so work handed to
the pool runs beside the main thread (docs/benchmarks.md has what it saves).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

# Below this many rows a file is read on one thread: the hand-offs would cost more.
PARALLEL_MIN_ROWS = 20_000
_POOL: ThreadPoolExecutor | None = None


def pool_for(rows: int) -> ThreadPoolExecutor | None:
    """The shared pool for a file of `rows` rows, or None for a small one."""
    global _POOL
    if rows < PARALLEL_MIN_ROWS:
        return None
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="reader")
    return _POOL


def submit(pool: ThreadPoolExecutor | None, fn: Callable, *args) -> Future | tuple:
    """fn(*args) on the pool, or at once (the result kept in a 1-tuple) without one."""
    return pool.submit(fn, *args) if pool is not None else (fn(*args),)


def result(job: Future | tuple):
    return job[0] if isinstance(job, tuple) else job.result()
