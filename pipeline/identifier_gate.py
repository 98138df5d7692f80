"""The identifier gate: nothing that identifies a patient reaches the published database.

A published table must have no column named like a direct identifier, and no text value that
passes the NHS number check (modulus 11) or looks like a full postcode. Publish runs the gate on
every row it writes into the new file before the rename; rows it keeps from the previous file
passed this same gate then (`gate_version` says which code checked them).
"""

from __future__ import annotations

import hashlib
import inspect
import re
import sys

import duckdb

# Columns that must never reach the published database, whatever a model calls them.
FORBIDDEN_COLUMNS = re.compile(
    r"^(nhs_number|nhs_no|birth_date|date_of_birth|dob|postcode|accession|accession_number|"
    r"patient_name|forename|surname|family_name|given_name|mrn)$",
    re.IGNORECASE,
)
FULL_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"


def gate_version() -> str:
    """sha256 of this module's code: rows checked by another version of the gate are checked
    again."""
    return hashlib.sha256(inspect.getsource(sys.modules[__name__]).encode()).hexdigest()


def register_nhs_check(con: duckdb.DuckDBPyConnection) -> None:
    """`wmin_nhs_valid(text)` on `con`: the NHS number's modulus 11 check digit."""

    def valid(s: str | None) -> bool:
        if s is None or len(s) != 10 or not s.isdigit():
            return False
        total = sum(int(d) * w for d, w in zip(s[:9], range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        return check != 10 and check == int(s[9])

    con.create_function("wmin_nhs_valid", valid, ["VARCHAR"], "BOOLEAN", null_handling="special")


def column_findings(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Every column of `catalog` named like a direct identifier."""
    cols = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    return [
        f"{table}.{column}: a direct identifier column"
        for table, column in cols
        if FORBIDDEN_COLUMNS.match(column)
    ]


def value_findings(
    con: duckdb.DuckDBPyConnection, table: str, rows_sql: str, text_columns: list[str]
) -> list[str]:
    """The text values of `rows_sql` (the rows of published table `table`) that pass the NHS
    number check or look like full postcodes, counted in one scan. Needs register_nhs_check."""
    if not text_columns:
        return []
    counts = []
    for column in text_columns:
        c = f'"{column}"'
        # a length test first, as CASE so that DuckDB runs the regex (and the Python NHS
        # check) only on values of the right length: most values (codes, keys) leave at once
        counts += [
            (
                f"count(*) filter (where case when length({c}) = 10 then case when "
                f"regexp_full_match({c}, '[0-9]{{10}}') then wmin_nhs_valid({c}) end end)"
            ),
            (
                f"count(*) filter (where case when length({c}) between 5 and 8 then "
                f"regexp_full_match(upper({c}), '{FULL_POSTCODE}') end)"
            ),
        ]
    row = con.execute(f"select {', '.join(counts)} from ({rows_sql}) as checked").fetchone()
    findings = []
    for i, column in enumerate(text_columns):
        nhs_like, postcodes = row[2 * i], row[2 * i + 1]
        if nhs_like:
            findings.append(f"{table}.{column}: {nhs_like} value(s) pass the NHS number check")
        if postcodes:
            findings.append(f"{table}.{column}: {postcodes} value(s) look like full postcodes")
    return findings


def text_columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    """The VARCHAR columns of `catalog`.main.`table`, in order."""
    return [
        name
        for name, dtype in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = ? and table_name = ? order by ordinal_position",
            [catalog, table],
        ).fetchall()
        if dtype.upper() == "VARCHAR"
    ]
