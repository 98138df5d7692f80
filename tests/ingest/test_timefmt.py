"""The bulk fixed-width timestamp parser agrees with the general strict path on any text."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.readers._timefmt import compile_format, parse_canonical, parse_iso
from ingest.readers.timestamps import _parse_naive_general, parse_naive

_MICROSECOND = timedelta(microseconds=1)
FORMATS = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%b-%Y %H:%M", "%Y-%m-%d", "%Y%m%d%H%M%S")


def test_canonical_values_parse_and_impossible_dates_do_not():
    arr = pa.array(
        [
            "2024-02-29 10:00:00",
            "2023-02-29 10:00:00",
            "2024-10-27 01:30:59",
            "2024-1-05 10:00:00",
            None,
        ]
    )
    values, handled = parse_canonical(arr, "%Y-%m-%d %H:%M:%S")
    assert handled.tolist() == [True, False, True, False, False]
    assert values[0] == (datetime(2024, 2, 29, 10) - datetime(1970, 1, 1)) // _MICROSECOND
    parsed, bad = parse_naive(arr, "%Y-%m-%d %H:%M:%S")
    assert bad.tolist() == [False, True, False, False, False]  # Python's strptime accepts '1'
    assert parsed[3].as_py() == datetime(2024, 1, 5, 10)


def test_formats_that_are_not_fixed_width_use_the_general_path():
    assert compile_format("%d/%m/%y") is None
    assert compile_format("%I:%M %p") is None
    assert compile_format("%Y-%m-%d") is not None


def _mutate(text: str, pos: int, char: str) -> str:
    pos %= len(text) + 1
    return text[:pos] + char + text[pos + 1 :]


values = st.builds(
    lambda d, fmt_i, pos, char, mutate: (
        _mutate(d.strftime(FORMATS[fmt_i]), pos, char) if mutate else d.strftime(FORMATS[fmt_i]),
        FORMATS[fmt_i],
    ),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    st.integers(0, len(FORMATS) - 1),
    st.integers(0, 20),
    st.sampled_from(list("0123456789/-: TxMmarFeb")),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, min_size=1, max_size=20))
def test_bulk_parse_equals_general_strict_parse(cases):
    for fmt in FORMATS:
        arr = pa.array([v for v, f in cases if f == fmt] or ["x"], pa.string())
        fast, fast_bad = parse_naive(arr, fmt)
        slow, slow_bad = _parse_naive_general(arr, fmt)
        assert fast_bad.tolist() == slow_bad.tolist()
        assert fast.to_pylist() == slow.to_pylist()


ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def test_iso_layouts_are_parsed_whole_when_every_value_fits():
    """A column whose every value has an ISO layout is cast by Arrow in one go; one value it
    cannot take (31 February, hour 24, second 60, year 0, another layout) sends the column
    to the value-by-value path, which rejects only that value."""
    good = ["2024-02-29 10:00:00", None, "2024-10-27 01:30:59", "0001-01-01 00:00:00"]
    whole = parse_iso(pa.array(good), "%Y-%m-%d %H:%M:%S")
    assert whole.to_pylist() == [
        datetime(2024, 2, 29, 10),
        None,
        datetime(2024, 10, 27, 1, 30, 59),
        datetime(1, 1, 1),
    ]
    assert parse_iso(pa.array(["2024-02-29"]), "%Y-%m-%d").to_pylist() == [datetime(2024, 2, 29)]
    assert parse_iso(pa.array(["29/02/2024"]), "%d/%m/%Y") is None  # not an ISO layout
    for odd in (
        "2023-02-29 10:00:00",
        "2024-01-01 24:00:00",
        "2024-01-01 23:59:60",
        "0000-01-01 00:00:00",
        "2024-01-01T10:00:00",
        "2024-01-0a 10:00:00",
        "2024-01-01 10:00",
    ):
        assert parse_iso(pa.array(good + [odd]), "%Y-%m-%d %H:%M:%S") is None, odd
        parsed, bad = parse_naive(pa.array(good + [odd]), "%Y-%m-%d %H:%M:%S")
        assert parsed.to_pylist()[:4] == whole.to_pylist(), odd
        assert bad.tolist()[:4] == [False] * 4, odd


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
        ),
        min_size=1,
    ),
    st.sampled_from(ISO_FORMATS),
    st.integers(0, 18),
    st.sampled_from(list("0912:-T x")),
    st.booleans(),
)
def test_iso_bulk_parse_equals_general_strict_parse(times, fmt, pos, char, mutate):
    texts = [None if t is None else t.strftime(fmt) for t in times]
    if mutate and texts[0] is not None:
        texts[0] = _mutate(texts[0], pos, char)
    arr = pa.array(texts, pa.string())
    fast, fast_bad = parse_naive(arr, fmt)
    slow, slow_bad = _parse_naive_general(arr, fmt)
    assert fast_bad.tolist() == slow_bad.tolist()
    assert fast.to_pylist() == slow.to_pylist()
