"""Which pseudonymisation key a restricted database was built with, and a check against another.

The database records a fingerprint of the key, never the key: HMAC-SHA256 of a fixed label under
the key. It tells keys apart and reveals nothing of them. A load with a different key would give
the same NHS number a second patient_key and break "each patient once" counting, so it stops
before anything is written. A database built before the fingerprint was recorded is judged by
its own pseudonyms: landing keeps the NHS numbers, so a few stored patient_keys are recomputed.
"""

from __future__ import annotations

import hmac
from pathlib import Path

import duckdb

from ingest.pseudonym import patient_key

KEY_TABLE = "landing.pseudonym_key"
_LABEL = b"wmin pseudonymisation key fingerprint v1"
_LEGACY_SAMPLE = 20  # stored pseudonyms recomputed to judge a database without a fingerprint


class KeyMismatch(Exception):
    """The key in the settings is not the one the database was built with."""


def fingerprint(key: bytes) -> str:
    return hmac.digest(key, _LABEL, "sha256").hex()


def _short(fp: str) -> str:
    return fp[:12]


def recorded_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute(f"select max(fingerprint) from {KEY_TABLE}").fetchone()  # one row
    except duckdb.CatalogException:  # no table yet: a new database, or one built before it
        return None
    return row[0] if row else None


def mismatch_message(db: Path | str, recorded: str | None, key: bytes) -> str:
    which = (
        f"fingerprint {_short(recorded)}, this key's is {_short(fingerprint(key))}"
        if recorded
        else "no fingerprint recorded, and its stored pseudonyms do not match this key"
    )
    return (
        f"{db} was built with another pseudonymisation key ({which}); nothing was written. "
        "Set WMIN_PSEUDONYM_KEY or "
        "WMIN_PSEUDONYM_KEY_FILE to the key the warehouse was built with, or change keys on purpose "
        "with `wmin rekey --new-key-file PATH` (docs/pseudonymisation.md)"
    )


def check_key(con: duckdb.DuckDBPyConnection, key: bytes, db: Path | str) -> None:
    """Raise KeyMismatch unless `key` is the key the database's pseudonyms were made with."""
    recorded = recorded_fingerprint(con)
    if recorded is not None:
        if not hmac.compare_digest(recorded, fingerprint(key)):
            raise KeyMismatch(mismatch_message(db, recorded, key))
        return
    try:  # built before the fingerprint was recorded: its pseudonyms tell
        sample = con.execute(
            "select nhs_number, patient_key from landing.exam_records where "
            f"patient_key is not null limit {_LEGACY_SAMPLE}"
        ).fetchall()
    except duckdb.CatalogException:
        return
    for nhs_number, stored in sample:
        if patient_key(nhs_number, key) != stored:
            raise KeyMismatch(mismatch_message(db, None, key))


def check_database(db_path: Path, key: bytes) -> None:
    """`check_key` on a database file, opened read-only (nothing to check when there is none)."""
    if not Path(db_path).exists():
        return
    with duckdb.connect(str(db_path), read_only=True) as con:
        check_key(con, key, db_path)


def record_key(con: duckdb.DuckDBPyConnection, key: bytes, replace: bool = False) -> None:
    """Record the key's fingerprint if none is (or, re-keying, in place of the old one)."""
    con.execute(f"create table if not exists {KEY_TABLE} (fingerprint VARCHAR)")
    if replace:
        con.execute(f"delete from {KEY_TABLE}")
    elif recorded_fingerprint(con) is not None:
        return
    con.execute(f"insert into {KEY_TABLE} (fingerprint) values (?)", [fingerprint(key)])
