"""The bulk shortcuts of the readers agree with the plain per-value definitions they replace."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import nhs
from ingest.readers import _csv, read_file
from ingest.readers.excel import _strptime_many, _text, _texts
from tests.ingest.conftest import FIX


def _repeats_exact(buf: bytes, starts: np.ndarray, kept: np.ndarray) -> np.ndarray:
    bounds = np.append(starts, len(buf))  # a line's bytes run to the next line's start
    seen: set[bytes] = set()
    out = []
    for line in (buf[bounds[i] : bounds[i + 1]] for i in kept):
        out.append(line in seen)
        seen.add(line)
    return np.array(out, dtype=bool)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"",
                b"a",
                b"a,b",
                b"0" * 15,
                b"0" * 16,
                b"1" * 16,
                b"x" * 17,
                b"abcdefgh" * 5,
                b"abcdefgh" * 4 + b"abcdefgX",
                b"a,b\r",
            ]
        ),
        min_size=1,
        max_size=40,
    ),
    st.data(),
)
def test_repeats_match_exact_comparison(lines, data):
    buf = b"\n".join(lines) + b"\n"
    arr = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10).astype(np.int64)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    kept = np.array(sorted(data.draw(st.sets(st.integers(0, len(starts) - 1)))), dtype=np.int64)
    got = _csv._repeats(buf, arr, starts, ends, kept)
    assert got.tolist() == _repeats_exact(buf, starts, kept).tolist()


def test_whole_file_parse_rejects_the_same_lines_as_line_counting(specs):
    """A file without quotes takes the whole-buffer pyarrow parse; a quote anywhere forces the
    per-line accounting. Both give the same rows and rejects."""
    src = (FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv").read_bytes().replace(b'"', b"")
    lines = src.split(b"\n")
    lines[3] = lines[3] + b",extra"  # one field too many
    lines[5] = lines[5].rsplit(b",", 2)[0]  # two fields short
    plain = b"\n".join(lines)
    quoted = plain.replace(b"Chest X-ray", b'"Chest X-ray"', 1)
    assert b'"' not in plain and b'"' in quoted
    a = read_file(FIX / "x.csv", specs["TWC"], data=plain, file_path="x")
    b = read_file(FIX / "x.csv", specs["TWC"], data=quoted, file_path="x")
    assert a.rejected[["line", "reason_code"]].values.tolist() == [
        [4, "wrong_column_count"],
        [6, "wrong_column_count"],
    ]
    pd.testing.assert_frame_equal(a.rejected, b.rejected)
    pd.testing.assert_frame_equal(a.exam_records, b.exam_records)
    pd.testing.assert_frame_equal(a.exam_events, b.exam_events)


_NHS_TEXT = st.one_of(
    st.none(),
    st.text("0123456789", min_size=10, max_size=10),
    st.text("0123456789 a\u0663\u00e9", max_size=11),
)


@given(st.lists(_NHS_TEXT, max_size=30))
def test_nhs_valid_mask_arrow_equals_objects(values):
    expected = nhs._valid_mask_objects(pd.Series(values, dtype=object))
    assert nhs.valid_mask(pa.array(values, pa.string())).tolist() == expected.tolist()
    assert nhs.valid_mask(pd.Series(values, dtype=object)).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.datetimes(min_value=datetime(1, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y %H:%M")),
            st.text("0123456789/: -", max_size=17),
        ),
        max_size=20,
    )
)
def test_excel_bulk_strptime_equals_strptime(texts):
    fmt = "%d/%m/%Y %H:%M"
    expected = []
    for t in texts:
        try:
            expected.append(datetime.strptime(t, fmt))
        except ValueError:
            expected.append(None)
    assert _strptime_many(texts, fmt) == expected


@given(
    st.lists(
        st.one_of(st.none(), st.text(" \t\x1c\x85\xa0\u2003\u3000\u200bxé", max_size=5)),
        max_size=20,
    )
)
def test_excel_bulk_text_equals_text(values):
    assert _texts(values).to_pylist() == [_text(v) for v in values]


def _one_thread_and_pooled(monkeypatch, path, spec, **kwargs):
    """The same file read with the readers' pool off, then on for any size."""
    from ingest.readers import _pool

    monkeypatch.setattr(_pool, "PARALLEL_MIN_ROWS", 10**9)
    one = read_file(path, spec, **kwargs)
    monkeypatch.setattr(_pool, "PARALLEL_MIN_ROWS", 0)
    return one, read_file(path, spec, **kwargs)


def test_pooled_wide_build_equals_the_single_thread_one(specs, monkeypatch):
    """A big wide file is built partly on a thread pool (timestamps, the records frame); the
    result, rejects and their order included, is the one-thread build's. The fixture with
    broken rows is used, so rejects from several columns meet."""
    one, pooled = _one_thread_and_pooled(
        monkeypatch, FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv", specs["TWC"]
    )
    assert one.rows_rejected > 0 and len(one.exam_events) > 0
    pd.testing.assert_frame_equal(one.rejected, pooled.rejected)
    pd.testing.assert_frame_equal(one.exam_records, pooled.exam_records)
    pd.testing.assert_frame_equal(one.exam_events, pooled.exam_events)
    assert one.field_parse == pooled.field_parse


def test_early_repeats_on_the_pool_equal_the_one_thread_ones(specs, monkeypatch):
    """A clean file's repeated lines are found on the pool while pyarrow parses; a file with a
    rejected line falls back to finding them after. Both flag the same rows as the one-thread
    read."""
    clean = (FIX / "wide_csv/TWC_EXAMS_20241028_0200.csv").read_bytes()
    lines = clean.rstrip(b"\n").split(b"\n")
    repeated = b"\n".join(lines + [lines[2]]) + b"\n"
    broken = b"\n".join(lines + [lines[2], lines[3] + b",extra"]) + b"\n"
    for data in (repeated, broken):
        one, pooled = _one_thread_and_pooled(
            monkeypatch, FIX / "x.csv", specs["TWC"], data=data, file_path="x"
        )
        assert one.exam_records["dq_flags"].fillna("").str.contains("duplicate_row").sum() == 1
        pd.testing.assert_frame_equal(one.exam_records, pooled.exam_records)
        pd.testing.assert_frame_equal(one.rejected, pooled.rejected)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([10, 13, 44, 34]), st.integers(1, 700))
def test_byte_positions_by_blocks_equal_one_mask(data, byte, step):
    arr = np.frombuffer(data, dtype=np.uint8)
    old = _csv._POSITIONS_STEP
    try:
        _csv._POSITIONS_STEP = step  # blocks smaller than the data, so their seams are crossed
        got = _csv._positions(arr, byte)
    finally:
        _csv._POSITIONS_STEP = old
    assert got.dtype == np.int64 and got.tolist() == np.flatnonzero(arr == byte).tolist()


def _times(*values):
    return np.array([np.datetime64(v, "us") if v else np.datetime64("NaT", "us") for v in values])


def _unpivot_by_row(tnp, appointment, actors, keep):
    """The definition: for each kept exam in file order, each event type sent, in workflow
    order, with the exam's appointment on booked and its reporter on the report."""
    rows = []
    for i in np.flatnonzero(keep):
        for ev, at in tnp.items():
            if np.isnat(at[i]):
                continue
            rows.append(
                (
                    f"A{i}",
                    ev,
                    at[i],
                    appointment[i] if ev == "booked" else None,
                    actors[ev][i] if ev in actors else None,
                )
            )
    return rows


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[st.booleans()] * 6), min_size=1, max_size=12))
def test_wide_events_are_the_row_by_row_unpivot_in_exam_order(exams):
    """The exam-by-event matrix unpivot gives exactly the row-by-row definition's rows, in
    its order (exam, then workflow), with values sent once per exam on their event's row."""
    from ingest.readers.wide_csv import _unpivot_events

    n = len(exams)
    events = ("requested", "booked", "reported_prelim", "report_verified")
    tnp = {
        ev: _times(
            *[f"2024-01-0{j + 1}T1{i % 10}:00" if e[j] else None for i, e in enumerate(exams)]
        )
        for j, ev in enumerate(events)
    }
    keep = np.array([e[4] for e in exams])
    appointment = pa.array(
        [datetime(2024, 2, 1, i % 24) if e[5] else None for i, e in enumerate(exams)],
        pa.timestamp("us", tz="UTC"),
    )
    reporters = {ev: pa.array([f"{ev}-{i}" for i in range(n)]) for ev in events[2:]}
    amb = {f"{ev}_at": np.zeros(n, dtype=bool) for ev in tnp}
    got = _unpivot_events(
        pa.array([f"A{i}" for i in range(n)]),
        np.arange(2, n + 2),
        tnp,
        appointment,
        amb,
        keep,
        reporters,
        {},
    ).to_pylist()
    want = _unpivot_by_row(
        tnp, appointment.to_pylist(), {ev: r.to_pylist() for ev, r in reporters.items()}, keep
    )
    assert [
        (
            r["accession"],
            r["event"],
            np.datetime64(r["event_at"].replace(tzinfo=None), "us"),
            r.get("appointment_at"),
            r.get("actor_id"),
        )
        for r in got
    ] == want
    assert [r["source_line"] for r in got] == [int(a[1:]) + 2 for a, *_ in want]


def _localise_one(value: datetime | None, tz: str) -> tuple[datetime | None, bool]:
    """The definition, value by value: the zone's reading of a wall-clock time, the first
    (summer) one in the repeated autumn hour, shifted forward out of the spring gap."""
    if value is None:
        return None, False
    ts = pd.Timestamp(value)
    try:
        ts.tz_localize(tz, ambiguous="raise", nonexistent="shift_forward")
        ambiguous = False
    except Exception:  # noqa: BLE001 -pytz.AmbiguousTimeError
        ambiguous = True
    utc = ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
    return utc.to_pydatetime(), ambiguous


def _times_near(*changes: datetime):
    """Wall-clock times near a zone's changes of the clocks, or anywhere, many missing."""
    near = [
        st.datetimes(min_value=c - timedelta(hours=2), max_value=c + timedelta(hours=2))
        for c in changes
    ]
    return st.one_of(
        st.none(),
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)),
        *near,
    )


# London changes by an hour on the hour; Lord Howe by half an hour (at 02:00 both ways)
_ZONES = {
    "Europe/London": _times_near(datetime(2024, 3, 31, 1), datetime(2024, 10, 27, 1)),
    "Australia/Lord_Howe": _times_near(datetime(2024, 4, 7, 2), datetime(2024, 10, 6, 2)),
}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(_ZONES)).flatmap(
        lambda tz: st.tuples(st.just(tz), st.lists(_ZONES[tz], max_size=30))
    )
)
def test_localise_equals_the_value_by_value_reading(case):
    """Mostly-missing columns are localised on their values alone, the others whole, by the
    hour where the clocks do not change; all give each value's own reading and ambiguity."""
    from ingest.readers.base import localise

    tz, values = case
    values = [None if v is None else v.replace(microsecond=0) for v in values]
    utc, amb = localise(pa.array(values, pa.timestamp("us")), tz)
    want = [_localise_one(v, tz) for v in values]
    assert utc.to_pylist() == [u for u, _ in want]
    assert amb.tolist() == [a for _, a in want]
