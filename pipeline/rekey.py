"""`wmin rekey`: change the pseudonymisation key of a restricted database on purpose (e.g. from the
demo key to a real one on the same home).

A re-key is possible because landing keeps the NHS numbers: every patient_key is made again
from them under the new key. The models built from the old pseudonyms are dropped in the same
transaction, so the next nightly run builds them all afresh from landing; nothing is left keyed
one way and the rest the other, even if the command is killed part way. The published database
keeps the old pseudonyms until that run publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ingest.key_fingerprint import fingerprint, record_key, recorded_fingerprint
from ingest.pseudonym import patient_keys

KEPT_SCHEMAS = {"landing", "pipeline"}  # deliveries and run history; every other schema is dbt's
_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog"}


class RekeyError(Exception):
    """A re-key that cannot run; the message says why and what to do."""


@dataclass
class RekeyResult:
    exam_records: int
    patients: int
    dropped: list[str]
    old_fingerprint: str | None
    new_fingerprint: str

    def render(self) -> str:
        old = self.old_fingerprint[:12] if self.old_fingerprint else "not recorded"
        return (
            f"re-keyed {self.patients:,} patients in {self.exam_records:,} exam records "
            f"(key fingerprint {old} -> {self.new_fingerprint[:12]}); dropped the models built "
            f"with the old key ({len(self.dropped)} relations): run `wmin nightly` with the new "
            "key to rebuild and publish them"
        )


def rekey(restricted_db: Path, new_key: bytes) -> RekeyResult:
    """Make every landing patient_key again under `new_key`, record its fingerprint and drop the
    dbt relations, in one transaction. The caller holds the nightly's lock."""
    if not Path(restricted_db).exists():
        raise RekeyError(
            f"{restricted_db} does not exist: there is nothing to re-key (a first "
            "`wmin nightly` with the new key records it)"
        )
    with duckdb.connect(str(restricted_db)) as con:
        old = recorded_fingerprint(con)
        new = fingerprint(new_key)
        if old == new:
            raise RekeyError("the new key is the key the warehouse already has; nothing to do")
        try:
            numbers = con.execute(
                "select distinct nhs_number from landing.exam_records where nhs_number is not null"
            ).df()["nhs_number"]
        except duckdb.CatalogException:
            raise RekeyError(
                f"{restricted_db} holds no landing tables: nothing to re-key"
            ) from None
        mapping = pd.DataFrame(
            {
                "nhs_number": numbers.astype(object),
                "patient_key": patient_keys(numbers.astype(object), new_key),
            }
        )
        con.register("_rekey_map", mapping)
        con.execute("begin transaction")
        try:
            n_records = con.execute(
                "update landing.exam_records r set patient_key = m.patient_key from _rekey_map m "
                "where r.nhs_number = m.nhs_number"
            ).fetchone()[0]
            dropped = _drop_models(con)
            record_key(con, new_key, replace=True)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            con.unregister("_rekey_map")
        patients = int(mapping["patient_key"].notna().sum())
    return RekeyResult(n_records, patients, dropped, old, new)


def _drop_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop every relation outside the kept schemas (the models, seeds and build state of dbt)."""
    rows = con.execute(
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    dropped = []
    for schema, name, kind in rows:
        if schema in KEPT_SCHEMAS or schema in _SYSTEM_SCHEMAS:
            continue
        what = "view" if kind == "VIEW" else "table"
        con.execute(f'drop {what} if exists "{schema}"."{name}" cascade')
        dropped.append(f"{schema}.{name}")
    return sorted(dropped)
