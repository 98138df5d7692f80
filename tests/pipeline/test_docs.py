"""The planners' data docs (pipeline/docs.py, `wmin docs`, the nightly's docs step).

One `dbt docs generate` on the dbt tests' hand-made landing database (tests/dbt/landing_fixture)
serves the module. It is not built: the docs' descriptions, lineage and compiled SQL come from
the project, and the catalog's column types are checked on the landing sources; a build would
add ~15 s and change none of what is tested here. dbt's artifacts go to a temporary target.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from pipeline import docs
from pipeline.docs import (
    DOCS_FILE,
    STAMP_FILE,
    DocsError,
    embedded_artifacts,
    generate_docs,
    stale_reason,
    update_docs,
)
from tests.dbt.landing_fixture import build_landing
from tests.fixtures.published import METRICS_MARTS

AS_OF = date(2026, 3, 31)


@dataclass
class Generated:
    db: Path
    reports: Path
    target: Path
    first: docs.DocsResult
    first_mtime_ns: int


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("docs")
    db = build_landing(root / "restricted.duckdb", deliveries=1)
    reports, target = root / "reports", root / "target"
    # feed_late_hour as the CLI passes it (settings default), so its runs reuse dbt's parse
    first = update_docs(db, reports, target_dir=target, as_of=AS_OF, feed_late_hour=6)
    return Generated(db, reports, target, first, (reports / DOCS_FILE).stat().st_mtime_ns)


def _copy_home(g: Generated, home: Path) -> Path:
    (home / "warehouse").mkdir(parents=True)
    shutil.copyfile(g.db, home / "warehouse" / "restricted.duckdb")
    shutil.copytree(g.reports, home / "reports")
    return home


def test_docs_are_generated_into_reports_with_a_record(generated: Generated) -> None:
    g = generated
    assert g.first.regenerated and g.first.reason == "missing"
    assert g.first.path == g.reports / DOCS_FILE and g.first.path.stat().st_size > 100_000
    stamp = json.loads((g.reports / STAMP_FILE).read_text())
    assert stamp["project_sha256"] == docs.project_hash()
    assert stamp["as_of_date"] == AS_OF.isoformat()
    assert not list(g.reports.glob(".*.tmp"))  # written by rename, no temporary left


def test_page_holds_published_marts_descriptions_sql_and_types(generated: Generated) -> None:
    page = generated.first.path
    html = page.read_text(encoding="utf-8")
    manifest, catalog = embedded_artifacts(page)
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for mart in METRICS_MARTS:  # every docs/metrics.md mart is documented, marked as published
        assert mart in models, mart
        assert models[mart]["config"]["meta"].get("publish") is True, mart
        assert mart in html
    # a column description exactly as written in the properties file
    props = yaml.safe_load((docs.DBT_PROJECT_DIR / "models/marts/tat/_tat__models.yml").read_text())
    tat = next(m for m in props["models"] if m["name"] == "tat_monthly")
    written = next(c["description"] for c in tat["columns"] if c["name"] == "exams_tested")
    assert models["tat_monthly"]["columns"]["exams_tested"]["description"] == written
    assert written in html
    assert "grouping sets" in (models["tat_monthly"].get("compiled_code") or "")
    # the catalog: column types read from the database (here the landing sources)
    records = catalog["sources"]["source.wmin.landing.exam_records"]["columns"]
    assert records["extract_at"]["type"].upper().startswith("TIMESTAMP")


def test_page_holds_schema_not_data(generated: Generated) -> None:
    _, catalog = embedded_artifacts(generated.first.path)
    # dbt-duckdb's catalog carries no statistics (no row counts, no values): only has_stats
    for entry in [*catalog["nodes"].values(), *catalog["sources"].values()]:
        assert (
            set(entry["stats"]) == {"has_stats"} and entry["stats"]["has_stats"]["value"] is False
        )
    html = generated.first.path.read_text(encoding="utf-8")
    with duckdb.connect(str(generated.db), read_only=True) as con:
        values = [
            r[0]
            for r in con.execute(
                "select distinct nhs_number from landing.exam_records where nhs_number is not null "
                "union select distinct postcode from landing.exam_records where postcode is not null"
            ).fetchall()
        ]
    assert values and not [v for v in values if v in html]


def test_unchanged_project_and_schema_do_not_regenerate(generated: Generated) -> None:
    g = generated
    again = update_docs(g.db, g.reports, target_dir=g.target, as_of=AS_OF)
    assert not again.regenerated and again.reason == "up to date"
    assert (g.reports / DOCS_FILE).stat().st_mtime_ns == g.first_mtime_ns


def test_schema_change_makes_docs_stale(generated: Generated, tmp_path: Path) -> None:
    home = _copy_home(generated, tmp_path / "home")
    db, reports = home / "warehouse" / "restricted.duckdb", home / "reports"
    assert stale_reason(db, reports) is None
    with duckdb.connect(str(db)) as con:  # the pipeline's own tables are not in the docs
        con.execute("create schema if not exists pipeline; create table pipeline.x (a int)")
    assert stale_reason(db, reports) is None
    with duckdb.connect(str(db)) as con:  # a built mart is
        con.execute("create table main.tat_monthly (month date, exams_tested bigint)")
    assert stale_reason(db, reports) == "warehouse schema changed"


def test_project_change_makes_docs_stale(
    generated: Generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "repo" / "dbt_project"
    shutil.copytree(
        docs.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "var_*")
    )
    shutil.copytree(
        docs.SEEDS_DIR, tmp_path / "repo" / "seeds", ignore=shutil.ignore_patterns("*.csv")
    )
    monkeypatch.setattr(docs, "DBT_PROJECT_DIR", project)
    monkeypatch.setattr(docs, "SEEDS_DIR", tmp_path / "repo" / "seeds")
    assert (
        docs.project_hash()
        == json.loads((generated.reports / STAMP_FILE).read_text())["project_sha256"]
    )
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")  # dbt's output: not the project
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("x")
    (project / "var_scratch" / "target").mkdir(parents=True)  # a home left in the folder
    (project / "var_scratch" / "target" / "model.sql").write_text("select 1")
    assert stale_reason(generated.db, generated.reports) is None
    props = tmp_path / "repo" / "seeds" / "_seeds.yml"
    original = props.read_text()
    props.write_text(original + "\n# a seed described differently\n")
    assert stale_reason(generated.db, generated.reports) == "dbt project changed"
    props.write_text(original)
    model = project / "models" / "marts" / "tat" / "tat_monthly.sql"
    model.write_text(model.read_text() + "\n-- an edit\n")
    assert stale_reason(generated.db, generated.reports) == "dbt project changed"


def test_failed_generation_keeps_the_previous_page(
    generated: Generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(generated.reports, reports)
    before = (reports / DOCS_FILE).read_bytes(), (reports / STAMP_FILE).read_bytes()
    bad = tmp_path / "restricted.duckdb"
    bad.write_text("not a database")
    monkeypatch.setattr(docs, "schema_hash", lambda _db: "x")  # let dbt itself meet the file
    with pytest.raises(DocsError, match="dbt docs generate failed"):
        generate_docs(bad, reports, target_dir=generated.target, feed_late_hour=6)
    assert ((reports / DOCS_FILE).read_bytes(), (reports / STAMP_FILE).read_bytes()) == before


def test_wmin_docs_leaves_current_docs_and_force_regenerates(
    generated: Generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import app

    home = _copy_home(generated, tmp_path / "home")
    monkeypatch.setattr(docs, "DEFAULT_DOCS_TARGET_DIR", generated.target)  # not dbt_project/
    page = home / "reports" / DOCS_FILE
    mtime = page.stat().st_mtime_ns
    runner = CliRunner()
    res = runner.invoke(app, ["docs", "--home", str(home)])
    assert res.exit_code == 0, res.output
    assert "up to date" in res.output and page.stat().st_mtime_ns == mtime
    res = runner.invoke(app, ["docs", "--home", str(home), "--force"])
    assert res.exit_code == 0, res.output
    assert "docs written (forced)" in res.output and page.stat().st_mtime_ns != mtime
    manifest, _ = embedded_artifacts(page)
    assert "model.wmin.fct_exams" in manifest["nodes"]


def test_wmin_docs_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    from pipeline.cli import app

    res = CliRunner().invoke(app, ["docs", "--home", str(tmp_path)])
    assert res.exit_code == 1 and "wmin nightly" in res.output


def test_nightly_docs_failure_is_a_warning_not_a_failed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import nightly, runs
    from pipeline.settings import Settings

    order: list[str] = []

    def step(name: str):
        return lambda *_a, **_k: (order.append(name), ({}, None))[1]

    for name in ("ingest", "build", "quality_gate", "publish", "extracts", "due_exports"):
        monkeypatch.setattr(nightly, f"_{name}", step(name))

    def broken_docs(*_a: object) -> None:
        order.append("docs")
        raise DocsError("dbt docs generate failed: something broke")

    monkeypatch.setattr(nightly, "_docs", broken_docs)
    settings = Settings(home=tmp_path, demo=True)
    result = nightly.run_nightly(settings, as_of=AS_OF)
    assert order == [
        "ingest",
        "build",
        "quality_gate",
        "publish",
        "extracts",
        "due_exports",
        "docs",
    ]
    assert result.outcome == "succeeded" and result.failed_step is None
    docs_step = result.steps[-1]
    assert (docs_step.step, docs_step.outcome) == ("docs", "warning")
    assert "something broke" in docs_step.counts["warning"]
    assert result.warnings == ["docs: DocsError: dbt docs generate failed: something broke"]
    recorded = runs.last_runs(settings.restricted_db, 1)[0]
    assert recorded["outcome"] == "succeeded"
    steps = json.loads(recorded["steps"])
    assert steps[-1]["step"] == "docs" and steps[-1]["outcome"] == "warning"


def test_page_opens_on_the_planners_overview(generated: Generated) -> None:
    manifest, _ = embedded_artifacts(generated.first.path)
    overview = manifest["docs"]["doc.wmin.__overview__"]["block_contents"]
    # what the overview must tell a planner (issue #22): the marts, joins and conventions
    for needle in (
        "What each mart answers",
        "How the marts join",
        "NETWORK",
        "is_month_end",
        "dim_dm01_test",
        "Europe/London",
        "_local",
        "docs/metrics.md",
        "wmin sql",
    ):
        assert needle in overview, needle
    for mart in METRICS_MARTS:
        assert f"`{mart}`" in overview, mart


def test_published_marts_are_listed_under_the_names_planners_type(generated: Generated) -> None:
    manifest, _ = embedded_artifacts(generated.first.path)
    html = generated.first.path.read_text(encoding="utf-8")
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for mart in METRICS_MARTS:
        node = models[mart]
        assert (node["database"], node["schema"], node["alias"]) == ("analytics", "main", mart)
        assert node["relation_name"] == f'"analytics"."main"."{mart}"'
        assert f'"restricted"."main"."{mart}"' not in html
    # the warehouse's own models keep their restricted names
    staging = models["stg_landing__exam_records"]
    assert staging["database"] == "restricted" and staging["schema"] == "staging"


def test_show_published_names_renames_only_published_models() -> None:
    manifest = {
        "nodes": {
            "model.wmin.tat_monthly": {
                "resource_type": "model",
                "name": "tat_monthly",
                "alias": "tat_monthly",
                "database": "restricted",
                "schema": "main",
            },
            "model.wmin.dids_records": {
                "resource_type": "model",
                "name": "dids_records",
                "alias": "dids_records",
                "database": "restricted",
                "schema": "main",
            },
            "test.wmin.some_test": {
                "resource_type": "test",
                "name": "tat_monthly",
                "database": "restricted",
                "schema": "main",
            },
        }
    }
    catalog = {
        "nodes": {
            "model.wmin.tat_monthly": {
                "metadata": {"database": "restricted", "schema": "main", "name": "tat_monthly"}
            }
        }
    }
    renamed = docs.show_published_names(manifest, catalog, [("main", "tat_monthly", "tat_monthly")])
    assert renamed == 1
    assert manifest["nodes"]["model.wmin.tat_monthly"]["database"] == "analytics"
    assert catalog["nodes"]["model.wmin.tat_monthly"]["metadata"]["database"] == "analytics"
    assert manifest["nodes"]["model.wmin.dids_records"]["database"] == "restricted"
    assert manifest["nodes"]["test.wmin.some_test"]["database"] == "restricted"
