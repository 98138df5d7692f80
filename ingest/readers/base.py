"""The readers' shared machinery used to live here; each concern now has its own module:

- results.py: Ctx, ReadResult, QuarantineError, Rejects and the row-reject helpers
- values.py: text columns, value maps (map_values, unmapped_words), yes/no values
- timestamps.py: strict date and time parsing, the extract time from a file name
- localise.py: wall-clock times -> UTC
- flags.py: dq flags and the workflow-order check
- frames.py: landing frames in the contract's column order
- exam_attributes.py: the exam attributes common to every family

The names stay importable from here so that `from ingest.readers.base import X` keeps working;
new code imports from the module that owns the name.
"""

from __future__ import annotations

from ingest.readers.exam_attributes import (
    EXAM_TEXT_FIELDS,
    MAPPED_EXAM_FIELDS,
    exam_attributes,
)
from ingest.readers.flags import (
    ORDER_PAIRS,
    join_flags,
    out_of_order,
)
from ingest.readers.frames import (
    arrow_frame,
    empty_frame,
    events_frame,
    finish_records,
    frame,
    slots_frame,
    to_pandas,
)
from ingest.readers.localise import localise
from ingest.readers.results import (
    RAW_TEXT_MAX,
    REJECT_COLUMNS,
    Ctx,
    QuarantineError,
    ReadResult,
    Rejects,
    missing_key,
    reject_mask,
)
from ingest.readers.timestamps import (
    _parse_naive_general,
    date_numpy,
    extract_time,
    parse_dates,
    parse_naive,
    ts_numpy,
)
from ingest.readers.values import (
    as_str,
    bool_unrecognised,
    map_values,
    nonempty,
    to_bool,
    unmapped_words,
)

_as_str = as_str  # the names these had while private to this module
_reject_mask = reject_mask

__all__ = [
    "EXAM_TEXT_FIELDS",
    "MAPPED_EXAM_FIELDS",
    "ORDER_PAIRS",
    "RAW_TEXT_MAX",
    "REJECT_COLUMNS",
    "Ctx",
    "QuarantineError",
    "ReadResult",
    "Rejects",
    "_as_str",
    "_parse_naive_general",
    "_reject_mask",
    "arrow_frame",
    "as_str",
    "bool_unrecognised",
    "date_numpy",
    "empty_frame",
    "events_frame",
    "exam_attributes",
    "extract_time",
    "finish_records",
    "frame",
    "join_flags",
    "localise",
    "map_values",
    "missing_key",
    "nonempty",
    "out_of_order",
    "parse_dates",
    "parse_naive",
    "reject_mask",
    "slots_frame",
    "to_bool",
    "to_pandas",
    "ts_numpy",
    "unmapped_words",
]
