"""The feed spec: what a trust's deliveries look like, as configuration.

A trust is a YAML file naming its feed family and its quirks: an onboarded trust's in
`ingest/feeds/<ODS>.yml`, a synthetic trust's in `ingest/synth/feeds/`. The synthetic generator
writes each of its trusts' files *from* its spec and the readers read them *with* it, so the two
can never disagree about a dialect. Every key: docs/feed-spec.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.contract import FAMILIES

# Onboarded trusts' specs (real deliveries). The synthetic network keeps its own specs in
# `ingest/synth/feeds/`, so onboarding a trust never changes the demo and the demo never
# assumes which trusts are onboarded.
FEEDS_DIR = Path(__file__).parent
# The copy of its specs that `wmin synth` writes into a home, so a synthetic home is read with
# the specs its files were written with.
HOME_FEEDS = "feeds"

# Canonical fields a trust's columns map onto (wide CSV, event-log CSV and Excel families).
# Exam attributes:
EXAM_FIELDS = (
    "accession",
    "procedure_code",
    "procedure_name",
    "modality",
    "site_code",
    "room",
    "priority",
    "patient_source_setting",
    "activity_category",
    "referrer_code",
    "referring_org_code",
    "gp_practice_code",
    "nhs_number",
    "nhs_number_status",
    "birth_date",
    "sex",
    "postcode",
    "ethnicity",
    "clock_start_date",
    "status",
)
# One timestamp column per event type (wide families), plus the appointment time and actors:
WIDE_EVENT_FIELDS = (
    "requested_at",
    "request_received_at",
    "vetted_at",
    "booked_at",
    "appointment_at",
    "arrived_at",
    "exam_started_at",
    "exam_completed_at",
    "reported_prelim_at",
    "prelim_reporter_id",
    "report_verified_at",
    "verified_reporter_id",
    "verified_outsourced",
    "cancelled_at",
    "did_not_attend_at",
    "addendum_at",
)
# Event-log rows: the exam attributes plus these.
EVENT_LOG_FIELDS = (
    "event_id",
    "event",
    "event_at",
    "appointment_at",
    "actor_id",
    "actor_outsourced",
)
SLOT_FIELDS = (
    "slot_id",
    "site_code",
    "room",
    "modality",
    "slot_start",
    "slot_minutes",
    "state",
    "accession",
)
REQUIRED_EXAM_FIELDS = ("accession", "procedure_code", "site_code", "priority")

# Fields whose local words are mapped to the canonical vocabulary by `value_maps`.
MAPPABLE_FIELDS = (
    "priority",
    "patient_source_setting",
    "activity_category",
    "sex",
    "status",
    "event",
    "modality",
    "state",
    "actor_outsourced",
    "verified_outsourced",
)

QuirkName = Literal[
    "nhs_number_spaces",  # NHS numbers printed as 'NNN NNN NNNN'
    "trailing_delimiter",  # every line ends with one extra delimiter
    "excel_serial_dates",  # dates and times as Excel serial day numbers
    "uppercase_codes",  # procedure codes sent in lower case, fold to upper
    "hl7_repeat_nhs_in_pid3",  # NHS number is one repetition of PID-3 (assigning authority NHS)
]


class SpecError(Exception):
    """A feed spec that cannot be used; the message names the file, the key and what to do."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExtractTime(_Strict):
    """Where a delivery's extract time comes from: its file name (regex and strptime), a column
    every row carries, or both. With both, the column wins (a name often holds only the date)."""

    pattern: str | None = Field(
        default=None, description="regex with one group capturing the timestamp text"
    )
    format: str | None = Field(default=None, description="strptime format of the captured text")
    column: str | None = Field(
        default=None, description="the trust's column holding the extract time"
    )
    column_format: str | None = Field(
        default=None,
        description="strptime format of the column's values (default: datetime_format)",
    )

    @model_validator(mode="after")
    def _a_source(self) -> ExtractTime:
        if self.pattern is None and self.column is None:
            raise ValueError(
                "give 'pattern' and 'format' (the time in the file name), 'column' "
                "(a column every row carries), or both"
            )
        if (self.pattern is None) != (self.format is None):
            raise ValueError(
                "'pattern' and 'format' go together: the regex capturing the time in "
                "the file name and the strptime format of what it captures; for the "
                "column's format use 'column_format'"
            )
        if self.column_format is not None and self.column is None:
            raise ValueError("'column_format' needs 'column'")
        return self

    def parse(self, file_name: str) -> datetime | None:
        """The local extract time a file name carries, or None when the name does not match
        (or the spec takes the time from a column only)."""
        if self.pattern is None or self.format is None:
            return None
        m = re.search(self.pattern, file_name)
        if not m:
            return None
        try:
            return datetime.strptime(m.group(1), self.format)
        except ValueError:
            return None


class FilePatterns(_Strict):
    exams: str = Field(description="glob, relative to the trust's landing folder")
    slots: str | None = Field(default=None, description="glob for appointment-book extracts")


class FeedSpec(_Strict):
    trust_code: str = Field(pattern=r"^[A-Z0-9]{3,5}$")
    family: Literal["wide_csv", "event_csv", "hl7v2", "excel"]
    mode: Literal["delta", "snapshot"] = "delta"
    snapshot_days: int | None = Field(default=None, ge=1, le=90)
    delivery_every_days: int = Field(default=1, ge=1, le=7)
    files: FilePatterns
    extract_time: ExtractTime
    encoding: Literal["utf-8", "utf-8-sig", "cp1252"] = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    timezone: Literal["Europe/London", "UTC"] = "Europe/London"
    date_format: str = "%Y-%m-%d"
    datetime_format: str = "%Y-%m-%d %H:%M"
    procedure_code_system: Literal["nicip", "local"] = "nicip"
    exam_sheet: str = "Exams"  # excel family
    slot_sheet: str = "Slots"  # excel family
    columns: dict[str, str] = Field(default_factory=dict)
    slot_columns: dict[str, str] = Field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    quirks: tuple[QuirkName, ...] = ()

    @field_validator("delimiter")
    @classmethod
    def _one_char_delimiter(cls, v: str) -> str:
        if len(v) != 1:
            raise ValueError("must be a single character, e.g. ',' '|' ';' or '\\t'")
        return v

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, v: dict[str, str]) -> dict[str, str]:
        known = set(EXAM_FIELDS) | set(WIDE_EVENT_FIELDS) | set(EVENT_LOG_FIELDS)
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; known: {sorted(known)}")
        return v

    @field_validator("slot_columns")
    @classmethod
    def _known_slot_columns(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(SLOT_FIELDS))
        if unknown:
            raise ValueError(f"unknown slot field(s) {unknown}; known: {list(SLOT_FIELDS)}")
        return v

    @field_validator("value_maps")
    @classmethod
    def _known_value_maps(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        unknown = sorted(set(v) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(
                f"no value map allowed for {unknown}; allowed: {list(MAPPABLE_FIELDS)}"
            )
        return v

    @model_validator(mode="after")
    def _family_needs(self) -> FeedSpec:
        if self.family in ("wide_csv", "event_csv", "excel"):
            missing = [f for f in REQUIRED_EXAM_FIELDS if f not in self.columns]
            if missing:
                raise ValueError(f"columns must map the required fields {missing}")
        if self.family == "event_csv":
            missing = [f for f in ("event_id", "event", "event_at") if f not in self.columns]
            if missing:
                raise ValueError(f"an event_csv feed must map {missing} in columns")
        if self.family == "hl7v2" and self.extract_time.column is not None:
            raise ValueError(
                "extract_time.column: an hl7v2 feed has no columns; its extract time "
                "comes from the file name ('pattern' and 'format')"
            )
        if self.mode == "snapshot" and self.snapshot_days is None:
            raise ValueError("mode 'snapshot' needs snapshot_days (the rolling window length)")
        return self

    def column(self, field: str) -> str | None:
        """The trust's column name for a canonical field, or None if the feed does not send it."""
        return self.columns.get(field)

    def to_canonical(self, field: str, local_value: str) -> str | None:
        """Map a local word to the canonical vocabulary; None if the trust's map lacks it."""
        mapping = self.value_maps.get(field)
        if mapping is None:
            return local_value
        return mapping.get(local_value)

    def to_local(self, field: str, canonical_value: str) -> str:
        """The local word a trust writes for a canonical value (first match in its map)."""
        mapping = self.value_maps.get(field)
        if mapping is None:
            return canonical_value
        for local, canonical in mapping.items():
            if canonical == canonical_value:
                return local
        raise KeyError(
            f"{self.trust_code}: value_maps.{field} has no local word for {canonical_value!r}"
        )


def _describe(err: ValidationError, path: Path) -> str:
    lines = [f"{path}: the feed spec is not valid:"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  - key '{key}': {e['msg']}")
    lines.append("  Fix these keys (docs/feed-spec.md lists every key) and run again.")
    return "\n".join(lines)


def load_spec(path: Path) -> FeedSpec:
    """Read and validate one feed spec; raise SpecError with one line per mistake."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such feed spec file") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"{path}:{where} is not valid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(raw, dict):
        raise SpecError(
            f"{path}: a feed spec is a YAML mapping of keys, found {type(raw).__name__}"
        )
    try:
        spec = FeedSpec.model_validate(raw)
    except ValidationError as e:
        raise SpecError(_describe(e, Path(path))) from None
    if Path(path).stem != spec.trust_code:
        raise SpecError(
            f"{path}: key 'trust_code' is {spec.trust_code!r} but the file is named "
            f"{Path(path).name}; name the file <trust_code>.yml"
        )
    return spec


def home_feeds_dir(home: Path) -> Path:
    """The feed specs a home is read with: `<home>/feeds/` when present (a synthetic home, or an
    operator's own folder), else the project's onboarded specs in `ingest/feeds/`."""
    own = Path(home) / HOME_FEEDS
    return own if own.is_dir() else FEEDS_DIR


def load_all_specs(feeds_dir: Path = FEEDS_DIR) -> dict[str, FeedSpec]:
    """Every trust's spec in a folder, by trust code."""
    specs = [load_spec(p) for p in sorted(Path(feeds_dir).glob("*.yml"))]
    return {s.trust_code: s for s in specs}


assert set(FAMILIES) == {"wide_csv", "event_csv", "hl7v2", "excel"}
