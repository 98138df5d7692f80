"""Shared machinery of the readers: results, rejects, timestamps, value maps, dq flags, records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest import nhs, quirks
from ingest.contract import (
    CAPACITY_SLOTS,
    EXAM_EVENTS,
    EXAM_RECORDS,
    FILE_QUARANTINE_REASONS,
    ROW_REJECT_REASONS,
)
from ingest.feeds.spec import FeedSpec
from ingest.readers._timefmt import parse_canonical, parse_iso

REJECT_COLUMNS = ["file_path", "line", "field", "raw_text", "reason_code", "message"]
RAW_TEXT_MAX = 2000


class QuarantineError(Exception):
    """A whole-file problem: the file is quarantined with `reason` (FILE_QUARANTINE_REASONS)."""

    def __init__(self, reason: str, message: str):
        assert reason in FILE_QUARANTINE_REASONS, reason
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __reduce__(self):  # pickled back from reader worker processes
        return (QuarantineError, (self.reason, self.message))


@dataclass
class ReadResult:
    file_path: str
    family: str
    content: str  # exams | slots
    rows_read: int
    exam_records: pd.DataFrame
    exam_events: pd.DataFrame
    capacity_slots: pd.DataFrame
    rejected: pd.DataFrame
    # per read row (line/message/sheet row): the inputs of the pre-load expectations
    check_frame: pd.DataFrame | None = None
    field_parse: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # field -> (ok, non-empty)
    column_map: dict[str, str | None] = field(default_factory=dict)  # canonical -> column found
    # the delivery's extract time (UTC) as read: from the file name, or its extract-time column
    extract_at: datetime | None = None
    extract_source: str | None = None  # where extract_at came from, said for a person

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected


class Rejects:
    """Collects rejected rows; one reason per row (the first recorded wins)."""

    def __init__(self, file_path: str):
        self.file_path = file_path
        self.rows: dict[int, tuple] = {}

    def add(self, line: int, field_name: str | None, raw: str, reason: str, message: str) -> None:
        assert reason in ROW_REJECT_REASONS, reason
        if line not in self.rows:
            self.rows[line] = (
                self.file_path,
                int(line),
                field_name,
                raw[:RAW_TEXT_MAX],
                reason,
                message,
            )

    def __contains__(self, line: int) -> bool:
        return line in self.rows

    def frame(self) -> pd.DataFrame:
        rows = [self.rows[k] for k in sorted(self.rows)]
        df = pd.DataFrame(rows, columns=REJECT_COLUMNS).astype(object)
        df["line"] = df["line"].astype("int64")
        return df


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# --- time -----------------------------------------------------------------------------------


def extract_time(spec: FeedSpec, name: str) -> datetime | None:
    """Extract time (UTC) from a file name by the spec's regex and strptime format; None when the
    spec takes it from a column only (ingest/readers/extract_column.py reads that)."""
    if spec.extract_time.pattern is None:
        return None
    m = re.search(spec.extract_time.pattern, name)
    if not m:
        raise QuarantineError(
            "unreadable",
            f"file name {name!r} does not contain the extract time "
            f"(pattern {spec.extract_time.pattern!r}); rename the file as the feed spec says",
        )
    try:
        naive = datetime.strptime(m.group(1), spec.extract_time.format)
    except ValueError:
        raise QuarantineError(
            "unreadable",
            f"extract time {m.group(1)!r} in {name!r} does not match "
            f"format {spec.extract_time.format!r}; rename the file",
        ) from None
    if spec.timezone == "UTC":
        return naive.replace(tzinfo=UTC)
    return naive.replace(tzinfo=ZoneInfo(spec.timezone), fold=0).astimezone(UTC)


def parse_naive(arr: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Text -> naive timestamp[us]; also the mask of non-empty values that did not parse.

    Values in the canonical fixed-width form of `fmt` are parsed in bulk (_timefmt); the rest
    go through Arrow's strptime with the strict round-trip check."""
    arr = _as_str(arr)
    if arr.null_count == len(arr):  # a column the trust leaves empty
        return pa.nulls(len(arr), pa.timestamp("us")), np.zeros(len(arr), dtype=bool)
    whole = parse_iso(arr, fmt)
    if whole is not None:
        return whole, np.zeros(len(arr), dtype=bool)
    fast = parse_canonical(arr, fmt)
    if fast is None:
        return _parse_naive_general(arr, fmt)
    values, handled = fast
    rest = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False) & ~handled)
    bad = np.zeros(len(arr), dtype=bool)
    valid = handled.copy()
    if len(rest):
        parsed_rest, bad_rest = _parse_naive_general(pc.take(arr, pa.array(rest)), fmt)
        bad[rest] = bad_rest
        ok_rest = parsed_rest.is_valid().to_numpy(zero_copy_only=False)
        values[rest[ok_rest]] = pc.fill_null(parsed_rest.cast(pa.int64()), 0).to_numpy(
            zero_copy_only=False
        )[ok_rest]
        valid[rest[ok_rest]] = True
    return pa.array(values, pa.timestamp("us"), mask=~valid), bad


_YEAR_ONE = pa.scalar(datetime(1, 1, 1), pa.timestamp("us"))


def _parse_naive_general(arr: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Arrow strptime + round-trip check, confirmed by Python's strptime where the text differs."""
    parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
    # arrow accepts year 0, which no calendar (nor Python's strptime) has: treat it as unparseable
    before_year_one = pc.fill_null(pc.less(parsed, _YEAR_ONE), False)
    parsed = pc.if_else(before_year_one, pa.scalar(None, parsed.type), parsed)
    bad = arr.is_valid().to_numpy(zero_copy_only=False) & parsed.is_null().to_numpy(
        zero_copy_only=False
    )
    # arrow's strptime normalises impossible dates (31 Feb -> 3 Mar): round-trip check, and
    # confirm the few text differences (padding, case) with Python's strict strptime
    ok = parsed.is_valid()
    if len(arr) and pc.any(ok).as_py():
        rt = pc.strftime(parsed.cast(pa.timestamp("s")), format=fmt)
        diff = pc.fill_null(pc.and_(ok, pc.not_equal(rt, arr)), False).to_numpy(
            zero_copy_only=False
        )
        if diff.any():
            idx = np.flatnonzero(diff)
            vals = pc.take(arr, pa.array(idx)).to_pylist()
            wrong = []
            for i, v in zip(idx.tolist(), vals):
                try:
                    datetime.strptime(v, fmt)
                except ValueError:
                    wrong.append(i)
            if wrong:
                bad = bad.copy()
                bad[wrong] = True
                mask = np.zeros(len(arr), dtype=bool)
                mask[wrong] = True
                parsed = pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)
    return parsed, bad


def localise(naive: pa.Array, tz: str) -> tuple[pa.Array, np.ndarray]:
    """Wall-clock naive timestamps -> UTC; ambiguous autumn hour takes the first (BST) reading."""
    naive = naive.cast(pa.timestamp("us"))
    if tz == "UTC":
        return naive.cast(pa.timestamp("us", tz="UTC")), np.zeros(len(naive), dtype=bool)
    n = len(naive)
    if naive.null_count * 2 > n:
        # a column seldom sent (vetted, cancelled...) is localised on its values alone: the
        # zone's conversion costs as much for a missing value as for one that is there
        sent = np.flatnonzero(naive.is_valid().to_numpy(zero_copy_only=False))
        utc = np.zeros(n, dtype=np.int64)
        amb = np.zeros(n, dtype=bool)
        if len(sent):
            some, amb[sent] = localise(naive.take(pa.array(sent)), tz)
            utc[sent] = some.cast(pa.int64()).to_numpy()
        missing = np.ones(n, dtype=bool)
        missing[sent] = False
        return pa.array(utc, pa.int64(), mask=missing).cast(pa.timestamp("us", tz="UTC")), amb
    ints = pc.fill_null(naive.cast(pa.int64()), _NAT).to_numpy(zero_copy_only=False)
    missing = ints == _NAT
    utc = np.empty(n, dtype=np.int64)
    amb = np.zeros(n, dtype=bool)
    near_change = _localise_by_span(ints, missing, tz, utc)
    if near_change.any():
        utc[near_change], amb[near_change] = _localise_exactly(ints[near_change], tz)
    return pa.array(utc, pa.int64(), mask=missing).cast(pa.timestamp("us", tz="UTC")), amb


_NAT = np.iinfo(np.int64).min
_SPAN_BITS = 32  # a span is 2**32 microseconds (71.6 minutes): a shift, not a division, finds it
_MAX_SPANS = 150_000  # about 20 years; a column reaching wider is localised value by value


def _localise_by_span(
    ints: np.ndarray, missing: np.ndarray, tz: str, utc: np.ndarray
) -> np.ndarray:
    """Fill `utc` for the values in a steady span of time, one the zone reads the same way at
    both ends (neither in a gap nor repeated): the zone is asked once per span of the column's
    range, not once per value. That holds because a zone never changes its clocks twice
    within 72 minutes. Returns the mask of values left: those in a span with a change of the
    clocks (or all, for too wide a range), missing ones excluded."""
    sent = ~missing
    if not sent.any():
        return sent
    some_missing = not sent.all()
    spans = ints >> _SPAN_BITS
    first = spans[sent].min() if some_missing else spans.min()
    last = spans[sent].max() if some_missing else spans.max()
    if last - first > _MAX_SPANS:
        return sent
    ends = np.arange(first, last + 2, dtype=np.int64) << _SPAN_BITS
    read = (
        pd.DatetimeIndex(ends.view("datetime64[us]"))
        .tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        .as_unit("us")
        .asi8
    )
    read_ok = read != _NAT
    offset = np.subtract(ends, read, where=read_ok, out=np.zeros_like(ends))
    steady = read_ok[:-1] & read_ok[1:] & (offset[:-1] == offset[1:])
    at = spans - first
    if some_missing:
        at[missing] = 0
    if steady.all():  # the usual column: no change of the clocks in its range
        np.subtract(ints, offset[at], out=utc)
        return np.zeros(len(ints), dtype=bool)
    ok = steady[at]  # missing values' results are masked out by the caller
    utc[ok] = ints[ok] - offset[at[ok]]
    return sent & ~ok


def _localise_exactly(ints: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """pandas' localisation: the ambiguous autumn hour is read once as NaT, then those few
    again with the summer (first) reading; times in the spring gap shift forward."""
    idx = pd.DatetimeIndex(ints.view("datetime64[us]"))
    utc = (
        idx.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").as_unit("us").asi8.copy()
    )
    amb = utc == _NAT
    if amb.any():
        utc[amb] = (
            idx[amb]
            .tz_localize(
                tz, ambiguous=np.ones(int(amb.sum()), dtype=bool), nonexistent="shift_forward"
            )
            .as_unit("us")
            .asi8
        )
    return utc, amb


def parse_dates(arr: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    parsed, bad = parse_naive(arr, fmt)
    return parsed.cast(pa.date32()), bad


def _as_str(arr) -> pa.Array:
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


# --- value maps and flags -------------------------------------------------------------------


def map_values(spec: FeedSpec, field_name: str, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Local words -> canonical values by spec.value_maps; unmapped kept as sent (and masked)."""
    arr = _as_str(arr)
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
    arr = _as_str(arr)
    low = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    t = pc.is_in(low, value_set=pa.array(sorted(_TRUE)))
    f = pc.is_in(low, value_set=pa.array(sorted(_FALSE)))
    return pc.if_else(t, True, pc.if_else(f, False, pa.scalar(None, pa.bool_())))


def bool_unrecognised(arr: pa.Array) -> np.ndarray:
    arr = _as_str(arr)
    b = to_bool(arr)
    return arr.is_valid().to_numpy(zero_copy_only=False) & b.is_null().to_numpy(
        zero_copy_only=False
    )


def join_flags(n: int, flags: dict[str, np.ndarray]) -> np.ndarray:
    """Comma-separated flag names per row (None where no flag)."""
    out = np.full(n, "", dtype=object)
    for name, mask in flags.items():
        if mask is None:
            continue
        idx = np.flatnonzero(mask)
        if len(idx):
            out[idx] = out[idx] + ("," + name)
    res = np.full(n, None, dtype=object)
    has = out != ""
    res[has] = [s[1:] for s in out[has]]
    return res


def merge_flags(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union of two comma-separated flag columns."""
    out = np.array(a, dtype=object, copy=True)
    for i in np.flatnonzero(pd.notna(b)):
        cur = out[i]
        if cur is None or (isinstance(cur, float)):
            out[i] = b[i]
        else:
            parts = cur.split(",")
            parts += [p for p in b[i].split(",") if p not in parts]
            out[i] = ",".join(parts)
    return out


# --- building landing frames ----------------------------------------------------------------


def to_pandas(arr) -> pd.Series:
    if isinstance(arr, (pa.Array, pa.ChunkedArray)):
        if (
            pa.types.is_timestamp(arr.type)
            or pa.types.is_date(arr.type)
            or pa.types.is_boolean(arr.type)
        ):
            return arr.to_pandas()
        return arr.to_pandas()
    return pd.Series(arr)


def frame(columns: dict[str, str], data: dict[str, object], n: int) -> pd.DataFrame:
    """A landing frame in contract column order; absent columns are null."""
    out = {}
    for c in columns:
        v = data.get(c)
        if v is None:
            out[c] = pd.Series(np.full(n, None, dtype=object), dtype=object)  # no type inference
        elif isinstance(v, (pa.Array, pa.ChunkedArray)):
            out[c] = to_pandas(v).reset_index(drop=True)
        elif np.isscalar(v) or isinstance(v, datetime):
            out[c] = _constant(v, n)
        else:
            out[c] = pd.Series(v).reset_index(drop=True)
    return pd.DataFrame(out)


_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}


def arrow_frame(
    columns: dict[str, str], data: dict[str, object], n: int, keep: np.ndarray | None = None
) -> pd.DataFrame:
    """A landing frame in contract column order whose columns stay Arrow arrays (pandas
    ArrowDtype): built without a copy into pandas, and inserted without one back to Arrow
    (for a big file, both conversions cost more than building the arrays). Absent columns are
    null; scalars repeat; `keep` selects rows."""
    out = {}
    for c, kind in columns.items():
        t = _ARROW_TYPES[kind]
        v = data.get(c)
        if v is None:
            out[c] = pa.nulls(n, t)
        elif isinstance(v, (pa.Array, pa.ChunkedArray)):
            out[c] = v if v.type == t else v.cast(t)
        elif isinstance(v, np.ndarray):
            out[c] = pa.array(v, t, from_pandas=True)
        else:
            out[c] = pa.repeat(pa.scalar(v, t), n)
    table = pa.table(out)
    if keep is not None and not keep.all():
        table = table.filter(pa.array(keep))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _constant(v, n: int) -> pd.Series:
    """`pd.Series([v] * n)` (same dtype) without building and inferring an n-item list."""
    if n == 0:
        return pd.Series([v] * n)
    return pd.Series([v]).repeat(n).reset_index(drop=True)


EXAM_TEXT_FIELDS = (
    "procedure_name",
    "site_code",
    "room",
    "referrer_code",
    "referring_org_code",
    "gp_practice_code",
    "nhs_number_status",
    "postcode",
    "ethnicity",
)
MAPPED_EXAM_FIELDS = (
    "modality",
    "priority",
    "patient_source_setting",
    "activity_category",
    "sex",
    "status",
)


@dataclass
class Ctx:
    spec: FeedSpec
    file_path: str
    extract_at: datetime | None
    local_codes: set[str] | None = None  # the trust's local codes from the seed, if given


def exam_attributes(
    ctx: Ctx, raw: dict[str, pa.Array], n: int, rejects: Rejects | None, lines: np.ndarray
) -> tuple[dict[str, object], dict[str, np.ndarray], np.ndarray]:
    """Exam attributes from raw text columns (canonical names).

    Returns (data for EXAM_RECORDS, flag masks, bad-row mask for unparseable dates)."""
    spec = ctx.spec
    data: dict[str, object] = {}
    flags: dict[str, np.ndarray] = {}
    bad = np.zeros(n, dtype=bool)
    unmapped = np.zeros(n, dtype=bool)
    null = pa.nulls(n, pa.string())

    def col(f):
        return _as_str(raw[f]) if f in raw else null

    data["accession"] = pc.utf8_trim_whitespace(col("accession"))
    code = pc.utf8_trim_whitespace(col("procedure_code"))
    if "uppercase_codes" in spec.quirks:
        code = quirks.uppercase_codes(code)
    data["local_procedure_code"] = code
    data["nicip_code"] = code if spec.procedure_code_system == "nicip" else None
    for f in EXAM_TEXT_FIELDS:
        data[f] = col(f) if f in raw else None
    for f in MAPPED_EXAM_FIELDS:
        if f in raw:
            v, um = map_values(spec, f, col(f))
            data[f] = v
            unmapped |= um
    nhs_raw = pc.utf8_trim_whitespace(col("nhs_number"))
    if "nhs_number_spaces" in spec.quirks:
        nhs_raw = quirks.nhs_number_spaces(nhs_raw)
    data["nhs_number"] = nhs_raw
    present = nonempty(nhs_raw)
    flags["nhs_number_invalid"] = present & ~nhs.valid_mask(nhs_raw)
    for f in ("birth_date", "clock_start_date"):
        if f in raw:
            if pa.types.is_date(raw[f].type):
                data[f] = raw[f]
                continue
            d, b = parse_dates(col(f), spec.date_format)
            data[f] = d
            _reject_mask(
                rejects,
                b,
                lines,
                f,
                col(f),
                "unparseable_date",
                f"{f}: value does not match date_format {spec.date_format!r}; "
                "fix the value or the spec's date_format",
            )
            bad |= b
    if ctx.local_codes is not None and spec.procedure_code_system == "local":
        known = pc.is_in(code, value_set=pa.array(sorted(ctx.local_codes), pa.string()))
        flags["unknown_local_code"] = nonempty(code) & ~pc.fill_null(known, True).to_numpy(
            zero_copy_only=False
        )
    flags["unmapped_value"] = unmapped
    data["trust_code"] = spec.trust_code
    data["extract_at"] = ctx.extract_at
    return data, flags, bad


def _reject_mask(
    rejects: Rejects | None,
    mask: np.ndarray,
    lines: np.ndarray,
    field_name: str,
    raw: pa.Array,
    reason: str,
    message: str,
) -> None:
    if rejects is None or not mask.any():
        return
    idx = np.flatnonzero(mask)
    vals = pc.take(_as_str(raw), pa.array(idx)).to_pylist()
    for i, v in zip(idx.tolist(), vals):
        rejects.add(
            int(lines[i]),
            field_name,
            "" if v is None else str(v),
            reason,
            f"{message} (value {v!r})",
        )


def missing_key(
    rejects: Rejects,
    arr: pa.Array,
    lines: np.ndarray,
    field_name: str,
    column: str | None,
    raw_lines=None,
) -> np.ndarray:
    miss = ~nonempty(pc.utf8_trim_whitespace(_as_str(arr)))
    if miss.any():
        for i in np.flatnonzero(miss).tolist():
            rejects.add(
                int(lines[i]),
                field_name,
                raw_lines(i) if raw_lines else "",
                "missing_key",
                f"{field_name} (column {column!r}) is empty: the row cannot be "
                "keyed; ask the trust to resend it with a value",
            )
    return miss


# Workflow order checks (earlier, later): dates_out_of_order when later < earlier.
ORDER_PAIRS = (
    ("requested", "request_received"),
    ("requested", "exam_completed"),
    ("request_received", "exam_completed"),
    ("exam_started", "exam_completed"),
    ("exam_completed", "reported_prelim"),
    ("exam_completed", "report_verified"),
)


def out_of_order(times: dict[str, np.ndarray], birth_date: np.ndarray | None, n: int) -> np.ndarray:
    """times: event -> datetime64[us] UTC per record (NaT = not sent)."""
    bad = np.zeros(n, dtype=bool)
    for a, b in ORDER_PAIRS:
        if a in times and b in times:
            ta, tb = times[a], times[b]
            bad |= ~np.isnat(ta) & ~np.isnat(tb) & (tb < ta)
    if birth_date is not None and "requested" in times:
        t = times["requested"]
        bd = birth_date.astype("datetime64[us]")
        bad |= ~np.isnat(t) & ~np.isnat(bd) & (t < bd)
    return bad


def ts_numpy(arr: pa.Array) -> np.ndarray:
    """timestamp array -> datetime64[us] naive UTC (NaT for null)."""
    a = arr.cast(pa.timestamp("us")).cast(pa.int64())
    v = pc.fill_null(a, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
    return v.view("datetime64[us]")


def date_numpy(arr) -> np.ndarray | None:
    if arr is None:
        return None
    if not isinstance(arr, (pa.Array, pa.ChunkedArray)):
        return None
    a = pc.cast(arr, pa.timestamp("us")).cast(pa.int64())
    v = pc.fill_null(a, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
    return v.view("datetime64[us]")


def timeline_from_events(events: pd.DataFrame, accessions: pd.Series) -> dict[str, np.ndarray]:
    """Earliest time of each event type per accession, aligned to `accessions`."""
    if events.empty:
        return {}
    ev = events[["accession", "event", "event_at"]].dropna()
    if ev.empty:
        return {}
    ev = ev.assign(
        t=pd.to_datetime(ev["event_at"], utc=True).dt.tz_localize(None).astype("datetime64[us]")
    )
    piv = ev.groupby(["accession", "event"], sort=False)["t"].min().unstack()
    piv = piv.reindex(pd.Index(accessions.to_numpy(), dtype=object))
    return {c: piv[c].to_numpy(dtype="datetime64[us]") for c in piv.columns}


def finish_records(data: dict, flags: dict, n: int) -> pd.DataFrame:
    data = dict(data)
    data["dq_flags"] = join_flags(n, flags)
    return frame(EXAM_RECORDS, data, n)


def events_frame(data: dict, n: int) -> pd.DataFrame:
    return frame(EXAM_EVENTS, data, n)


def slots_frame(data: dict, n: int) -> pd.DataFrame:
    return frame(CAPACITY_SLOTS, data, n)


def take_rows(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    return df.loc[keep].reset_index(drop=True) if not keep.all() else df


def rel_path(path: Path, home: Path | None) -> str:
    try:
        return str(path.relative_to(home)) if home else str(path)
    except ValueError:
        return str(path)
