"""One reader per feed family, driven only by the FeedSpec.

`read_file(path, spec, content)` returns a ReadResult or raises QuarantineError (whole-file problem).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ingest.feeds.spec import FeedSpec
from ingest.readers import event_csv, excel, hl7v2, slots, wide_csv
from ingest.readers.extract_column import flag_events_after_extract
from ingest.readers.results import QuarantineError, ReadResult

EXAM_READERS = {
    "wide_csv": wide_csv.read,
    "event_csv": event_csv.read,
    "hl7v2": hl7v2.read,
    "excel": excel.read,
}


def read_file(
    path: Path,
    spec: FeedSpec,
    content: str = "exams",
    *,
    extract_at: datetime | None = None,
    local_codes: set[str] | None = None,
    file_path: str | None = None,
    data: bytes | None = None,
) -> ReadResult:
    """Read one delivery. content: 'exams' (the family's reader) or 'slots' (CSV slots extract)."""
    reader = slots.read if content == "slots" else EXAM_READERS[spec.family]
    res = reader(
        Path(path),
        spec,
        extract_at=extract_at,
        local_codes=local_codes,
        file_path=file_path,
        data=data,
    )
    if res.extract_at is None and extract_at is not None:  # a family that reads no column
        res.extract_at, res.extract_source = extract_at, "file name"
    return flag_events_after_extract(res)


__all__ = ["EXAM_READERS", "QuarantineError", "ReadResult", "read_file"]
