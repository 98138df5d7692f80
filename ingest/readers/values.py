"""Text columns and their values: as text, non-empty, yes/no, and local words mapped to
canonical ones by the feed spec's value_maps (with the unmapped words counted for `wmin feeds
check`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec


def as_str(arr) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def nonempty(arr: pa.Array) -> np.ndarray:
    # validity is the same before and after a cast to text: no need to format every value
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.is_valid().to_numpy(zero_copy_only=False)


def map_values(spec: FeedSpec, field_name: str, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Local words -> canonical values by spec.value_maps; unmapped kept as sent (and masked)."""
    arr = as_str(arr)
    mapping = spec.value_maps.get(field_name)
    n = len(arr)
    if mapping is None or n == 0:
        return arr, np.zeros(n, dtype=bool)
    enc = pc.dictionary_encode(arr)
    words = enc.dictionary.to_pylist()
    mapped, unmapped = [], []
    for w in words:
        v = mapping.get(w)
        if v is None:
            v = mapping.get(w.strip())
        mapped.append(w if v is None else v)
        unmapped.append(v is None)
    out = pc.take(pa.array(mapped, pa.string()), enc.indices)
    um = pc.fill_null(pc.take(pa.array(unmapped, pa.bool_()), enc.indices), False)
    words_seen = _UNMAPPED_WORDS.get()
    if words_seen is not None and any(unmapped):
        counts = np.bincount(
            enc.indices.drop_null().to_numpy(zero_copy_only=False), minlength=len(words)
        )
        for w, missing, k in zip(words, unmapped, counts.tolist()):
            if missing and k:
                words_seen[(field_name, w)] = words_seen.get((field_name, w), 0) + k
    return out, um.to_numpy(zero_copy_only=False)


# (field, local word) -> rows, for `wmin feeds check`: set by unmapped_words() around a read
_UNMAPPED_WORDS: ContextVar[dict[tuple[str, str], int] | None] = ContextVar(
    "unmapped_words", default=None
)


@contextmanager
def unmapped_words() -> Iterator[dict[tuple[str, str], int]]:
    """Collect the local words that map_values finds no mapping for, with their row counts,
    during the reads inside the block (on this thread)."""
    seen: dict[tuple[str, str], int] = {}
    token = _UNMAPPED_WORDS.set(seen)
    try:
        yield seen
    finally:
        _UNMAPPED_WORDS.reset(token)


_TRUE = {"true", "t", "y", "yes", "1"}
_FALSE = {"false", "f", "n", "no", "0"}


def to_bool(arr: pa.Array) -> pa.Array:
    """Canonical 'true'/'false' (or common spellings) -> boolean; other text -> null."""
    arr = as_str(arr)
    low = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    t = pc.is_in(low, value_set=pa.array(sorted(_TRUE)))
    f = pc.is_in(low, value_set=pa.array(sorted(_FALSE)))
    return pc.if_else(t, True, pc.if_else(f, False, pa.scalar(None, pa.bool_())))


def bool_unrecognised(arr: pa.Array) -> np.ndarray:
    arr = as_str(arr)
    b = to_bool(arr)
    return arr.is_valid().to_numpy(zero_copy_only=False) & b.is_null().to_numpy(
        zero_copy_only=False
    )
