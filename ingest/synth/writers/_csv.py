"""Delimited text in a trust's dialect: one renderer for wide, event-log and slot extracts.

Most of a line is its record's attributes, the same on every row of an exam (an exam has about
eight events, and a wide row per delivery that touched it) or of the slot (up to three rows).
`prepare` formats them once per record, joining each run of consecutive record columns into one
piece, so a row only takes that piece.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec

from ..defects import BAD_DATE, BAD_TIMESTAMP, RowDefect
from ..deliveries import TrustSlice
from ._format import csv_quote
from .base import (
    DATE_FIELDS,
    EXAM_ATTRS,
    SLOT_ATTRS,
    TS_FIELDS,
    encode_text,
    exam_canon,
    format_field,
    insert_bad_byte,
    slot_record_canon,
)

# attributes that are the same on every row of a record ("status" is the exam row's own)
PER_RECORD = {"exams": (tuple(f for f in EXAM_ATTRS if f != "status"), "exam_pos", exam_canon),
              "slots": (SLOT_ATTRS, "slot_pos", slot_record_canon)}  # fmt: skip


class CsvRenderer:
    """Columns `columns` (canonical field -> header) of `spec`'s dialect."""

    fmt = "csv"
    first_line = 2  # line 1 is the header

    def __init__(self, spec: FeedSpec, columns: dict[str, str], key: str = "accession",
                 records: str = "exams") -> None:  # fmt: skip
        self.spec = spec
        self.records = records
        self.per_record, self.pos, self.record_canon = PER_RECORD[records]
        self.columns = dict(columns)
        self.key = key
        self.trailing = spec.delimiter if "trailing_delimiter" in spec.quirks else ""
        names = [self._quote(pa.array([h], pa.string()))[0].as_py() for h in self.columns.values()]
        self.header = self.spec.delimiter.join(names) + self.trailing + "\n"
        specials = {spec.delimiter, spec.quotechar, "\r", "\n"}
        fmts = spec.datetime_format + spec.date_format
        # timestamps, dates and counts never hold the delimiter unless their format does
        self.no_quote = (
            TS_FIELDS | DATE_FIELDS | {"slot_minutes"}
            if not any(c in fmts for c in specials)
            else frozenset()
        )
        self.record_cols: dict[str, pa.Array] = {}  # per record, once `prepare`d
        self.pieces: list[str] = list(self.columns)  # what a line joins, in order
        self.runs: dict[str, list[str]] = {}  # piece -> the record columns it joins
        self.record_runs: dict[str, pa.Array] = {}

    def _quote(self, a: pa.Array) -> pa.Array:
        return csv_quote(a, self.spec.delimiter, self.spec.quotechar)

    def prepare(self, sl: TrustSlice) -> None:
        """Format the attributes of the trust's records (exams or slots) once per record."""
        names = [f for f in self.columns if f in self.per_record]
        n = sl.n_exams if self.records == "exams" else len(sl.slots)
        canon = self.record_canon(sl, np.arange(n), names)
        self.record_cols = {f: self._field(f, canon[f]) for f in names}
        self.pieces, self.runs = [], {}
        for f in self.columns:
            if f not in self.record_cols:
                self.pieces.append(f)
            elif self.pieces and self.pieces[-1] in self.runs:
                self.runs[self.pieces[-1]].append(f)
            else:
                self.pieces.append(f"record_run_{len(self.runs)}")
                self.runs[self.pieces[-1]] = [f]
        self.record_runs = {r: self._join([self.record_cols[f] for f in cols])
                          for r, cols in self.runs.items()}  # fmt: skip

    @property
    def canon_names(self) -> tuple[str, ...]:
        """The record attributes the canonical columns must still carry."""
        return tuple(f for f in self.per_record if f not in self.record_cols)

    def _field(self, f: str, v) -> pa.Array:
        text = format_field(self.spec, f, v)
        return text if f in self.no_quote else self._quote(text)

    def _join(self, cols: list[pa.Array]) -> pa.Array:
        return (
            cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, self.spec.delimiter)
        )

    def fields(self, canon: dict) -> dict[str, pa.Array]:
        """Row pieces: the row's own formatted columns, the record runs it takes, its record."""
        out: dict = {self.pos: canon[self.pos]}
        pos = pa.array(canon[self.pos]) if self.runs else None
        for p in self.pieces:
            out[p] = self.record_runs[p].take(pos) if p in self.runs else self._field(p, canon[p])
        return out

    def row(self, fields: dict, j: int) -> dict[str, pa.Array]:
        """Every column of row j, as 1-element arrays (to re-render a corrupted copy)."""
        pos = int(fields[self.pos][j])
        return {f: (self.record_cols[f].slice(pos, 1) if f in self.record_cols else fields[f].slice(j, 1))
                for f in self.columns}  # fmt: skip

    def lines(self, fields: dict) -> pa.Array:
        """Lines of `fields` (row pieces, or every column as from `row`)."""
        names = self.columns if all(f in fields for f in self.columns) else self.pieces
        return pc.binary_join_element_wise(self._join([fields[f] for f in names]),
                                           self.trailing + "\n", "")  # fmt: skip

    def ts_field(self, row: dict[str, pa.Array]) -> str | None:
        """A timestamp column that holds a value in this row (for unparseable_timestamp)."""
        names = [f for f in self.columns if f in TS_FIELDS]
        for f in names:
            if row[f][0].as_py():
                return f
        return names[0] if names else None

    def extra(self, fields: dict[str, pa.Array], d: RowDefect) -> tuple[bytes, str | None, str]:
        """The corrupted copy of row d.row: (bytes, field, detail)."""
        row = self.row(fields, d.row)
        enc = self.spec.encoding
        field = None
        if d.kind == "duplicate_row":
            detail = "exact repeat of the previous line"
        elif d.kind == "missing_key":
            field = self.key
            row[field] = pa.array([""], pa.string())
            detail = f"copy of the previous line with {self.columns[field]!r} empty"
        elif d.kind == "unparseable_timestamp":
            field = self.ts_field(row)
            row[field] = pa.array([BAD_TIMESTAMP], pa.string())
            detail = f"copy of the previous line with {self.columns[field]!r} = {BAD_TIMESTAMP!r}"
        elif d.kind == "unparseable_date":
            field = next(f for f in self.columns if f in DATE_FIELDS)
            row[field] = pa.array([BAD_DATE], pa.string())
            detail = f"copy of the previous line with {self.columns[field]!r} = {BAD_DATE!r}"
        elif d.kind == "wrong_column_count":
            names = list(self.columns)
            drop = names[len(names) // 2]
            cols = [row[f] for f in names if f != drop]
            line = pc.binary_join_element_wise(*cols, self.spec.delimiter)[0].as_py()
            text = line + self.trailing + "\n"
            return (encode_text(text, enc), None,
                    (f"copy of the previous line without its {self.columns[drop]!r} field "
                    f"({len(names) - 1} fields instead of {len(names)})"))  # fmt: skip
        elif d.kind == "malformed_line":
            line = encode_text(self.lines(row)[0].as_py(), enc)
            return (insert_bad_byte(line, enc, self.spec.delimiter.encode()), None,
                    f"copy of the previous line with a byte undecodable in {enc}")  # fmt: skip
        else:  # pragma: no cover
            raise ValueError(d.kind)
        return encode_text(self.lines(row)[0].as_py(), enc), field, detail


__all__ = ["CsvRenderer"]
