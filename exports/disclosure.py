"""Statistical disclosure control for trust-level figures (DOMAIN.md, HES/ECDS convention).

- counts of 1-7 are shown as `*`; other counts are rounded to the nearest 5 (0 stays 0);
- medians, means, percentiles (and maxima) built on 1-7 values are suppressed;
- percentages are recomputed from the rounded numerator and denominator (suppressed when the
  numerator is suppressed);
- rows of the whole network (`trust_code = 'NETWORK'`) are never suppressed;
- everything is switchable: `suppress=False` gives exact figures for internal use.

Values are returned as numbers (int/float), None (nothing to show) or the string `*`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

SUPPRESSED = "*"
NETWORK = "NETWORK"
SMALL_MIN, SMALL_MAX = 1, 7
ROUND_TO = 5

MODE_SUPPRESSED = ("Disclosure control ON (published): trust-level counts of 1-7 shown as *, "
                   "other counts rounded to the nearest 5; medians/percentiles on 1-7 values "
                   "suppressed; percentages from rounded numerator and denominator; network "
                   "totals exact.")
MODE_INTERNAL = ("Disclosure control OFF (internal use only): exact figures, small numbers shown. "
                 "Do not circulate outside the network.")


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def is_small(n: object) -> bool:
    """True when a count is in the suppressed range 1-7 (by absolute value)."""
    return not _missing(n) and SMALL_MIN <= abs(int(n)) <= SMALL_MAX


def round_count(n: int) -> int:
    """Nearest multiple of 5 (half away from zero; integers never sit on a half)."""
    sign = -1 if n < 0 else 1
    return sign * ROUND_TO * ((abs(int(n)) + ROUND_TO // 2) // ROUND_TO)


def count(n: object, suppress: bool = True) -> int | str | None:
    """A count as it may be shown: None, `*` (1-7), or rounded to the nearest 5."""
    if _missing(n):
        return None
    n = int(n)
    if not suppress:
        return n
    if is_small(n):
        return SUPPRESSED
    return round_count(n)


def statistic(value: object, base: object, suppress: bool = True) -> float | str | None:
    """A median/mean/percentile/maximum built on `base` values: suppressed when base is 1-7."""
    if _missing(value):
        return None
    if suppress and is_small(base):
        return SUPPRESSED
    return float(value)


def percentage(numerator: object, denominator: object, suppress: bool = True,
               digits: int = 1) -> float | str | None:
    """100 x numerator / denominator; under suppression from the rounded counts."""
    if _missing(numerator) or _missing(denominator):
        return None
    num, den = int(numerator), int(denominator)
    if suppress:
        if is_small(num) or is_small(den):
            return SUPPRESSED
        num, den = round_count(num), round_count(den)
    if den == 0:
        return None
    return round(100.0 * num / den, digits)


@dataclass(frozen=True)
class Spec:
    """How a table's columns are protected.

    counts: count columns; statistics: {column: base count column};
    percentages: {column: (numerator column, denominator column)} recomputed from the counts;
    rates: {column: base count column} - percentages whose numerator and denominator are not
    published (shown as published, suppressed when the base is 1-7)."""

    counts: tuple[str, ...] = ()
    statistics: Mapping[str, str] = field(default_factory=dict)
    percentages: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    rates: Mapping[str, str] = field(default_factory=dict)


def apply(df: pd.DataFrame, spec: Spec, suppress: bool = True,
          trust_column: str = "trust_code") -> pd.DataFrame:
    """A copy of `df` with disclosure control applied row by row (object columns).

    Rows whose `trust_column` is NETWORK keep exact figures (percentages are still recomputed
    from the exact counts so a figure never depends on the mode for the network)."""
    out = df.copy()
    exact = df
    for col in list(spec.counts) + list(spec.statistics) + list(spec.percentages) + list(spec.rates):
        out[col] = out[col].astype(object)
    is_net = (df[trust_column] == NETWORK) if trust_column in df.columns else pd.Series(False, index=df.index)
    for i in df.index:
        s = suppress and not bool(is_net.loc[i])
        row = exact.loc[i]
        for col in spec.counts:
            out.at[i, col] = count(row[col], s)
        for col, base in spec.statistics.items():
            out.at[i, col] = statistic(row[col], row[base], s)
        for col, (num, den) in spec.percentages.items():
            if not s:
                v = row[col]
                out.at[i, col] = None if _missing(v) else float(v)
            else:
                out.at[i, col] = percentage(row[num], row[den], s)
        for col, base in spec.rates.items():
            out.at[i, col] = statistic(row[col], row[base], s)
    return out


def total(values: Iterable[object], suppress: bool = True) -> int | str | None:
    """A total of exact counts, then protected (never a sum of rounded values)."""
    vals = [int(v) for v in values if not _missing(v)]
    return count(sum(vals), suppress) if vals else None
