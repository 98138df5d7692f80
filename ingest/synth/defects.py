"""Data defects of the synthetic network, and the list of every defect injected.

Semantic defects change the truth itself before anything is written (the truth is what the RIS
holds): invalid NHS numbers, a report dated before its exam started, unknown local procedure
codes (applied in ingest.synth.truth_defects). Structural defects never destroy the only copy of true data: corrupted lines are extra
copies of real rows, a truncated file is followed by a complete re-delivery, a missed night rolls
into the next delivery, re-deliveries repeat or correct a file.

Every defect is a row of `home/truth/defects.parquet` (columns `DEFECT_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ingest.contract import DQ_FLAGS, FILE_QUARANTINE_REASONS, ROW_REJECT_REASONS

DEFECT_COLUMNS = ("defect_id", "defect_type", "trust_code", "file", "line", "field", "accession",
                  "detail", "expected_outcome")  # fmt: skip

# Row-level structural defects: an extra, corrupted copy of a real row.
ROW_DEFECTS = ("duplicate_row", "malformed_line", "wrong_column_count", "missing_key",
               "unparseable_timestamp", "unparseable_date")  # fmt: skip
ROW_OUTCOME = {
    "duplicate_row": "loaded_flagged:duplicate_row",
    "malformed_line": "rejected:malformed_line",
    "wrong_column_count": "rejected:wrong_column_count",
    "missing_key": "rejected:missing_key",
    "unparseable_timestamp": "rejected:unparseable_timestamp",
    "unparseable_date": "rejected:unparseable_date",
}
# Which row defects each kind of file can carry.
ROW_DEFECTS_BY_FORMAT = {
    "csv": ROW_DEFECTS,
    "hl7": ("duplicate_row", "malformed_line", "missing_key", "unparseable_timestamp",
            "unparseable_date"),
    "xlsx": ("duplicate_row", "missing_key", "unparseable_timestamp", "unparseable_date"),
}  # fmt: skip
BAD_TIMESTAMP = "31/13/2024 25:61"
BAD_HL7_TIMESTAMP = "20241332256100"
BAD_DATE = "31/13/1970"
BAD_HL7_DATE = "19701332"
LATE_DELIVERY = "late_delivery"  # the outcome of a missed night: its rows arrive the next night

assert {o.split(":")[1] for o in ROW_OUTCOME.values() if o.startswith("rejected:")} <= set(
    ROW_REJECT_REASONS
)
assert "duplicate_row" in DQ_FLAGS and "truncated_file" in FILE_QUARANTINE_REASONS


@dataclass(frozen=True)
class DefectRates:
    """How often each defect happens. Semantic rates are per exam (dates: per reported exam),
    row rates per delivered row; the file-level defects happen once each (for the named trust,
    or the first suitable trust of the run if it is absent). `min_each` forces at least that many
    of each row-level defect across the network so that small runs still exercise them."""

    nhs_number_invalid: float = 0.002
    dates_out_of_order: float = 0.001
    unknown_local_code: float = 0.001
    duplicate_row: float = 0.0003
    malformed_line: float = 0.0001
    wrong_column_count: float = 0.0001
    missing_key: float = 0.0001
    unparseable_timestamp: float = 0.0001
    unparseable_date: float = 0.00005
    min_each: int = 1
    truncated_file: bool = True
    missing_night: bool = True
    identical_redelivery: bool = True
    corrected_redelivery: bool = True
    truncated_trust: str = "RRK"
    missing_night_trust: str = "RNA"
    identical_redelivery_trust: str = "RWP"
    corrected_redelivery_trust: str = "RL1"
    # Not a defect but RIS behaviour the feeds must carry: a verified report taken back a few
    # hours later (per reported exam of a trust whose feed can withdraw: withdraw_reports)
    withdrawn_report: float = 0.001

    @classmethod
    def none(cls) -> DefectRates:
        """No defects at all (clean deliveries)."""
        return cls(nhs_number_invalid=0, dates_out_of_order=0, unknown_local_code=0,
                   duplicate_row=0, malformed_line=0, wrong_column_count=0, missing_key=0,
                   unparseable_timestamp=0, unparseable_date=0, min_each=0,
                   truncated_file=False, missing_night=False, identical_redelivery=False,
                   corrected_redelivery=False, withdrawn_report=0)  # fmt: skip

    def row_rate(self, kind: str) -> float:
        return float(getattr(self, kind))


@dataclass(frozen=True)
class RowDefect:
    row: int  # 0-based row of the file body; the corrupted copy follows it
    kind: str
    forced: bool = False


@dataclass
class DefectLog:
    rows: list[dict] = field(default_factory=list)

    def add(self, defect_type: str, trust_code: str, file: str | None, line: int | None,
            field_: str | None, accession: str | None, detail: str, outcome: str) -> None:  # fmt: skip
        self.rows.append({"defect_type": defect_type, "trust_code": trust_code, "file": file,
                              "line": line, "field": field_, "accession": accession, "detail": detail,
                              "expected_outcome": outcome})  # fmt: skip

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=[c for c in DEFECT_COLUMNS if c != "defect_id"])
        df = df.sort_values(["trust_code", "file", "line", "defect_type", "accession"],
                            kind="stable", na_position="first").reset_index(drop=True)  # fmt: skip
        df.insert(0, "defect_id", [f"D{i:06d}" for i in range(1, len(df) + 1)])
        df["line"] = df["line"].astype("Int64")
        for c in DEFECT_COLUMNS:
            if c not in ("line",):
                df[c] = df[c].astype("str").where(df[c].notna(), None) if len(df) else df[c]
        return df


def plan_row_defects(rng: np.random.Generator, n_rows: int, rates: DefectRates, fmt: str,
                     forced: tuple[str, ...] = ()) -> list[RowDefect]:  # fmt: skip
    """Rows of one file that get a corrupted extra copy (at most one per row)."""
    if n_rows == 0:
        return []
    kinds = ROW_DEFECTS_BY_FORMAT[fmt]
    out: dict[int, RowDefect] = {}
    for kind in kinds:
        n = int(rng.binomial(n_rows, rates.row_rate(kind))) if rates.row_rate(kind) > 0 else 0
        for r in rng.integers(0, n_rows, size=n).tolist():
            out.setdefault(int(r), RowDefect(int(r), kind))
    for kind in forced:
        if kind not in kinds:
            continue
        free = [r for r in range(min(n_rows, 64)) if r not in out] or list(range(n_rows))
        r = int(free[int(rng.integers(0, len(free)))])
        out[r] = RowDefect(r, kind, forced=True)
    return [out[r] for r in sorted(out)]


def line_numbers(rows: np.ndarray, first_line: int, plan: list[RowDefect]) -> np.ndarray:
    """Physical line (message / sheet row) of original body rows after extras are inserted."""
    after = np.array([d.row for d in plan], dtype=np.int64)
    return first_line + rows + np.searchsorted(after, rows, side="left")


def extra_line_numbers(first_line: int, plan: list[RowDefect]) -> list[int]:
    return [first_line + d.row + 1 + i for i, d in enumerate(plan)]


# --- semantic defects (applied to the truth) ------------------------------------------------------


def nhs_check_digit(first9: np.ndarray) -> np.ndarray:
    """Mod-11 check digit of 9-digit prefixes (10 = no valid number)."""
    w = np.arange(10, 1, -1)
    d = (first9[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    c = 11 - (d * w).sum(axis=1) % 11
    return np.where(c == 11, 0, c)


def nhs_valid(numbers: pd.Series) -> np.ndarray:
    s = numbers.astype(str).str.replace(" ", "", regex=False)
    ok = s.str.fullmatch(r"\d{10}").fillna(False).to_numpy(bool)
    out = np.zeros(len(s), dtype=bool)
    if ok.any():
        v = s[ok].astype(np.int64).to_numpy()
        out[ok] = nhs_check_digit(v // 10) == v % 10
    return out
