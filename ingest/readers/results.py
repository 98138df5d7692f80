"""What a read is given (Ctx) and returns (ReadResult, its rejected rows), and the
whole-file error that quarantines a delivery."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import FILE_QUARANTINE_REASONS, ROW_REJECT_REASONS
from ingest.feeds.spec import FeedSpec
from ingest.readers.values import as_str, nonempty

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


@dataclass
class Ctx:
    """What every reader is given about the delivery it reads."""

    spec: FeedSpec
    file_path: str
    extract_at: datetime | None
    local_codes: set[str] | None = None  # the trust's local codes from the seed, if given


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

    def kept(self, lines: np.ndarray) -> np.ndarray:
        """Per row (by its line): True when it was not rejected."""
        if not self.rows:
            return np.ones(len(lines), dtype=bool)
        rejected = np.fromiter(self.rows.keys(), dtype=np.int64, count=len(self.rows))
        return ~np.isin(lines, rejected)

    def frame(self) -> pd.DataFrame:
        if not self.rows:  # most files: the frame of no rows, built once
            return _no_rejects().copy()
        return _reject_frame([self.rows[k] for k in sorted(self.rows)])


def reject_mask(
    rejects: Rejects | None,
    mask: np.ndarray,
    lines: np.ndarray,
    field_name: str,
    raw: pa.Array,
    reason: str,
    message: str,
) -> None:
    """Reject the rows where `mask` is set, each with its own value quoted in the message."""
    if rejects is None or not mask.any():
        return
    idx = np.flatnonzero(mask)
    vals = pc.take(as_str(raw), pa.array(idx)).to_pylist()
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
    """Reject the rows whose key field is empty; returns their mask."""
    miss = ~nonempty(pc.utf8_trim_whitespace(as_str(arr)))
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


@dataclass
class RawRows:
    """A delivery's rows as read, before its family's build: columns by canonical field (text,
    or typed where the format types them), each row's line, and the rows rejected so far."""

    columns: dict[str, pa.Array]
    lines: np.ndarray  # each row's line (or sheet row) in the file
    rejects: Rejects
    rows_read: int
    raw_line: Callable[[int], str]  # row -> its text as sent, quoted in a reject
    column_map: dict[str, str | None]  # canonical field -> the column found
    dup: np.ndarray | None = None  # a byte-identical repeat of an earlier row
    pre_bad: dict[str, np.ndarray] = field(default_factory=dict)  # typed cells that did not read

    @property
    def n(self) -> int:
        return len(self.lines)

    @classmethod
    def of_table(cls, tab) -> RawRows:
        """From a tokenised delivery (readers/_csv.py CsvTable)."""
        return cls(
            tab.columns,
            tab.lines,
            tab.rejects,
            tab.rows_read,
            tab.raw_line,
            tab.column_map,
            tab.dup,
        )


def _reject_frame(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=REJECT_COLUMNS).astype(object)
    df["line"] = df["line"].astype("int64")
    return df


@functools.cache
def _no_rejects() -> pd.DataFrame:
    return _reject_frame([])
