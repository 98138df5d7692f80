"""Arbitrary and mutated bytes to every reader: never an uncaught exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.contract import FILE_QUARANTINE_REASONS
from ingest.feeds.spec import load_spec
from ingest.readers import QuarantineError, read_file
from tests.ingest.conftest import FIX

SPECS = {p.stem: load_spec(p) for p in (FIX / "specs").glob("*.yml")}
SEEDS = [
    ("TWC", "exams", FIX / "wide_csv/TWC_EXAMS_20241029_0200.csv"),
    ("TEV", "exams", FIX / "event_csv/tev_events_202403070200.txt"),
    ("TEV", "slots", FIX / "event_csv/tev_slots_202403080200.txt"),
    ("THL", "exams", FIX / "hl7v2/THL_20241029020000.hl7"),
    ("TXL", "exams", FIX / "excel/TXL_20240304-0200.xlsx"),
    ("TTD", "exams", FIX / "wide_csv/TTD_20241028_0200.csv"),
]


def _check(code, content, data, tmp="/tmp/x"):
    try:
        res = read_file(FIX / "dummy", SPECS[code], content, data=data, file_path="fuzz")
    except QuarantineError as q:
        assert q.reason in FILE_QUARANTINE_REASONS
        return
    assert res.rows_read == res.rows_loaded + res.rows_rejected


@st.composite
def mutated(draw):
    code, content, path = draw(st.sampled_from(SEEDS))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            data = data[:i]
        elif op == "insert":
            data[i:i] = (
                draw(st.binary(min_size=1, max_size=8)) | st.just(b"")
                if False
                else draw(
                    st.sampled_from(
                        [b'"', b",", b"|", b"\r", b"\n", b"\x00", b"\xff", b"\\", b"^~"]
                    )
                )
            )
        else:
            del data[i : i + draw(st.integers(1, 20))]
    return code, content, bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_bytes(case):
    _check(*case)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SEEDS), st.binary(max_size=400))
def test_arbitrary_bytes(seed, data):
    _check(seed[0], seed[1], data)
