"""Keep the memory a file's read frees for the next file of the same run.

A night reads file after file in one process, each needing much the same few hundred MB.
By default the allocators hand freed memory back to the kernel at once and fault it in
again, zeroed, a page at a time for the next file; kept, the later files fault in far fewer
pages. `docs/benchmarks.md` ("Memory kept for the next file") has the figures.

The memory is held up to a bound (`release_freed_memory_over`): past it, what was freed goes
back to the kernel, so that one big file or a year's run does not keep gigabytes to the end.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_TOP_PAD = 256 << 20  # grow the heap in big steps: fewer brk calls


def keep_freed_memory() -> bool:
    """Call before pyarrow is imported (its allocator reads its options when it loads).
    Returns whether glibc's allocator was set (it is not on macOS or musl)."""
    if "pyarrow" not in sys.modules:
        # mimalloc, Arrow's default allocator: never return freed pages to the kernel
        os.environ.setdefault("MIMALLOC_PURGE_DELAY", "-1")
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    # numpy's arrays and Python's file buffers: every block from the heap (not a fresh
    # mapping per big block), and the heap never trimmed; an explicit malloc_trim still
    # returns it (closing a DuckDB database seems to call one)
    return all(
        libc.mallopt(param, value) == 1
        for param, value in (
            (_M_MMAP_MAX, 0),
            (_M_TRIM_THRESHOLD, 2**31 - 1),
            (_M_TOP_PAD, _TOP_PAD),
        )
    )


def resident_bytes() -> int:
    """The process's resident memory (Linux); 0 where /proc is not there."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def release_freed_memory_over(resident_bound: int) -> bool:
    """Give the memory freed so far back to the kernel once the process holds more than
    `resident_bound` bytes: what a run keeps for the next file is bounded. Unbounded, a trust's
    first backfill file left a reader holding about 1 GB, and a year's inserts (DuckDB's
    threads allocate from glibc too) left the loader holding gigabytes, until the process ended.
    Returns whether it released."""
    if resident_bytes() <= resident_bound:
        return False
    if platform.libc_ver()[0] == "glibc":
        ctypes.CDLL(None).malloc_trim(0)  # every arena, and the free pages inside a heap
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    return True
