"""Delimited-text tokeniser shared by the CSV families: bytes -> string columns + rejected lines.

Fast path: numpy finds lines, delimiter and quote counts per line; lines with quotes are checked
one by one with the csv module; the clean bytes are parsed by pyarrow's multi-threaded CSV reader.
If pyarrow disagrees with the line accounting, a pure-Python csv parse of the good lines is used.
Faster still, for a file without quotes, bare carriage returns or undecodable lines (one pyarrow
row per line): pyarrow parses the whole buffer first, skipping rows of the wrong width, and the
per-line delimiter count is only made when it skipped some.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ingest import quirks
from ingest.feeds.spec import FeedSpec
from ingest.readers._pool import pool_for, result, submit
from ingest.readers.results import QuarantineError, Rejects

_BINARY_MAGIC = {
    b"PK\x03\x04": "a zip/xlsx workbook",
    b"%PDF": "a PDF document",
    b"MSH|": "an HL7 batch",
    b"\xd0\xcf\x11\xe0": "an old binary Excel (.xls) file",
}


@dataclass
class CsvTable:
    header: list[str]
    columns: dict[str, pa.Array]  # canonical field -> text (null = empty cell)
    column_map: dict[str, str | None]
    lines: np.ndarray  # physical 1-based line number of each kept row
    dup: np.ndarray  # byte-identical repeat of an earlier line of the file
    rows_read: int
    rejects: Rejects
    _buf: bytes = b""
    _starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n(self) -> int:
        return len(self.lines)

    def raw_line(self, i: int) -> str:
        return self._buf[self._starts[i] : self._ends[i]].decode("utf-8", "replace")


def _decode(data: bytes, spec: FeedSpec, name: str) -> tuple[bytes, set[int]]:
    """-> utf-8 bytes (BOM removed) and the 0-based indices of lines whose bytes did not decode."""
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise QuarantineError(
                "not_declared_format",
                f"{name}: the file is {what}, not delimited "
                f"text as family {spec.family} declares; check the file pattern in the spec",
            )
    head = data[:4096]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        raise QuarantineError(
            "wrong_encoding",
            f"{name}: the file holds NUL bytes (UTF-16 or binary), "
            f"not {spec.encoding} text; ask the trust to resend it as {spec.encoding}, "
            "or correct 'encoding' in the feed spec",
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    enc = spec.encoding
    if enc == "cp1252":
        if bom:
            raise QuarantineError(
                "wrong_encoding",
                f"{name}: the file starts with a UTF-8 byte-order "
                "mark but the spec declares cp1252; set encoding: utf-8-sig or ask for cp1252",
            )
        if not data.isascii():
            try:
                data.decode("utf-8")
                raise QuarantineError(
                    "wrong_encoding",
                    f"{name}: the file is UTF-8 text but the spec "
                    "declares cp1252; set 'encoding' to utf-8 or ask the trust for cp1252",
                )
            except UnicodeDecodeError:
                pass
        try:
            return data.decode("cp1252").encode("utf-8"), set()
        except UnicodeDecodeError:
            pass
    else:
        if bom:
            data = data[3:]
        if data.isascii():  # ASCII is valid UTF-8; isascii is far cheaper than a full decode
            return data, set()
        try:
            data.decode("utf-8")
            return data, set()
        except UnicodeDecodeError:
            pass
    # some lines do not decode: find them, blank them, decide line-level vs whole-file
    text, bad = _decode_lines(data, "cp1252" if enc == "cp1252" else "utf-8")
    nlines = data.count(b"\n") + 1
    if nlines - 1 in bad:  # blanked, a last line without a line end would vanish uncounted
        raise QuarantineError(
            "truncated_file",
            f"{name}: the last line ({nlines}) holds bytes that "
            f"are not valid {enc} and has no line end; the file is truncated: ask the "
            "trust to resend the whole delivery",
        )
    nbad = len(bad - {0})
    if 0 in bad or (nbad >= 3 and nbad > 0.2 * _data_lines(data)):
        raise QuarantineError(
            "wrong_encoding",
            f"{name}: {len(bad)} line(s) are not valid {enc} "
            f"(including {'the header' if 0 in bad else 'many data lines'}); ask the trust "
            f"to resend the file in {enc}, or correct 'encoding' in the feed spec",
        )
    return text, bad


def _decode_lines(data: bytes, codec: str) -> tuple[bytes, set[int]]:
    """-> utf-8 bytes with each line that does not decode blanked, and those lines' 0-based
    indices. Decoded a block of whole lines at a time, not line by line: a line end is one byte
    in both codecs and never inside a character, so a line decodes in a block as it would alone
    (and a failed decode costs as much as the block, hence blocks, not the rest of the file)."""
    out: list[bytes] = []
    bad: set[int] = set()
    pos, line = 0, 0
    while pos < len(data):
        cut = data.find(b"\n", pos + _DECODE_BLOCK)
        stop = len(data) if cut < 0 else cut + 1
        try:
            out.append(data[pos:stop].decode(codec).encode("utf-8"))
            line += data.count(b"\n", pos, stop)
            pos = stop
            continue
        except UnicodeDecodeError as e:
            at = pos + e.start
        start = max(data.rfind(b"\n", pos, at) + 1, pos)
        out.append(data[pos:start].decode(codec).encode("utf-8"))
        line += data.count(b"\n", pos, start)
        bad.add(line)
        end = data.find(b"\n", at)
        if end < 0:
            break
        out.append(b"\n")
        pos, line = end + 1, line + 1
    return b"".join(out), bad


_DECODE_BLOCK = 1 << 20
_BLANK_LINE = re.compile(rb"\n[ \t\r\x0b\x0c]*(?=\n|\Z)")  # what bytes.strip() empties


def _data_lines(data: bytes) -> int:
    """Non-blank lines after the header (at least 1)."""
    return max(1, data.count(b"\n") - len(_BLANK_LINE.findall(data)))


def _split_header(text: str, spec: FeedSpec) -> list[str]:
    try:
        fields = next(
            csv.reader([text], delimiter=spec.delimiter, quotechar=spec.quotechar, strict=True)
        )
    except (csv.Error, StopIteration):
        return []
    fields = [f.strip() for f in fields]
    if "trailing_delimiter" in spec.quirks:
        fields = quirks.trailing_delimiter(fields)
    return fields


def tokenise(
    data: bytes, spec: FeedSpec, colmap: dict[str, str], required: tuple[str, ...], file_path: str
) -> CsvTable:
    name = file_path
    rejects = Rejects(file_path)
    if not data or data.isspace():
        raise QuarantineError(
            "truncated_file",
            f"{name}: the file is empty (no header line); ask the trust to resend the delivery",
        )
    buf, bad_lines = _decode(data, spec, name)
    ends_nl = buf.endswith(b"\n")
    if not ends_nl:
        buf = buf + b"\n"
    arr = np.frombuffer(buf, dtype=np.uint8)
    nl = _positions(arr, 10)
    starts = np.concatenate(([0], nl[:-1] + 1)).astype(np.int64)
    ends = nl.astype(np.int64)
    cr_end = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13)
    ends_nocr = ends - cr_end
    nlines = len(starts)

    header_text = buf[starts[0] : ends_nocr[0]].decode("utf-8", "replace")
    header = _split_header(header_text, spec)
    found = {c: i for i, c in enumerate(header)}
    column_map = {f: (c if c in found else None) for f, c in colmap.items()}
    missing = [f"{f} ({colmap[f]!r})" for f in required if column_map.get(f) is None]
    if missing:
        if len(header) <= 1 and spec.delimiter not in header_text:
            raise QuarantineError(
                "not_declared_format",
                f"{name}: the header line has no {spec.delimiter!r} "
                "delimiter; the file is not in the declared dialect (check 'delimiter' "
                "and the file pattern in the feed spec)",
            )
        raise QuarantineError(
            "missing_required_columns",
            f"{name}: required column(s) missing from the "
            f"header: {', '.join(missing)}; ask the trust to restore them or correct "
            "'columns' in the feed spec",
        )
    expected = len(header) + (1 if "trailing_delimiter" in spec.quirks else 0)
    delim = ord(spec.delimiter)
    quote = ord(spec.quotechar)

    bounds = np.append(starts, len(buf))

    def per_line(byte: int) -> np.ndarray:
        """Occurrences of `byte` per line (its line end included: never a delimiter or quote)."""
        if buf.find(bytes([byte])) < 0:  # memchr: most files have no quotes and no CRs
            return np.zeros(nlines, dtype=np.int64)
        return np.diff(np.searchsorted(_positions(arr, byte), bounds))

    lengths = ends_nocr - starts
    is_data = lengths > 0
    is_data[0] = False
    for b in bad_lines:  # blanked lines that did not decode are rows too
        if 0 < b < nlines:
            is_data[b] = True
    rows_read = int(is_data.sum())

    whole = None
    early_repeats = None
    if _one_row_per_line(buf, spec, bad_lines, cr_end):
        # every data line is likely kept: the repeats of those lines are found on the pool while
        # pyarrow parses (it leaves a core partly idle), and used if no line is rejected
        data_idx = np.flatnonzero(is_data)
        pool = pool_for(len(data_idx))
        if pool is not None:
            early_repeats = (data_idx, submit(pool, _repeats, buf, arr, starts, ends, data_idx))
        whole = _parse_whole(
            buf, spec, expected, {f: found[c] for f, c in colmap.items() if c in found}
        )
    if whole is not None and whole.invalid == 0 and whole.rows == rows_read:
        dcount = np.full(
            nlines, expected - 1, dtype=np.int64
        )  # proven by pyarrow: no line to count
    else:
        dcount = per_line(delim)
    qcount = per_line(quote)
    crcount = per_line(13) - cr_end

    ok = is_data.copy()
    last = nlines - 1
    sent_lines = data.split(b"\n") if bad_lines and len(data) < 50_000_000 else None
    for i in sorted(bad_lines):
        if 0 < i < nlines:
            ok[i] = False
            raw = sent_lines[i] if sent_lines is not None else b""
            rejects.add(
                i + 1,
                None,
                raw.decode("latin-1")[:500],
                "malformed_line",
                f"line {i + 1} holds bytes that are not valid {spec.encoding}; fix the "
                "characters and resend the row",
            )
    counts = dcount + 1
    for i in np.flatnonzero(ok & ((qcount > 0) | (crcount > 0))).tolist():
        text = buf[starts[i] : ends_nocr[i]].decode("utf-8")
        if crcount[i]:
            ok[i] = False
            rejects.add(
                i + 1,
                None,
                text,
                "malformed_line",
                f"line {i + 1} holds a bare carriage "
                "return inside the row; remove it and resend the row",
            )
            continue
        try:
            fields = next(
                csv.reader([text], delimiter=spec.delimiter, quotechar=spec.quotechar, strict=True)
            )
            counts[i] = len(fields)
        except csv.Error as e:
            ok[i] = False
            if i == last and not ends_nl:
                raise QuarantineError(
                    "truncated_file",
                    f"{name}: the last line ({i + 1}) is cut off "
                    "inside a quoted value; the file is truncated: ask the trust to "
                    "resend the whole delivery",
                ) from None
            rejects.add(
                i + 1,
                None,
                text,
                "malformed_line",
                f"line {i + 1} is not valid delimited "
                f"text ({e}), e.g. an unbalanced quote; fix the quoting and resend the row",
            )
    wrong = ok & (counts != expected)
    if not ends_nl and is_data[last] and wrong[last] and counts[last] < expected:
        raise QuarantineError(
            "truncated_file",
            f"{name}: the last line ({last + 1}) has {counts[last]} of "
            f"{expected} fields and no line end; the file is truncated: ask the trust to "
            "resend the whole delivery",
        )
    for i in np.flatnonzero(wrong).tolist():
        text = buf[starts[i] : ends_nocr[i]].decode("utf-8")
        rejects.add(
            i + 1,
            None,
            text,
            "wrong_column_count",
            f"line {i + 1} has {counts[i]} fields, "
            f"the header has {expected}; check for stray delimiters in values and resend the row",
        )
    ok &= ~wrong

    kept_idx = np.flatnonzero(ok)
    if early_repeats is not None and np.array_equal(early_repeats[0], kept_idx):
        dup = result(early_repeats[1])
    else:
        dup = _repeats(buf, arr, starts, ends, kept_idx)

    needed = {f: found[c] for f, c in colmap.items() if c in found}
    if (
        whole is not None
        and whole.rows == len(kept_idx)
        and whole.rows + whole.invalid == rows_read
    ):
        cols = whole.columns  # pyarrow skipped exactly the lines rejected for their field count
    else:
        cols = _parse_pyarrow(buf, spec, starts, ends, ok, expected, needed, kept_idx)
    if cols is None:
        cols = _parse_python(buf, spec, starts, ends_nocr, kept_idx, needed)
    return CsvTable(
        header=header,
        columns=cols,
        column_map=column_map,
        lines=kept_idx.astype(np.int64) + 1,
        dup=dup,
        rows_read=rows_read,
        rejects=rejects,
        _buf=buf,
        _starts=starts[kept_idx],
        _ends=ends_nocr[kept_idx],
    )


_POSITIONS_STEP = 1 << 20


def _positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of `byte` in `arr`, a megabyte at a time. `arr == byte` over a whole file is a
    mask as big as the file, fresh memory the kernel must zero each time (glibc maps a large
    block anew); a megabyte's mask is reused (docs/benchmarks.md)."""
    parts = [
        np.flatnonzero(arr[i : i + _POSITIONS_STEP] == byte) + i
        for i in range(0, len(arr), _POSITIONS_STEP)
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _repeats(
    buf: bytes, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, kept_idx: np.ndarray
) -> np.ndarray:
    """Per kept line: a byte-identical repeat of an earlier kept line (line end included)."""
    dup = np.zeros(len(kept_idx), dtype=bool)
    if len(kept_idx) < 2:
        return dup
    # a cheap fingerprint first (length and four 8-byte words): only lines sharing one are
    # compared exactly, since hashing every whole line costs more than the rest of the tokenising
    shared = pd.Series(_fingerprint(arr, starts[kept_idx], ends[kept_idx])).duplicated(keep=False)
    cand = shared.to_numpy() | (
        (ends[kept_idx] - starts[kept_idx]) < 16
    )  # short: not fingerprinted
    if not cand.any():
        return dup
    sub_idx = kept_idx[cand]
    offs = pa.array(np.concatenate((starts, [len(buf)])).astype(np.int64))
    lines_arr = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(starts), [None, offs.buffers()[1], pa.py_buffer(buf)]
    )
    idx = (
        lines_arr.take(pa.array(sub_idx)).dictionary_encode().indices.to_numpy(zero_copy_only=False)
    )
    first = np.unique(idx, return_index=True)[1]
    d = np.ones(len(idx), dtype=bool)
    d[first] = False
    dup[cand] = d
    return dup


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _fingerprint(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A uint64 per line from its length and the 8-byte words at its start, middle and end
    (lines of 16 bytes or more; shorter ones get values that must not be trusted)."""
    if len(arr) < 8:
        return np.zeros(len(starts), dtype=np.uint64)
    # words[p] = the 8 bytes at byte p as one (unaligned) little-endian integer: no copy
    words = np.ndarray((len(arr) - 7,), dtype="<u8", buffer=arr, strides=(1,))
    top = len(arr) - 8
    length = ends - starts
    key = length.astype(np.uint64) * _MIX[0]
    with np.errstate(over="ignore"):
        for k, pos in enumerate((starts, starts + 8, starts + length // 2, ends - 8)):
            key = (key ^ words[np.clip(pos, 0, top)]) * _MIX[1 + k % 2]
    return key


def _one_row_per_line(buf: bytes, spec: FeedSpec, bad_lines: set[int], cr_end: np.ndarray) -> bool:
    """True when pyarrow's rows are exactly the non-empty lines, each with delimiters + 1 fields:
    no quote character (no quoted delimiters), no carriage return but before a line end (pyarrow
    ends a row at a bare CR) and no blanked undecodable line."""
    if bad_lines or buf.find(spec.quotechar.encode()) >= 0:
        return False
    return buf.find(b"\r") < 0 or buf.count(b"\r") == int(cr_end.sum())


@dataclass
class _Whole:
    columns: dict[str, pa.Array]
    rows: int  # rows pyarrow kept (the right number of fields)
    invalid: int  # rows pyarrow skipped (another number of fields)


def _parse_whole(buf, spec, expected, needed) -> _Whole | None:
    """Parse the whole buffer in one go, skipping (and counting) rows of the wrong width.

    On a file where each line is one row (`_one_row_per_line`), no invalid row proves every line
    has the header's field count, so the per-line delimiter count is not needed."""
    invalid = []

    def skip(row):
        invalid.append(1)  # list.append is atomic: the handler runs on pyarrow's worker threads
        return "skip"

    t = _read_arrow(buf, spec, expected, needed, skip)
    if t is None:
        return None
    return _Whole(_columns(t, needed), t.num_rows, len(invalid))


def _read_arrow(data: bytes, spec, expected, needed, handler) -> pa.Table | None:
    names = [f"c{i}" for i in range(expected)]
    include = sorted({f"c{i}" for i in needed.values()}, key=lambda c: int(c[1:]))
    try:
        return pacsv.read_csv(
            pa.py_buffer(data),
            # 4 MB blocks: enough blocks to keep both cores busy, each one cache-friendly
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=True, block_size=1 << 22
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=spec.delimiter,
                quote_char=spec.quotechar,
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=True,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=include,
                column_types={c: pa.string() for c in include},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None


def _columns(t: pa.Table, needed: dict[str, int]) -> dict[str, pa.Array]:
    return {f: t.column(f"c{i}").combine_chunks() for f, i in needed.items()}


def _parse_pyarrow(buf, spec, starts, ends, ok, expected, needed, kept_idx):
    n = len(kept_idx)
    if n == 0:
        return {f: pa.array([], pa.string()) for f in needed}
    is_data_all = (ends - starts) > 0
    clean = bool((ok[1:] == is_data_all[1:]).all())
    if not clean:
        keep = np.concatenate(([0], kept_idx))
        pieces = [buf[s : e + 1] for s, e in zip(starts[keep].tolist(), ends[keep].tolist())]
        data = b"".join(pieces)
    else:
        data = buf

    def fail(row):
        raise ValueError("row disagrees with the line accounting")

    t = _read_arrow(data, spec, expected, needed, fail)
    if t is None or t.num_rows != n:
        return None
    return _columns(t, needed)


def _parse_python(buf, spec, starts, ends_nocr, kept_idx, needed):
    texts = [
        buf[s:e].decode("utf-8")
        for s, e in zip(starts[kept_idx].tolist(), ends_nocr[kept_idx].tolist())
    ]
    rows = list(csv.reader(texts, delimiter=spec.delimiter, quotechar=spec.quotechar))
    out = {}
    for f, i in needed.items():
        vals = [r[i] if i < len(r) and r[i] != "" else None for r in rows]
        out[f] = pa.array(vals, pa.string())
    return out
