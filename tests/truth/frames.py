"""Row-by-row comparison of a mart built by dbt with the same mart recomputed in pandas."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

TOLERANCE = 1e-9  # medians, percentiles and percentages; counts must be exactly equal


def _normalise_key(s: pd.Series) -> pd.Series:
    """Dates as naive Timestamps, everything else as text, so both sides join."""
    first = s.dropna().iloc[0] if s.notna().any() else None
    if pd.api.types.is_datetime64_any_dtype(s) or isinstance(first, date):
        return pd.to_datetime(s)
    return s.astype(object).map(lambda v: None if pd.isna(v) else str(v))


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _differs(expected: pd.Series, built: pd.Series) -> pd.Series:
    """True where two aligned columns disagree (both missing counts as agreement)."""
    both_missing = expected.isna().to_numpy() & built.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(built) or pd.api.types.is_datetime64_any_dtype(
        expected
    ):
        e, b = pd.to_datetime(expected), pd.to_datetime(built)
        if getattr(b.dt, "tz", None) is not None or getattr(e.dt, "tz", None) is not None:
            e, b = pd.to_datetime(expected, utc=True), pd.to_datetime(built, utc=True)
        same = (e == b).fillna(False).to_numpy()
    elif _is_number(built):
        e = pd.to_numeric(expected).astype(float).to_numpy()
        b = built.astype(float).to_numpy()
        if pd.api.types.is_integer_dtype(built):
            same = e == b
        else:
            same = np.abs(e - b) <= TOLERANCE
    else:
        e = expected.astype(object).map(lambda v: None if pd.isna(v) else str(v))
        b = built.astype(object).map(lambda v: None if pd.isna(v) else str(v))
        same = (e == b).to_numpy()
    return pd.Series(~(same | both_missing), index=built.index)


def compare(expected: pd.DataFrame, built: pd.DataFrame, keys: list[str],
            columns: list[str]) -> list[str]:  # fmt: skip
    """Every difference between the two frames, as readable lines (empty when they agree):
    key rows found on one side only, then per column the rows whose values differ."""
    e = expected[keys + columns].copy()
    b = built[keys + columns].copy()
    for k in keys:
        e[k], b[k] = _normalise_key(e[k]), _normalise_key(b[k])
    problems = []
    for side, frame in (("pandas", e), ("dbt", b)):
        dup = frame.duplicated(keys, keep=False)
        if dup.any():
            problems.append(
                f"{dup.sum()} duplicate key rows in the {side} frame: "
                f"{frame.loc[dup, keys].head(3).to_dict('records')}"
            )
    m = e.merge(b, on=keys, how="outer", suffixes=("__pandas", "__dbt"), indicator=True)
    for side, label in (("left_only", "pandas only"), ("right_only", "dbt only")):
        rows = m[m["_merge"] == side]
        if len(rows):
            problems.append(
                f"{len(rows)} rows {label}, e.g. {rows[keys].head(5).to_dict('records')}"
            )
    both = m[m["_merge"] == "both"]
    for c in columns:
        bad = _differs(both[f"{c}__pandas"], both[f"{c}__dbt"])
        if bad.any():
            sample = both.loc[bad, keys + [f"{c}__pandas", f"{c}__dbt"]].head(5)
            problems.append(
                f"{c}: {int(bad.sum())} of {len(both)} rows differ, e.g.\n"
                f"{sample.to_string(index=False)}"
            )
    return problems
