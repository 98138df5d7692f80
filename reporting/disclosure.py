"""Disclosure control of small numbers: the one implementation the app and the board pack share.

The HES/ECDS convention for secondary care, applied below network level:
- a count of 1-7 (by absolute value: a change of -3 patients is as small as 3) is shown as `*`;
  any other count is rounded to the nearest 5, halves away from zero (0 stays 0);
- a median, mean, percentile or maximum built on 1-7 values is suppressed;
- a percentage is recomputed from the rounded numerator and denominator, and suppressed when
  either of them is 1-7; a published rate whose numerator is not published is a statistic of
  its denominator;
- rows of the whole network (`trust_code = 'NETWORK'`) are published totals, never suppressed.

`suppress=False` (the board pack's `--internal`) gives exact figures for internal use.
Values are numbers, None (nothing to show) or `*`; `numeric=True` gives NaN for both (charts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MARK = "*"
SUPPRESSED = MARK
NETWORK = "NETWORK"
SMALL_MAX = 7  # counts 1..7 (by absolute value) are small
ROUND_TO = 5

MODE_SUPPRESSED = (
    "Disclosure control ON (published): trust-level counts of 1-7 shown as *, "
    "other counts rounded to the nearest 5; medians/percentiles on 1-7 values "
    "suppressed; percentages from rounded numerator and denominator; network "
    "totals exact."
)
MODE_INTERNAL = (
    "Disclosure control OFF (internal use only): exact figures, small numbers shown. "
    "Do not circulate outside the network."
)


# ---------------------------------------------------------------- the rules, element by element
def _floats(values: object) -> np.ndarray:
    """Any column or sequence as float64 with NaN for missing (None, NaN, pd.NA, text)."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )


def _small(values: np.ndarray) -> np.ndarray:
    magnitude = np.abs(values)
    return (magnitude >= 1) & (magnitude <= SMALL_MAX)  # NaN compares False: missing is not small


def _round5(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.floor(np.abs(values) / ROUND_TO + 0.5) * ROUND_TO


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------- single values
def is_small(n: object) -> bool:
    """True for a count of 1 to 7 by absolute value (a count that must not be shown)."""
    return bool(_small(_floats([n]))[0])


def round5(n: float) -> int:
    """Nearest multiple of 5, halves away from zero."""
    return int(_round5(np.array([float(n)]))[0])


def count(n: object, suppress: bool = True) -> int | str | None:
    """A count as it may be shown: None, `*` (1-7) or rounded to the nearest 5."""
    if _missing(n):
        return None
    if not suppress:
        return int(n)  # type: ignore[call-overload]
    return MARK if is_small(n) else round5(float(n))  # type: ignore[arg-type]


def statistic(value: object, base: object, suppress: bool = True) -> float | str | None:
    """A median/mean/percentile/maximum built on `base` values: `*` when base is 1-7."""
    if _missing(value):
        return None
    return MARK if suppress and is_small(base) else float(value)  # type: ignore[arg-type]


def percentage(
    numerator: object, denominator: object, suppress: bool = True, digits: int = 1
) -> float | str | None:
    """100 x numerator / denominator; under suppression from the rounded counts."""
    if _missing(numerator) or _missing(denominator):
        return None
    num, den = float(numerator), float(denominator)  # type: ignore[arg-type]
    if den == 0:
        return None
    if suppress:
        if is_small(num) or is_small(den):
            return MARK
        num, den = round5(num), round5(den)
    return None if den == 0 else round(100.0 * num / den, digits)


def total(values: Iterable[object], suppress: bool = True) -> int | str | None:
    """A total of exact counts, then protected (never a sum of rounded values)."""
    exact = [int(v) for v in values if not _missing(v)]  # type: ignore[call-overload]
    return count(sum(exact), suppress) if exact else None


# ---------------------------------------------------------------- whole frames
@dataclass(frozen=True)
class Spec:
    """How a table's columns are protected.

    counts: count columns; statistics: {column: column of the number of values it is built on};
    percentages: {column: (numerator column or None, denominator column)}, recomputed from the
    rounded counts (numerator None: recovered as percentage x denominator / 100)."""

    counts: Sequence[str] = ()
    statistics: Mapping[str, str] = field(default_factory=dict)
    percentages: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)

    def present_in(self, columns: Iterable[str]) -> Spec:
        """The part of the spec whose columns a frame has."""
        have = set(columns)
        return Spec(
            counts=tuple(c for c in self.counts if c in have),
            statistics={k: v for k, v in self.statistics.items() if k in have and v in have},
            percentages={
                k: v
                for k, v in self.percentages.items()
                if k in have and v[1] in have and (v[0] is None or v[0] in have)
            },
        )


def protect(
    df: pd.DataFrame,
    spec: Spec,
    suppress: bool = True,
    numeric: bool = False,
    trust_col: str = "trust_code",
) -> pd.DataFrame:
    """A copy of `df` with trust-level rows protected by `spec`; NETWORK rows exact.

    Statistics and percentages are judged on the exact counts, so one call protects a table.
    numeric: True gives NaN for `*` (charts); False gives `*` and whole numbers (tables)."""
    out = df.copy()
    if out.empty or not suppress:
        return out
    is_trust = (
        (out[trust_col] != NETWORK).to_numpy(dtype=bool)
        if trust_col in out.columns
        else np.ones(len(out), dtype=bool)
    )
    rules: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # shown, as *, as empty
    for col, (num_col, den_col) in spec.percentages.items():
        pct, den = _floats(out[col]), _floats(out[den_col])
        num = np.round(pct * den / 100) if num_col is None else _floats(out[num_col])
        empty = np.isnan(num) | np.isnan(den) | (den == 0)
        mark = ~empty & (_small(den) | _small(num))
        den5 = _round5(den)
        empty |= ~mark & (den5 == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = 100 * _round5(num) / den5
        rules[col] = (np.array([round(v, 1) for v in shown.tolist()]), mark, empty)
    for col, basis_col in spec.statistics.items():
        value = _floats(out[col])
        empty = np.isnan(value)
        rules[col] = (value, ~empty & _small(_floats(out[basis_col])), empty)
    for col in spec.counts:
        value = _floats(out[col])
        rules[col] = (_round5(value), _small(value), np.isnan(value))
    for col, (shown, mark, empty) in rules.items():
        mark, empty = mark & is_trust, empty & is_trust
        if numeric:
            values = np.where(is_trust, shown, _floats(out[col]))
            out[col] = pd.Series(
                np.where(mark | empty, np.nan, values), index=out.index, dtype="float64"
            )
            continue
        whole = col in spec.counts
        out[col] = pd.Series(
            [
                o if not t else None if e else MARK if m else (int(v) if whole else v)
                for o, t, m, e, v in zip(
                    out[col].tolist(),
                    is_trust.tolist(),
                    mark.tolist(),
                    empty.tolist(),
                    shown.tolist(),
                )
            ],
            index=out.index,
            dtype="object",
        )
    return out


def suppress_frame(
    df: pd.DataFrame,
    counts: Sequence[str] = (),
    statistics: Mapping[str, str] | None = None,
    percentages: Mapping[str, tuple[str | None, str]] | None = None,
    trust_col: str = "trust_code",
    numeric: bool = False,
) -> pd.DataFrame:
    """`protect` with the spec given column by column (the app's pages)."""
    spec = Spec(tuple(counts), dict(statistics or {}), dict(percentages or {}))
    return protect(df, spec, numeric=numeric, trust_col=trust_col)


# What to protect in each published mart. Minutes, slots and file rows are not patients.
MART_RULES: dict[str, Spec] = {
    "tat_monthly": Spec(
        counts=(
            "exams_tested",
            "exams_reported",
            "reported_over_28_days",
            "reported_within_target",
            "within_target_denominator",
        ),
        statistics={
            "request_to_test_median_days": "exams_tested",
            "request_to_test_p90_days": "exams_tested",
            "test_to_report_median_days": "exams_reported",
            "test_to_report_p90_days": "exams_reported",
            "test_to_report_median_hours": "exams_reported",
            "reported_within_target_pct": "exams_tested",
        },
    ),
    "did_activity_monthly": Spec(
        counts=("exams_tested",),
        statistics={
            "request_to_test_median_days": "exams_tested",
            "test_to_report_median_days": "exams_tested",
        },
    ),
    "waiting_list_census": Spec(
        counts=("total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"),
        statistics={"median_weeks_waited": "total_waiting", "max_weeks_waited": "total_waiting"},
        percentages={"pct_waiting_6_plus_weeks": ("waiting_6_plus_weeks", "total_waiting")},
    ),
    "waiting_list_bands": Spec(counts=("patients",)),
    "waiting_list_pressure": Spec(
        counts=("additions", "tests", "waiting", "waiting_6_plus_weeks"),
        statistics={"mean_weeks_waited": "waiting", "pressure": "waiting"},
    ),
    "dm01_activity_monthly": Spec(
        counts=("waiting_list_tests", "planned_tests", "unscheduled_tests")
    ),
    "reporting_backlog": Spec(
        counts=(
            "unreported_exams",
            "age_0_2_days",
            "age_3_7_days",
            "age_8_14_days",
            "age_15_28_days",
            "age_over_28_days",
        ),
        statistics={"oldest_age_days": "unreported_exams"},
    ),
    "reporting_throughput_weekly": Spec(
        counts=("exams_tested", "reports_verified", "reports_outsourced", "backlog_change")
    ),
    "scanner_utilisation_daily": Spec(counts=("dna_slots",)),
    "scheduling_capacity": Spec(
        counts=("waiting_unbooked",), statistics={"est_weeks_to_clear": "waiting_unbooked"}
    ),
    "scheduling_offers_by_trust": Spec(
        counts=(
            "patients_waiting",
            "patients_located",
            "patients_offered_10km",
            "patients_offered_20km",
            "patients_offered_40km",
            "patients_allocated",
        ),
        statistics={
            "weeks_saved_10km": "patients_offered_10km",
            "weeks_saved_20km": "patients_offered_20km",
            "weeks_saved_40km": "patients_offered_40km",
            "weeks_saved_allocated": "patients_allocated",
        },
    ),
    "scheduling_offers_by_site": Spec(
        counts=("patients_offered", "offers_absorbed"),
        statistics={"weeks_saved_absorbed": "offers_absorbed"},
    ),
}


def suppress_mart(
    table: str, df: pd.DataFrame, numeric: bool = False, suppress: bool = True
) -> pd.DataFrame:
    """Protect a frame of a published mart by its rule (unchanged if the mart has none)."""
    rule = MART_RULES.get(table)
    if rule is None or df.empty:
        return df
    return protect(df, rule.present_in(df.columns), suppress=suppress, numeric=numeric)
