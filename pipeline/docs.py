"""The warehouse's data docs for planners: `dbt docs generate --static` into home/reports/.

dbt writes one self-contained page, `static_index.html`, with the manifest (every model's
description, column descriptions, tests, lineage and compiled SQL) and the catalog (each
relation's columns and their types, read from the restricted database) embedded in it. It is
copied to `reports/warehouse_docs.html` (DESIGN.md: `reports/` holds the data docs) through a
temporary file and a rename, so a reader never sees half a page. Before it is copied, the
published models are renamed in the page's manifest and catalog from the restricted database's
`restricted.main.<name>` to the names a planner types on the published database
(`analytics.main.<name>`, or just `<name>`); the page opens on the project's `__overview__` docs
block (dbt_project/models/_overview.md), written for planners.

What the page holds is schema metadata and code, never data: dbt-duckdb's catalog
(`duckdb__get_catalog` in dbt/include/duckdb/macros/catalog.sql) reads only
`duckdb_tables()`, `duckdb_views()` and `duckdb_columns()` - names, types, comments - and
reports no table statistics (its `stats` hold only dbt's placeholder `has_stats: false`: no row
counts, no min/max, no sample rows). The manifest holds the project's own text: SQL,
descriptions, and the hand-typed synthetic rows of the dbt unit tests. It does describe the
restricted models too (staging, `dids_records`): their names, columns and types, no values.

Generating costs a dbt parse, a compile of every node and a catalog query (whatever the size of
the data; docs/benchmarks.md), so `update_docs` regenerates only when the page
could have changed: when it is missing, when the dbt project's files (its top-level files and
the folders of dbt_project.yml's `*-paths`, plus seeds/*.yml, the seeds' properties) or the dbt
version differ from those recorded beside the page (`warehouse_docs.json`), or when the
restricted database's relations and column types differ (the first build after the docs, a
full refresh that adds a column). The as-of date in the compiled SQL is not a reason: the page
shows the SQL as of its last generation.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from exports.atomic import write_atomically
from pipeline.build import DBT_PROJECT_DIR, _dbt_invocation, _environment, _release_duckdb
from pipeline.publish import published_relations

DOCS_FILE = "warehouse_docs.html"
STAMP_FILE = "warehouse_docs.json"
# dbt's artifacts of the docs run, apart from the build's (dbt_project/target): the build's
# manifest (read by publish) and partial-parse state stay as the build left them
DEFAULT_DOCS_TARGET_DIR = DBT_PROJECT_DIR / "target" / "docs"
SEEDS_DIR = DBT_PROJECT_DIR.parent / "seeds"

# schemas the pipeline (not dbt) writes: runs, quality-gate results, test watermarks
_NON_DBT_SCHEMAS = ("pipeline", "build_state")
# DuckDB names a database after its file: planners open warehouse/analytics.duckdb
# (Settings.analytics_db), where publish copies each published model into `main`
PUBLISHED_DATABASE, PUBLISHED_SCHEMA = "analytics", "main"


class DocsError(Exception):
    """The docs could not be generated; the previous page (if any) is left as it was."""


@dataclass
class DocsResult:
    path: Path
    regenerated: bool
    reason: str  # why it was (or was not) regenerated
    seconds: float = 0.0


def _dbt_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("dbt-core", "dbt-duckdb"):
        try:
            parts.append(f"{package}=={version(package)}")
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            parts.append(f"{package}==?")
    return " ".join(parts)


def _project_files() -> list[Path]:
    """The files dbt reads: the project's top-level files and its source folders (the
    `*-paths` of dbt_project.yml). Anything else under dbt_project/ (dbt's target/ and logs/, a
    scratch home someone left there) does not change the page."""
    files = [p for p in DBT_PROJECT_DIR.iterdir() if p.is_file() and not p.name.startswith(".")]
    for folder in _source_folders():
        for path in folder.rglob("*"):
            rel = path.relative_to(folder)
            if path.is_file() and not any(
                p.startswith(".") or p == "__pycache__" for p in rel.parts
            ):
                files.append(path)
    files += [p for p in SEEDS_DIR.glob("*.yml") if p.is_file()]
    return sorted(files)


_SOURCE_PATHS = ("model-paths", "macro-paths", "test-paths", "analysis-paths", "snapshot-paths",
                 "docs-paths")  # fmt: skip
_DEFAULT_SOURCE_FOLDERS = ("models", "macros", "tests", "analyses", "snapshots")


def _source_folders() -> list[Path]:
    """dbt_project.yml's source folders inside the project (seeds: SEEDS_DIR's properties)."""
    import yaml

    config = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    named = [f for key in _SOURCE_PATHS for f in (config or {}).get(key) or ()]
    # dbt's defaults stand for the keys the project leaves out
    folders = {(DBT_PROJECT_DIR / f).resolve() for f in (*named, *_DEFAULT_SOURCE_FOLDERS)}
    root = DBT_PROJECT_DIR.resolve()
    return sorted(f for f in folders if f.is_dir() and f.is_relative_to(root))


def project_hash() -> str:
    """sha256 over the dbt project's files (relative path and bytes) and the dbt version."""
    h = hashlib.sha256(_dbt_version().encode())
    root = DBT_PROJECT_DIR.parent
    for path in _project_files():
        h.update(b"\0" + str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def schema_hash(restricted_db: Path) -> str:
    """sha256 over the restricted database's relations and column types (what the catalog shows)."""
    try:
        with duckdb.connect(str(restricted_db), read_only=True) as con:
            rows = con.execute(
                "select schema_name, table_name, column_name, data_type from duckdb_columns() "
                "where database_name = current_database() and not internal "
                f"and schema_name not in ({', '.join('?' for _ in _NON_DBT_SCHEMAS)}) "
                "and not contains(table_name, '__dbt_tmp') "
                "and not contains(table_name, '__dbt_backup') "
                "order by schema_name, table_name, column_index",
                list(_NON_DBT_SCHEMAS),
            ).fetchall()
    except duckdb.Error as e:
        raise DocsError(
            f"cannot read {restricted_db} ({type(e).__name__}: {e}); is a nightly run writing it?"
        ) from None
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def read_stamp(out_dir: Path) -> dict | None:
    try:
        return json.loads((Path(out_dir) / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stale_reason(restricted_db: Path, out_dir: Path) -> str | None:
    """Why the docs in `out_dir` must be regenerated, or None when they are up to date."""
    page = Path(out_dir) / DOCS_FILE
    stamp = read_stamp(out_dir)
    if not page.exists():
        return "missing"
    if stamp is None:
        return "no record of what the docs were generated from"
    if stamp.get("project_sha256") != project_hash():
        return "dbt project changed"
    if stamp.get("schema_sha256") != schema_hash(restricted_db):
        return "warehouse schema changed"
    return None


def show_published_names(
    manifest: dict, catalog: dict, published: list[tuple[str, str, str]]
) -> int:
    """Rename the published models in dbt's manifest and catalog (in place) to the relations a
    planner queries: database `analytics`, schema `main`, the published name; return how many.

    `published` is publish's list of (schema, relation, published name), so the page follows
    the same rule as the publish step. The restricted models keep their restricted names.
    """
    by_relation = {(schema, relation): name for schema, relation, name in published}
    renamed = 0
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") != "model":
            continue
        name = by_relation.get((node.get("schema"), node.get("alias") or node.get("name")))
        if name is None:
            continue
        node.update(
            database=PUBLISHED_DATABASE,
            schema=PUBLISHED_SCHEMA,
            alias=name,
            relation_name=f'"{PUBLISHED_DATABASE}"."{PUBLISHED_SCHEMA}"."{name}"',
        )
        entry = catalog.get("nodes", {}).get(uid)
        if entry is not None:
            entry["metadata"].update(
                database=PUBLISHED_DATABASE, schema=PUBLISHED_SCHEMA, name=name
            )
        renamed += 1
    return renamed


def _with_published_names(static: Path, target: Path) -> str:
    """The static page's text with the published models under their published names.

    dbt's static page is its docs template with manifest.json and catalog.json pasted in as
    written, so each is found by its exact text and replaced by the renamed JSON.
    """
    text = static.read_text(encoding="utf-8")
    manifest_text = (target / "manifest.json").read_text(encoding="utf-8")
    catalog_text = (target / "catalog.json").read_text(encoding="utf-8")
    if text.count(manifest_text) != 1 or text.count(catalog_text) != 1:
        raise DocsError(
            f"{static}: the manifest and catalog are not embedded as dbt wrote them; "
            "this dbt version's static page needs pipeline/docs.py updated"
        )
    manifest, catalog = json.loads(manifest_text), json.loads(catalog_text)
    show_published_names(manifest, catalog, published_relations(target / "manifest.json"))
    return text.replace(manifest_text, json.dumps(manifest)).replace(
        catalog_text, json.dumps(catalog)
    )


def generate_docs(
    restricted_db: Path,
    out_dir: Path,
    target_dir: Path | None = None,
    threads: int = 2,
    *,
    as_of: date | None = None,
    feed_late_hour: int | None = None,
    memory_limit: str | None = None,
) -> Path:
    """Run `dbt docs generate --static` on the restricted database; return the page written.

    The environment is the one `run_build` gives the profile; `as_of` and `feed_late_hour`
    only shape the compiled SQL shown. Needs the restricted database free (DuckDB: one writer
    per file): the nightly calls it after publish, under its run lock. Raises DocsError.
    """
    restricted_db, out_dir = Path(restricted_db), Path(out_dir)
    if not restricted_db.exists():
        raise DocsError(f"{restricted_db} does not exist yet: run `wmin nightly` first")
    target = Path(target_dir) if target_dir else DEFAULT_DOCS_TARGET_DIR
    started = time.perf_counter()
    stamp = {
        "project_sha256": project_hash(),
        "schema_sha256": schema_hash(restricted_db),
        "dbt_version": _dbt_version(),
    }
    # the profile's environment and arguments of a build (pipeline/build.py); tests compiled in
    # full, not scoped to a night's rows
    env, common = _dbt_invocation(
        restricted_db,
        as_of or date.today(),
        threads,
        target,
        memory_limit=memory_limit,
        feed_late_hour=feed_late_hour,
        test_new_rows_only=False,
    )
    args = ["docs", "generate", "--static", *common, "--log-path", str(target / "logs"), "--quiet"]
    static = _dbt_docs_generate(env, args, target)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / DOCS_FILE
    text = _with_published_names(static, target)
    write_atomically(page, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    stamp["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    stamp["as_of_date"] = as_of.isoformat() if as_of else None
    stamp["seconds"] = round(time.perf_counter() - started, 2)
    # the record last: a crash between the two only costs a regeneration next time
    write_atomically(
        out_dir / STAMP_FILE,
        lambda tmp: tmp.write_text(json.dumps(stamp, indent=2), encoding="utf-8"),
    )
    return page


def _dbt_docs_generate(env: dict[str, str], args: list[str], target: Path) -> Path:
    """Run dbt's docs generation; its static page, or DocsError with dbt's first errors."""
    from dbt.cli.main import dbtRunner

    errors: list[str] = []

    def on_event(event: object) -> None:  # --quiet keeps the console short; keep dbt's errors
        info = getattr(event, "info", None)
        if getattr(info, "level", "") == "error" and getattr(info, "msg", ""):
            errors.append(str(info.msg).strip())

    static = target / "static_index.html"
    static.unlink(missing_ok=True)  # never copy a page left by an earlier run
    with _environment(env):
        try:
            res = dbtRunner(callbacks=[on_event]).invoke(args)
        finally:
            _release_duckdb()
    if getattr(res, "exception", None) is not None:
        raise DocsError(f"dbt docs generate failed: {res.exception}")
    if not getattr(res, "success", False) or not static.exists():
        detail = "; ".join(errors[:3]) or f"see {target / 'logs' / 'dbt.log'}"
        raise DocsError(f"dbt docs generate failed: {detail}")
    return static


def update_docs(
    restricted_db: Path,
    out_dir: Path,
    *,
    force: bool = False,
    target_dir: Path | None = None,
    threads: int = 2,
    as_of: date | None = None,
    feed_late_hour: int | None = None,
    memory_limit: str | None = None,
) -> DocsResult:
    """Regenerate the docs when they could have changed (or `force`); else leave them alone."""
    started = time.perf_counter()
    reason = "forced" if force else stale_reason(restricted_db, out_dir)
    page = Path(out_dir) / DOCS_FILE
    if reason is None:
        return DocsResult(page, False, "up to date", round(time.perf_counter() - started, 2))
    page = generate_docs(
        restricted_db,
        out_dir,
        target_dir,
        threads,
        as_of=as_of,
        feed_late_hour=feed_late_hour,
        memory_limit=memory_limit,
    )
    return DocsResult(page, True, reason, round(time.perf_counter() - started, 2))


def embedded_artifacts(page: Path) -> tuple[dict, dict]:
    """The manifest and catalog embedded in a static docs page (for tests and checks)."""
    text = Path(page).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    out = []
    for key in ("manifest:", "catalog:"):
        start = text.find(key + '{"metadata"')
        if start < 0:
            raise DocsError(f"{page}: no embedded {key.rstrip(':')}")
        out.append(decoder.raw_decode(text, start + len(key))[0])
    return out[0], out[1]
