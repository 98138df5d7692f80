"""Formula-injection neutralisation for spreadsheet exports (OWASP "CSV injection").

A text cell that begins with `=`, `+`, `-`, `@`, tab, carriage return or line feed gets a
leading single quote, so a spreadsheet shows it as text and never evaluates it. Numbers stay
numeric cells (a negative number is a number, not text beginning with `-`). Booleans and None
pass through; dates and times are written as real spreadsheet dates (pass a date format).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from numbers import Number
from typing import Any

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> Any:
    """Return `value` with a leading `'` if it is text beginning with a dangerous character."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def write_cell(
    ws: Any, row: int, col: int, value: Any, fmt: Any = None, text_fmt: Any = None
) -> None:
    """Write one cell with xlsxwriter, never as a formula: numbers as numbers, text neutralised.

    `fmt` applies to numbers, `text_fmt` (default `fmt`) to text."""
    text_fmt = fmt if text_fmt is None else text_fmt
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, text_fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, Number):
        ws.write_number(row, col, float(value) if not isinstance(value, int) else value, fmt)
    elif isinstance(value, (date, datetime)):
        # a spreadsheet has no time zones: an aware time is written as its own wall-clock time
        naive = value.replace(tzinfo=None) if isinstance(value, datetime) else value
        ws.write_datetime(row, col, naive, fmt)
    else:
        ws.write_string(row, col, neutralise(str(value)), text_fmt)


WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": False,
}
