from datetime import datetime

import pyarrow as pa

from ingest import nhs, quirks
from ingest.pseudonym import patient_key
from ingest.readers import read_file
from tests.ingest.conftest import FIX


def test_nhs_number_spaces():
    assert quirks.nhs_number_spaces(pa.array(["943 476 5919", None])).to_pylist() == [
        "9434765919",
        None,
    ]


def test_trailing_delimiter(specs):
    assert quirks.trailing_delimiter(["a", "b", ""]) == ["a", "b"]
    res = read_file(FIX / "wide_csv/TTD_20241028_0200.csv", specs["TTD"])
    assert res.rows_read == 3 and res.rows_rejected == 0


def test_excel_serial_dates():
    assert quirks.excel_serial_dates([45352.5, None, "x"]) == [datetime(2024, 3, 1, 12), None, "x"]


def test_uppercase_codes():
    assert quirks.uppercase_codes(pa.array(["xches"])).to_pylist() == ["XCHES"]


def test_hl7_repeat_nhs_in_pid3():
    pid3 = [
        "M1^^^RXK^MR~9434765919^^^NHS^NH",
        "M1^^^RXK^MR",
        "M2^^^nhs~9434765919^^^NHS",  # the first repetition NHS assigned, in any case
        "^^^NHS^NH~9434765919^^^^NH",  # the first NHS one has no identifier: none
        "",
        None,
    ]
    got = quirks.hl7_repeat_nhs_in_pid3(pa.array(pid3)).to_pylist()
    assert got == ["9434765919", None, "M2", None, None, None]
    assert quirks.hl7_repeat_nhs_in_pid3(pa.array(["a#b|c|d|NHS"]), "#", "|").to_pylist() == ["b"]


def test_nhs_rules():
    assert nhs.is_valid("9434765919")
    assert not nhs.is_valid("9434765918")  # check digit
    assert not nhs.is_valid("1234554321")  # reversed halves
    assert not nhs.is_valid("12345")


def test_nhs_valid_mask_agrees_with_the_nhs_number_package():
    """The vectorised check against an independent implementation (mod 11); the package does
    not know NHS England's reversed-halves rule, so that is added to its answer."""
    import random

    import nhs_number

    rng = random.Random(11)
    values = [str(rng.randint(4 * 10**9, 10**10 - 1)) for _ in range(5000)]  # outside CHI's range
    values += ["1234554321", "4010232137"]
    theirs = [nhs_number.is_valid(v) and v[:5] != v[5:][::-1] for v in values]
    assert nhs.valid_mask(pa.array(values)).tolist() == theirs
    assert sum(theirs) > 100  # enough valid numbers among them to mean something


def test_pseudonym():
    import hashlib
    import hmac

    assert (
        patient_key("9434765919", b"k") == hmac.new(b"k", b"9434765919", hashlib.sha256).hexdigest()
    )
    assert patient_key(None, b"k") is None
