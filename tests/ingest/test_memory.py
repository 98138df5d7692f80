"""keep_freed_memory: a freed big block stays in the process for the next file.

Each case runs in a fresh interpreter: the settings are for the whole process and pyarrow
must not have loaded yet."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

# a 64 MB block allocated, written and freed, then glibc's own account of its heap (mallinfo2)
_PROBE = """
import ctypes, json, os, sys
from ingest.memory import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
env = os.environ.get("MIMALLOC_PURGE_DELAY")
block = bytearray(64 << 20)
block[::4096] = b"x" * len(range(0, len(block), 4096))
del block

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
info = libc.mallinfo2()
print(json.dumps({"kept": kept, "env": env, "heap": info.arena, "free_in_heap": info.fordblks}))
"""

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")


def _python(code: str, *args: str, env_extra: dict | None = None) -> str:
    """Run code in a fresh interpreter, MIMALLOC_PURGE_DELAY unset unless given."""
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**env, **(env_extra or {})},
    ).stdout


def _probe(mode: str, env_extra: dict | None = None) -> dict:
    return json.loads(_python(_PROBE, mode, env_extra=env_extra))


@glibc
def test_a_freed_big_block_stays_in_the_heap_for_the_next_file():
    kept = _probe("keep")
    assert kept["kept"] is True
    assert kept["free_in_heap"] >= 64 << 20  # the block, ready for reuse without page faults


@glibc
def test_without_it_a_big_block_goes_back_to_the_kernel():
    # the control: glibc maps a 64 MB block on its own and unmaps it when freed
    default = _probe("default")
    assert default["heap"] < 64 << 20


def test_arrows_allocator_is_told_to_keep_its_pages_before_pyarrow_loads():
    assert _probe("keep")["env"] == "-1"
    assert _probe("default")["env"] is None
    # a value the operator set is left alone
    assert _probe("keep", {"MIMALLOC_PURGE_DELAY": "10"})["env"] == "10"


def test_after_pyarrow_has_loaded_its_allocator_is_left_alone():
    code = (
        "import os, pyarrow; from ingest.memory import keep_freed_memory; keep_freed_memory();"
        " print(os.environ.get('MIMALLOC_PURGE_DELAY'))"
    )
    assert _python(code).strip() == "None"


# the same block freed, then what release_freed_memory_over does with it under a bound above
# and one below the process's resident memory: resident memory before and after each
_RELEASE_PROBE = """
import json, os
from ingest.memory import keep_freed_memory, release_freed_memory_over, resident_bytes
keep_freed_memory()
block = bytearray(64 << 20)
block[::4096] = b"x" * len(range(0, len(block), 4096))
del block
before = resident_bytes()
kept = release_freed_memory_over(before + (256 << 20))
after_kept = resident_bytes()
released = release_freed_memory_over(16 << 20)
print(json.dumps({"kept": kept, "released": released, "before": before,
                  "after_kept": after_kept, "after_released": resident_bytes()}))
"""


@glibc
def test_freed_memory_is_kept_up_to_the_bound_and_given_back_beyond_it():
    probe = json.loads(_python(_RELEASE_PROBE))
    assert probe["kept"] is False  # under the bound: kept for the next file
    assert probe["after_kept"] > probe["before"] - (8 << 20)
    assert probe["released"] is True  # over it: back to the kernel
    assert probe["after_released"] < probe["before"] - (48 << 20)
