"""Named fixes for feed quirks that no spec option covers (spec.QuirkName). Each has a test."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.readers.hl7_split import element

EXCEL_EPOCH = datetime(1899, 12, 30)  # 1900 date system (Lotus leap-year bug absorbed)


def nhs_number_spaces(values: pa.Array) -> pa.Array:
    """'485 777 3456' -> '4857773456' (spaces and hyphens removed)."""
    # two literal replacements rather than the one regex `[ \-]`: no regex engine per value
    return pc.replace_substring(pc.replace_substring(values, " ", ""), "-", "")


def trailing_delimiter(fields: list[str]) -> list[str]:
    """Every line ends with one extra delimiter: drop the final empty field of a split line."""
    if fields and fields[-1] == "":
        return fields[:-1]
    return fields


def excel_serial_dates(values: list) -> list[datetime | str | None]:
    """Excel serial day numbers (1900 system) -> naive wall-clock datetimes (to the second).

    Non-numeric values are returned unchanged, for the caller to parse or reject."""
    out: list = []
    for v in values:
        if isinstance(v, bool):
            out.append(v)
        elif isinstance(v, (int, float)) and not (isinstance(v, float) and np.isnan(v)):
            if not (0 < v < 2_958_466):  # 9999-12-31
                out.append(str(v))
            else:
                out.append(EXCEL_EPOCH + timedelta(seconds=round(float(v) * 86_400)))
        else:
            out.append(v)
    return out


def uppercase_codes(values: pa.Array) -> pa.Array:
    """Procedure codes sent in lower case: fold to upper case."""
    return pc.utf8_upper(values)


def hl7_repeat_nhs_in_pid3(
    pid3: pa.Array, repetition_sep: str = "~", component_sep: str = "^"
) -> pa.Array:
    """The NHS number from PID-3 `MRN^^^ODS^MR~<nhs>^^^NHS^NH`: the first repetition whose
    assigning authority (component 4) is NHS or whose identifier type (component 5) is NH; null
    where none is, or its identifier is empty."""
    reps = pc.split_pattern(pid3, repetition_sep)
    comps = pc.split_pattern(pc.list_flatten(reps), component_sep)
    owner = pc.list_parent_indices(reps).to_numpy()
    nhs = pc.or_(
        pc.equal(pc.utf8_upper(element(comps, 3)), "NHS"),
        pc.equal(pc.utf8_upper(element(comps, 4)), "NH"),
    ).to_numpy(zero_copy_only=False)
    hits = np.flatnonzero(nhs)
    rows, first = np.unique(owner[hits], return_index=True)
    pick = np.full(len(pid3), -1, dtype=np.int64)
    pick[rows] = hits[first]
    ids = element(comps, 0).take(pa.array(pick, mask=pick < 0))
    return pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)
