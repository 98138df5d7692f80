"""Delimited text in a trust's dialect: one renderer for wide, event-log and slot extracts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec

from ..defects import BAD_DATE, BAD_TIMESTAMP, RowDefect
from ._format import csv_quote
from .base import DATE_FIELDS, TS_FIELDS, encode_text, format_field, insert_bad_byte, one_row


class CsvRenderer:
    """Columns `columns` (canonical field -> header) of `spec`'s dialect."""

    fmt = "csv"
    first_line = 2  # line 1 is the header

    def __init__(self, spec: FeedSpec, columns: dict[str, str], key: str = "accession") -> None:
        self.spec = spec
        self.columns = dict(columns)
        self.key = key
        self.trailing = spec.delimiter if "trailing_delimiter" in spec.quirks else ""
        names = [self._quote(pa.array([h], pa.string()))[0].as_py() for h in self.columns.values()]
        self.header = self.spec.delimiter.join(names) + self.trailing + "\n"
        specials = {spec.delimiter, spec.quotechar, "\r", "\n"}
        fmts = spec.datetime_format + spec.date_format
        # timestamps, dates and counts never hold the delimiter unless their format does
        self.no_quote = (TS_FIELDS | DATE_FIELDS | {"slot_minutes"}
                         if not any(c in fmts for c in specials) else frozenset())

    def _quote(self, a: pa.Array) -> pa.Array:
        return csv_quote(a, self.spec.delimiter, self.spec.quotechar)

    def fields(self, canon: dict) -> dict[str, pa.Array]:
        return {f: (format_field(self.spec, f, canon[f]) if f in self.no_quote
                    else self._quote(format_field(self.spec, f, canon[f])))
                for f in self.columns}  # fmt: skip

    def lines(self, fields: dict[str, pa.Array]) -> pa.Array:
        cols = [fields[f] for f in self.columns]
        if len(cols) == 1:
            body = cols[0]
        else:
            body = pc.binary_join_element_wise(*cols, self.spec.delimiter)
        return pc.binary_join_element_wise(body, self.trailing + "\n", "")

    def ts_field(self, row: dict[str, pa.Array]) -> str | None:
        """A timestamp column that holds a value in this row (for unparseable_timestamp)."""
        names = [f for f in self.columns if f in TS_FIELDS]
        for f in names:
            if row[f][0].as_py():
                return f
        return names[0] if names else None

    def extra(self, fields: dict[str, pa.Array], d: RowDefect) -> tuple[bytes, str | None, str]:
        """The corrupted copy of row d.row: (bytes, field, detail)."""
        row = one_row(fields, d.row)
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
                    f"copy of the previous line without its {self.columns[drop]!r} field "
                    f"({len(names) - 1} fields instead of {len(names)})")  # fmt: skip
        elif d.kind == "malformed_line":
            line = encode_text(self.lines(row)[0].as_py(), enc)
            return (insert_bad_byte(line, enc, self.spec.delimiter.encode()), None,
                    f"copy of the previous line with a byte undecodable in {enc}")  # fmt: skip
        else:  # pragma: no cover
            raise ValueError(d.kind)
        return encode_text(self.lines(row)[0].as_py(), enc), field, detail

    def key_values(self, fields: dict[str, pa.Array], j: int) -> str | None:
        return None


def lines_of(renderer: CsvRenderer, canon: dict) -> tuple[dict, pa.Array]:
    f = renderer.fields(canon)
    return f, renderer.lines(f)


__all__ = ["CsvRenderer", "lines_of", "np"]
