"""Keep the memory a file's read frees for the next file of the same run.

A night reads file after file in one process, each needing much the same few hundred MB.
By default the allocators hand freed memory back to the kernel at once and fault it in
again, zeroed, a page at a time for the next file; kept, the later files fault in far fewer
pages. `docs/benchmarks.md` ("Memory kept for the next file") has the figures.

The memory is held until the process ends: the nightly run's process, not a long-lived one.
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
