"""The attributes of an exam common to every family, from its raw text columns."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest import nhs, quirks
from ingest.feeds.spec import FeedSpec
from ingest.readers.results import Ctx, Rejects, reject_mask
from ingest.readers.timestamps import parse_dates
from ingest.readers.values import as_str, map_values, nonempty

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


def exam_attributes(
    ctx: Ctx, raw: dict[str, pa.Array], n: int, rejects: Rejects | None, lines: np.ndarray
) -> tuple[dict[str, object], dict[str, np.ndarray], np.ndarray]:
    """Exam attributes from raw text columns (canonical names).

    Returns (data for EXAM_RECORDS, flag masks, bad-row mask for unparseable dates)."""
    spec = ctx.spec
    null = pa.nulls(n, pa.string())

    def col(f):
        return as_str(raw[f]) if f in raw else null

    code = _procedure_code(spec, col("procedure_code"))
    nhs_number = _nhs_number(spec, col("nhs_number"))
    data: dict[str, object] = {
        "accession": pc.utf8_trim_whitespace(col("accession")),
        "local_procedure_code": code,
        "nicip_code": code if spec.procedure_code_system == "nicip" else None,
        "nhs_number": nhs_number,
        "trust_code": spec.trust_code,
        "extract_at": ctx.extract_at,
    }
    for f in EXAM_TEXT_FIELDS:
        data[f] = col(f) if f in raw else None
    mapped, unmapped = _mapped_fields(spec, raw, col, n)
    data |= mapped
    dates, bad = _dates(spec, raw, col, n, rejects, lines)
    data |= dates
    flags = {"nhs_number_invalid": nonempty(nhs_number) & ~nhs.valid_mask(nhs_number)}
    if ctx.local_codes is not None and spec.procedure_code_system == "local":
        flags["unknown_local_code"] = _unknown_local_code(code, ctx.local_codes)
    flags["unmapped_value"] = unmapped
    return data, flags, bad


def _procedure_code(spec: FeedSpec, code: pa.Array) -> pa.Array:
    code = pc.utf8_trim_whitespace(code)
    return quirks.uppercase_codes(code) if "uppercase_codes" in spec.quirks else code


def _nhs_number(spec: FeedSpec, nhs_number: pa.Array) -> pa.Array:
    nhs_number = pc.utf8_trim_whitespace(nhs_number)
    if "nhs_number_spaces" in spec.quirks:
        return quirks.nhs_number_spaces(nhs_number)
    return nhs_number


def _mapped_fields(
    spec: FeedSpec, raw: dict[str, pa.Array], col: Callable[[str], pa.Array], n: int
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """The coded fields mapped to canonical values, and the mask of rows with an unmapped one."""
    mapped: dict[str, pa.Array] = {}
    unmapped = np.zeros(n, dtype=bool)
    for f in MAPPED_EXAM_FIELDS:
        if f in raw:
            mapped[f], um = map_values(spec, f, col(f))
            unmapped |= um
    return mapped, unmapped


def _dates(
    spec: FeedSpec,
    raw: dict[str, pa.Array],
    col: Callable[[str], pa.Array],
    n: int,
    rejects: Rejects | None,
    lines: np.ndarray,
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Birth and clock-start dates (already dates from a workbook, else parsed by the spec's
    date_format), and the mask of rows rejected for an unparseable one."""
    dates: dict[str, pa.Array] = {}
    bad = np.zeros(n, dtype=bool)
    for f in ("birth_date", "clock_start_date"):
        if f not in raw:
            continue
        if pa.types.is_date(raw[f].type):
            dates[f] = raw[f]
            continue
        dates[f], unparsed = parse_dates(col(f), spec.date_format)
        reject_mask(
            rejects,
            unparsed,
            lines,
            f,
            col(f),
            "unparseable_date",
            f"{f}: value does not match date_format {spec.date_format!r}; "
            "fix the value or the spec's date_format",
        )
        bad |= unparsed
    return dates, bad


def _unknown_local_code(code: pa.Array, local_codes: set[str]) -> np.ndarray:
    """Sent codes not among the trust's local codes from the seed."""
    known = pc.is_in(code, value_set=pa.array(sorted(local_codes), pa.string()))
    return nonempty(code) & ~pc.fill_null(known, True).to_numpy(zero_copy_only=False)
