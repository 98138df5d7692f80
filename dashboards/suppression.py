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
    """
    statistics = dict(statistics or {})
    percentages = dict(percentages or {})
    out = df.copy()
    if out.empty:
        return out
    is_trust = (out[trust_col] != NETWORK) if trust_col in out.columns else pd.Series(True, index=out.index)
    mark: object = float("nan") if numeric else MARK

    def fix(v: object) -> object:
        return mark if v == MARK else v

    new: dict[str, list[object]] = {}
    for col, (num_col, den_col) in percentages.items():
        vals = []
        for idx in out.index:
            pct, den = out.at[idx, col], out.at[idx, den_col]
            if not is_trust[idx]:
                vals.append(pct)
                continue
            if num_col is None:
                num = None if _is_missing(pct) or _is_missing(den) else round(float(pct) * float(den) / 100)
            else:
                num = out.at[idx, num_col]
            vals.append(fix(suppress_percentage(num, den)))
        new[col] = vals
    for col, basis_col in statistics.items():
        new[col] = [fix(suppress_statistic(out.at[i, col], out.at[i, basis_col])) if is_trust[i]
                    else out.at[i, col] for i in out.index]
    for col in counts:
        new[col] = [fix(suppress_count(out.at[i, col])) if is_trust[i] else out.at[i, col]
                    for i in out.index]
    for col, vals in new.items():
        series = pd.Series(vals, index=out.index, dtype="float64" if numeric else "object")
        out[col] = series
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
