"""Hand memory the generator has freed back to the system between its stages.

A network year at scale 1.0 is tens of millions of event rows: each stage frees frames of
hundreds of megabytes, and glibc's allocator keeps freed heap memory for reuse (it raises its
mmap threshold after the first large free, so later large arrays come from that heap too).
Without these calls the process holds the freed memory of every earlier stage as well.
"""

from __future__ import annotations

import ctypes
import sys

import pyarrow as pa

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 256 * 1024  # a larger block gets its own mapping, unmapped when freed
_TRIM_THRESHOLD_BYTES = 16 * 2**20


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl): it manages its heap its own way
        return None


def map_large_blocks_apart() -> None:
    """Fix the mmap threshold (no dynamic raise) so that large arrays are unmapped when freed."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)


def release_freed_memory() -> None:
    """Give the heap's and Arrow's freed memory back to the system."""
    pa.default_memory_pool().release_unused()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
