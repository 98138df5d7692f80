"""An HL7 v2 batch split in bulk with Arrow string kernels: segments, messages, fields,
repetitions and components, one kernel call per step over the whole file rather than a Python
loop per message. Only values holding an escape sequence go through Python (`unescape`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SEG_NAME = "^[A-Z][A-Z0-9]{2}$"
_ESC = re.compile(r"\\(F|S|T|R|E|\.br|X[0-9A-Fa-f]+)\\")
_ESC_MAP = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\", ".br": "\n"}


def unescape(text: str) -> str:
    """HL7 escape sequences \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\ -> characters."""
    if "\\" not in text:
        return text

    def rep(m: re.Match) -> str:
        code = m.group(1)
        if code[0] == "X":
            try:
                return bytes.fromhex(code[1:]).decode("latin-1")
            except ValueError:
                return m.group(0)
        return _ESC_MAP[code]

    return _ESC.sub(rep, text)


def unescape_all(values: pa.Array) -> pa.Array:
    """`unescape` on the values holding a backslash; the rest are left as they are."""
    has = pc.fill_null(pc.match_substring(values, "\\"), False)
    if not pc.any(has).as_py():
        return values
    fixed = [unescape(v) for v in values.filter(has).to_pylist()]
    return pc.replace_with_mask(values, has, pa.array(fixed, values.type))


def element(lists: pa.Array, k: int) -> pa.Array:
    """Item k of each list, "" where the list is shorter, null where the list is null."""
    return pc.binary_join(pc.list_slice(lists, k, k + 1), "")


def blank_to_null(values: pa.Array) -> pa.Array:
    """Surrounding whitespace stripped (as str.strip() does: the same Unicode set); "" -> null."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)


@dataclass
class Batch:
    """The non-blank segments of a batch in file order, grouped into messages: a new message at
    every MSH segment (and at the first segment, whatever it is)."""

    segments: pa.Array
    message_of: np.ndarray  # the message index of each segment
    starts: np.ndarray  # each message's first segment

    @property
    def messages(self) -> int:
        return len(self.starts)

    def heads(self) -> pa.Array:
        return self.segments.take(pa.array(self.starts))

    def raw(self) -> pa.Array:
        """Each message's segments joined by carriage returns."""
        offsets = pa.array(np.append(self.starts, len(self.segments)).astype(np.int32))
        return pc.binary_join(pa.ListArray.from_arrays(offsets, self.segments), "\r")


def split_batch(text: str) -> Batch:
    """Segments end at CR LF, CR or LF alike (CR LF is one end); blank segments are skipped."""
    whole = pa.array([text], pa.large_string())
    whole = pc.replace_substring(pc.replace_substring(whole, "\r\n", "\n"), "\r", "\n")
    segs = pc.list_flatten(pc.split_pattern(whole, "\n")).cast(pa.string())
    blank = pc.or_(pc.equal(segs, ""), pc.utf8_is_space(segs))
    segs = segs.filter(pc.invert(blank))
    starts = pc.starts_with(segs, "MSH").to_numpy(zero_copy_only=False)
    if len(starts):
        starts[0] = True
    return Batch(segs, np.cumsum(starts) - 1, np.flatnonzero(starts))


def first_bad_segments(batch: Batch, field_seps: pa.Array) -> np.ndarray:
    """Per message, the index of its first segment that is not `NNN<field separator>...` (a
    three-character name of capitals and digits, then the message's field separator), or -1."""
    segs = batch.segments
    names_ok = pc.match_substring_regex(pc.utf8_slice_codeunits(segs, 0, 3), _SEG_NAME)
    sep = pc.utf8_slice_codeunits(segs, 3, 4)
    sep_ok = pc.or_(pc.equal(sep, ""), pc.equal(sep, field_seps.take(pa.array(batch.message_of))))
    bad = np.flatnonzero(~pc.and_(names_ok, sep_ok).to_numpy(zero_copy_only=False))
    first = np.full(batch.messages, -1, dtype=np.int64)
    msgs, at = np.unique(batch.message_of[bad], return_index=True)
    first[msgs] = bad[at]
    return first


class Fields:
    """Field access over a set of messages sharing one field, component and repetition
    separator: `get` mirrors HL7's NAME-n.c addressing on the first segment of each name."""

    def __init__(self, batch: Batch, messages: np.ndarray, fs: str, cs: str, rs: str):
        self.batch, self.messages = batch, messages
        self.fs, self.cs, self.rs = fs, cs, rs
        self._row = np.full(batch.messages, -1, dtype=np.int64)
        self._row[messages] = np.arange(len(messages))
        self._names = pc.utf8_slice_codeunits(batch.segments, 0, 3)
        self._parts: dict[str, pa.Array] = {}

    def _segment(self, name: str) -> pa.Array:
        """The first `name` segment of each message split into fields (null where none)."""
        if name not in self._parts:
            at = np.flatnonzero(pc.equal(self._names, name).to_numpy(zero_copy_only=False))
            at = at[self._row[self.batch.message_of[at]] >= 0]
            msgs, first = np.unique(self.batch.message_of[at], return_index=True)
            pick = np.full(len(self.messages), -1, dtype=np.int64)
            pick[self._row[msgs]] = at[first]
            segs = self.batch.segments.take(pa.array(pick, mask=pick < 0))
            self._parts[name] = pc.split_pattern(segs, self.fs)
        return self._parts[name]

    def raw(self, name: str, n: int) -> pa.Array:
        """Field n as sent ("" when the segment is shorter). In MSH the field separator itself is
        field 1, so MSH-n is the (n-1)th piece of the split."""
        return element(self._segment(name), n - 1 if name == "MSH" else n)

    def get(self, name: str, n: int, comp: int = 1) -> pa.Array:
        """The first repetition's component `comp`, unescaped and stripped; null when empty."""
        v = self.raw(name, n)
        # most fields hold one repetition of one component: no split where no value needs one
        if _any_holds(v, self.rs):
            v = element(pc.split_pattern(v, self.rs, max_splits=1), 0)
        if comp > 1 or _any_holds(v, self.cs):
            v = element(pc.split_pattern(v, self.cs), comp - 1)
        return blank_to_null(unescape_all(v))


def _any_holds(values: pa.Array, sep: str) -> bool:
    return bool(pc.any(pc.match_substring(values, sep)).as_py())
