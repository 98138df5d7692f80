"""Disclosure control (reporting/disclosure.py): scalar edges, whole frames against the scalar
rules, NETWORK rows exact, negative counts by absolute value, the internal mode."""

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from reporting import disclosure as dc
from reporting.disclosure import MARK, suppress_frame

suppress_count, suppress_statistic, suppress_percentage = dc.count, dc.statistic, dc.percentage


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, 0),
        (1, MARK),
        (7, MARK),
        (8, 10),
        (12, 10),
        (13, 15),
        (2, MARK),
        (17, 15),
        (18, 20),
        (1000, 1000),
        (None, None),
    ],
)
def test_counts_edge_values(n, shown) -> None:
    assert suppress_count(n) == shown


def test_statistics_on_one_to_seven_values_are_suppressed() -> None:
    assert (
        suppress_statistic(12.5, 0) == 12.5
    )  # nothing to hide; the median itself is missing in practice
    assert suppress_statistic(12.5, 1) == MARK
    assert suppress_statistic(12.5, 7) == MARK
    assert suppress_statistic(12.5, 8) == 12.5
    assert suppress_statistic(None, 13) is None


def test_percentages_use_rounded_counts() -> None:
    assert suppress_percentage(12, 13) == round(100 * 10 / 15, 1)
    assert suppress_percentage(5, 100) == MARK
    assert suppress_percentage(8, 7) == MARK
    assert suppress_percentage(0, 8) == 0.0
    assert suppress_percentage(3, 0) is None


def test_frame_keeps_network_rows_and_suppresses_trusts() -> None:
    df = pd.DataFrame(
        {
            "trust_code": ["RRJ"] * 6 + ["NETWORK"],
            "exams_tested": [0, 1, 7, 8, 12, 13, 3],
            "median": [None, 4.0, 5.0, 6.0, 7.0, 8.0, 2.0],
        }
    )
    out = suppress_frame(df, counts=["exams_tested"], statistics={"median": "exams_tested"})
    assert out["exams_tested"].tolist() == [0, MARK, MARK, 10, 10, 15, 3]
    assert out["median"].tolist()[1:] == [MARK, MARK, 6.0, 7.0, 8.0, 2.0]
    numeric = suppress_frame(
        df, counts=["exams_tested"], statistics={"median": "exams_tested"}, numeric=True
    )
    assert math.isnan(numeric["exams_tested"][1]) and numeric["exams_tested"][3] == 10
    assert numeric["exams_tested"].iloc[-1] == 3


def _cell_by_cell(df: pd.DataFrame, numeric: bool) -> pd.DataFrame:
    """The rules applied one cell at a time with the scalar functions (the reference)."""
    mark = float("nan") if numeric else MARK
    out = df.copy()
    trust = df["trust_code"] != "NETWORK"
    pct = [
        suppress_percentage(None if pd.isna(p) or pd.isna(d) else round(p * d / 100), d) if t else p
        for p, d, t in zip(df["pct"], df["n"], trust)
    ]
    med = [suppress_statistic(m, n) if t else m for m, n, t in zip(df["median"], df["n"], trust)]
    cnt = [suppress_count(n) if t else n for n, t in zip(df["n"], trust)]
    for col, vals in (("pct", pct), ("median", med), ("n", cnt)):
        vals = [mark if v == MARK else v for v in vals]
        out[col] = pd.Series(vals, index=df.index, dtype="float64" if numeric else "object")
    return out


@settings(max_examples=200, deadline=None)
@given(
    rows=hst.lists(
        hst.tuples(
            hst.sampled_from(["RRJ", "NETWORK"]),
            hst.one_of(hst.none(), hst.integers(-20, 400)),
            hst.one_of(hst.none(), hst.floats(0, 100, allow_nan=False)),
            hst.one_of(hst.none(), hst.floats(0, 1000, allow_nan=False)),
        ),
        min_size=1,
        max_size=40,
    ),
    numeric=hst.booleans(),
)
def test_frame_matches_the_scalar_rules(rows, numeric) -> None:
    df = pd.DataFrame(rows, columns=["trust_code", "n", "pct", "median"])
    df["n"] = df["n"].astype("float64")
    out = suppress_frame(
        df,
        counts=["n"],
        statistics={"median": "n"},
        percentages={"pct": (None, "n")},
        numeric=numeric,
    )
    expected = _cell_by_cell(df, numeric)
    for col in ("n", "pct", "median"):
        for got, want in zip(out[col].tolist(), expected[col].tolist()):
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert got is None or (isinstance(got, float) and math.isnan(got)), (col, got, want)
            else:
                assert got == want, (col, got, want)


@pytest.mark.parametrize(
    "n, shown",
    [
        (0, 0),
        (1, "*"),
        (7, "*"),
        (8, 10),
        (12, 10),
        (13, 15),
        (2, "*"),
        (5, "*"),
        (10, 10),
        (17, 15),
        (18, 20),
        (1003, 1005),
    ],
)
def test_count_edges(n, shown):
    assert dc.count(n) == shown
    assert dc.count(n, suppress=False) == n


def test_count_missing_and_negative():
    assert dc.count(None) is None
    assert dc.count(float("nan")) is None
    assert dc.count(-3) == "*"
    assert dc.count(-12) == -10
    assert dc.count(-13) == -15


@pytest.mark.parametrize(
    "base, shown", [(0, 4.5), (1, "*"), (7, "*"), (8, 4.5), (12, 4.5), (13, 4.5)]
)
def test_statistic_on_small_base(base, shown):
    assert dc.statistic(4.5, base) == shown
    assert dc.statistic(4.5, base, suppress=False) == 4.5
    assert dc.statistic(None, base) is None


def test_percentage_from_rounded_numerator_and_denominator():
    assert dc.percentage(12, 13) == round(100 * 10 / 15, 1)  # 66.7, not 92.3
    assert dc.percentage(8, 12) == 100.0  # 10/10
    assert dc.percentage(7, 100) == "*"  # numerator 1-7
    assert dc.percentage(0, 13) == 0.0
    assert dc.percentage(0, 0) is None
    assert dc.percentage(12, 13, suppress=False) == round(100 * 12 / 13, 1)


def test_apply_leaves_network_rows_exact():
    df = pd.DataFrame(
        {
            "trust_code": ["RRK", "NETWORK"],
            "n": [7, 7],
            "d": [13, 13],
            "median": [2.5, 2.5],
            "pct": [53.8, 53.8],
        }
    )
    spec = dc.Spec(counts=("n", "d"), statistics={"median": "n"}, percentages={"pct": ("n", "d")})
    out = dc.protect(df, spec, suppress=True)
    assert out.loc[0].tolist() == ["RRK", "*", 15, "*", "*"]
    assert out.loc[1].tolist() == ["NETWORK", 7, 13, 2.5, 53.8]
    internal = dc.protect(df, spec, suppress=False)
    assert internal.loc[0].tolist() == ["RRK", 7, 13, 2.5, 53.8]


def test_total_is_protected_from_the_exact_sum():
    assert dc.total([3, 3, 3]) == 10  # 9 -> 10, not * + * + *
    assert dc.total([4, 3]) == "*"
