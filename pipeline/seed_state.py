"""Whether the reference tables already hold the seed files as they are now.

A nightly incremental build need not reload the 17 seeds (about a second of dbt work a night
for tables that did not change): dbt's on-run-end hook records a digest of the seed files
after a build that loaded every seed (dbt_project/macros/build_state/seeds_loaded.sql), and the
next build leaves the seeds out when the files still have that digest. Any change to a seed file, a
full refresh or a fresh database loads them all again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
SEEDS_LOADED_TABLE = "build_state.seeds_loaded"


def seeds_digest(seeds_dir: Path = SEEDS_DIR) -> str:
    """One sha256 over every seed file's name and bytes, and their properties (column types)."""
    digest = hashlib.sha256()
    for path in sorted([*seeds_dir.glob("*.csv"), *seeds_dir.glob("*.yml")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def loaded_seeds_digest(restricted_db: Path) -> str | None:
    """The digest the last build that loaded every seed recorded, or None (none recorded, no
    database yet). Opens the database read-only and closes it before dbt opens it to write."""
    if not Path(restricted_db).exists():
        return None
    try:
        with duckdb.connect(str(restricted_db), read_only=True) as con:
            row = con.execute(f"select max(digest) from {SEEDS_LOADED_TABLE}").fetchone()
    except duckdb.Error:  # built before the digest was recorded, or unreadable: load them
        return None
    return row[0] if row else None
