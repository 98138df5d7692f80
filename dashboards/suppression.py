"""Disclosure control of small numbers (DOMAIN.md, the HES/ECDS rules used for secondary care).

Below national level:
- a count of 1-7 is shown as `*`; any other count is rounded to the nearest 5 (0 stays 0);
- a median (or mean, or percentile) built on 1-7 values is suppressed;
- a percentage is recomputed from the rounded numerator and denominator, and suppressed when
  either of them is 1-7.
Network rows (`trust_code = 'NETWORK'`) are the published network totals and are not
suppressed.

Every page that can show fewer than 8 patients at trust level passes its frames through
`suppress_frame` before drawing them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

MARK = "*"
NETWORK = "NETWORK"
SMALL_MAX = 7  # counts 1..7 are small


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def is_small(n: object) -> bool:
    """True for a count of 1 to 7 (the counts that must not be shown)."""
    return not _is_missing(n) and 1 <= float(n) <= SMALL_MAX  # type: ignore[arg-type]


def round5(n: float) -> int:
    """Round to the nearest multiple of 5 (halves away from zero; counts are whole numbers)."""
    return int(math.floor(float(n) / 5 + 0.5) * 5)


def suppress_count(n: object) -> int | str | None:
    """1-7 -> '*', others rounded to the nearest 5; None/NaN stay None."""
    if _is_missing(n):
        return None
    if is_small(n):
        return MARK
    return round5(float(n))  # type: ignore[arg-type]


def suppress_statistic(value: object, basis: object) -> object:
    """A median/percentile/mean `value` computed on `basis` values: '*' when basis is 1-7."""
    if _is_missing(value):
        return None
    return MARK if is_small(basis) else value


def suppress_percentage(numerator: object, denominator: object, digits: int = 1) -> float | str | None:
    """100 x numerator / denominator from the rounded counts; '*' if either count is 1-7."""
    if _is_missing(denominator) or _is_missing(numerator) or float(denominator) == 0:  # type: ignore[arg-type]
        return None
    if is_small(denominator) or is_small(numerator):
        return MARK
    den = round5(float(denominator))  # type: ignore[arg-type]
    if den == 0:
        return None
    return round(100 * round5(float(numerator)) / den, digits)  # type: ignore[arg-type]


def _floats(column: pd.Series) -> np.ndarray:
    """The column as float64 with NaN for missing (None, NaN, pd.NA)."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _round5(values: np.ndarray) -> np.ndarray:
    return np.floor(values / 5 + 0.5) * 5  # as round5, element by element


def _small(values: np.ndarray) -> np.ndarray:
    return (values >= 1) & (values <= SMALL_MAX)  # NaN compares False: missing is not small


def suppress_frame(
    df: pd.DataFrame,
    counts: Sequence[str] = (),
    statistics: Mapping[str, str] | None = None,
    percentages: Mapping[str, tuple[str | None, str]] | None = None,
    trust_col: str = "trust_code",
    numeric: bool = False,
) -> pd.DataFrame:
    """Return a copy of `df` with trust-level rows suppressed; NETWORK rows untouched.

    counts: columns of counts (patients or exams).
    statistics: {statistic column: column holding the number of values it was computed on}.
    percentages: {percentage column: (numerator column or None, denominator column)}; with
        numerator None the numerator is recovered as percentage x denominator / 100.
    numeric: True gives NaN instead of '*' (for charts); False gives '*' (for tables).
    Statistics and percentages are computed from the unsuppressed counts, so list them all in one
    call rather than suppressing counts first.
    The rules are those of suppress_count, suppress_statistic and suppress_percentage, applied
    to whole columns at once (marts reach tens of thousands of rows).
    """
    statistics = dict(statistics or {})
    percentages = dict(percentages or {})
    out = df.copy()
    if out.empty:
        return out
    is_trust = ((out[trust_col] != NETWORK).to_numpy(dtype=bool) if trust_col in out.columns
                else np.ones(len(out), dtype=bool))
    # per column: (value where the rule shows a number, rows shown as *, rows shown empty)
    rules: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for col, (num_col, den_col) in percentages.items():
        pct, den = _floats(out[col]), _floats(out[den_col])
        num = np.round(pct * den / 100) if num_col is None else _floats(out[num_col])
        empty = np.isnan(num) | np.isnan(den) | (den == 0)
        mark = ~empty & (_small(den) | _small(num))
        den5 = _round5(den)
        empty |= ~mark & (den5 == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = 100 * _round5(num) / den5
        shown = np.array([round(v, 1) for v in shown.tolist()])  # Python rounding, as the scalar rule
        rules[col] = (shown, mark, empty)
    for col, basis_col in statistics.items():
        value = _floats(out[col])
        empty = np.isnan(value)
        rules[col] = (value, ~empty & _small(_floats(out[basis_col])), empty)
    for col in counts:
        value = _floats(out[col])
        empty = np.isnan(value)
        rules[col] = (_round5(value), _small(value), empty)
    for col, (shown, mark, empty) in rules.items():
        mark, empty = mark & is_trust, empty & is_trust
        if numeric:
            values = np.where(is_trust, shown, _floats(out[col]))
            out[col] = pd.Series(np.where(mark | empty, np.nan, values), index=out.index, dtype="float64")
            continue
        whole = col in counts  # rounded counts are shown as whole numbers
        original = out[col].tolist()
        out[col] = pd.Series(
            [o if not t else None if e else MARK if m else (int(v) if whole else v)
             for o, t, m, e, v in zip(original, is_trust.tolist(), mark.tolist(), empty.tolist(),
                                      shown.tolist())],
            index=out.index, dtype="object")
    return out


# What to suppress in each published mart: counts, statistics (with their basis count) and
# percentages (numerator or None, denominator). Minutes, slots and file rows are not patients.
MART_RULES: dict[str, dict[str, object]] = {
    "tat_monthly": {
        "counts": ["exams_tested", "exams_reported", "reported_over_28_days"],
        "statistics": {"request_to_test_median_days": "exams_tested",
                       "request_to_test_p90_days": "exams_tested",
                       "test_to_report_median_days": "exams_reported",
                       "test_to_report_p90_days": "exams_reported",
                       "test_to_report_median_hours": "exams_reported"},
        "percentages": {"reported_within_target_pct": (None, "exams_tested")},
    },
    "did_activity_monthly": {
        "counts": ["exams_tested"],
        "statistics": {"request_to_test_median_days": "exams_tested",
                       "test_to_report_median_days": "exams_tested"},
    },
    "waiting_list_census": {
        "counts": ["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks"],
        "statistics": {"median_weeks_waited": "total_waiting"},
        "percentages": {"pct_waiting_6_plus_weeks": ("waiting_6_plus_weeks", "total_waiting")},
    },
    "waiting_list_bands": {"counts": ["patients"]},
    "dm01_activity_monthly": {"counts": ["waiting_list_tests", "planned_tests", "unscheduled_tests"]},
    "reporting_backlog": {
        "counts": ["unreported_exams", "age_0_2_days", "age_3_7_days", "age_8_14_days",
                   "age_15_28_days", "age_over_28_days"],
        "statistics": {"oldest_age_days": "unreported_exams"},
    },
    "reporting_throughput_weekly": {
        "counts": ["exams_tested", "reports_verified", "reports_outsourced", "backlog_change"]},
    "scanner_utilisation_daily": {"counts": ["dna_slots"]},
    "scheduling_capacity": {"counts": ["waiting_unbooked"],
                            "statistics": {"est_weeks_to_clear": "waiting_unbooked"}},
}


def suppress_mart(table: str, df: pd.DataFrame, numeric: bool = False) -> pd.DataFrame:
    """Apply MART_RULES[table] to a frame of that mart (unchanged if the mart has no rule)."""
    rule = MART_RULES.get(table)
    if rule is None or df.empty:
        return df
    present = set(df.columns)
    counts = [c for c in rule.get("counts", []) if c in present]  # type: ignore[union-attr]
    stats = {k: v for k, v in rule.get("statistics", {}).items() if k in present and v in present}  # type: ignore[union-attr]
    pcts = {k: v for k, v in rule.get("percentages", {}).items()  # type: ignore[union-attr]
            if k in present and v[1] in present and (v[0] is None or v[0] in present)}
    return suppress_frame(df, counts=counts, statistics=stats, percentages=pcts, numeric=numeric)
