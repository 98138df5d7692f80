"""Patient pseudonym: hex HMAC-SHA256(key, 10-digit NHS number). The caller passes the key."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd


def patient_key(nhs_number: str | None, key: bytes) -> str | None:
    """The pseudonym of one normalised NHS number (None for a missing or non-10-digit value)."""
    if not nhs_number or len(nhs_number) != 10 or not nhs_number.isdigit():
        return None
    if not key:
        raise ValueError("pseudonym key is empty: pass the key bytes from the settings")
    return hmac.digest(key, nhs_number.encode("ascii"), hashlib.sha256).hex()


def patient_keys(values: pd.Series, key: bytes) -> pd.Series:
    """Vectorised over the distinct numbers of a column (one HMAC per distinct number)."""
    if not key:
        raise ValueError("pseudonym key is empty: pass the key bytes from the settings")
    s = pd.Series(values, dtype="object")
    uniq = s.dropna().unique()
    table = {v: patient_key(v, key) for v in uniq}
    return s.map(table).astype("object")
