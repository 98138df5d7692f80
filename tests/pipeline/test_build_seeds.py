"""A build with another seeds folder (WMIN_SEEDS_DIR, e.g. a copy with an onboarded provider's
rows) runs a copy of the dbt project beside those seeds, leaving both folders as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import build
from pipeline.seed_state import SEEDS_DIR


def test_the_projects_own_seeds_use_the_project() -> None:
    assert build._project_for_seeds(SEEDS_DIR, Path("unused")) == build.DBT_PROJECT_DIR


def test_other_seeds_get_a_project_copy_beside_them(tmp_path: Path) -> None:
    seeds = tmp_path / "my_seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    (seeds / "trusts.csv").write_text("trust_code\nNCDC1\n", encoding="utf-8")
    target = tmp_path / "target"
    project = build._project_for_seeds(seeds, target)
    assert project.is_relative_to(target) and (project / "dbt_project.yml").is_file()
    # dbt_project.yml reads ../seeds: the copy's seeds are the other folder's files
    assert (project.parent / "seeds" / "trusts.csv").read_text(
        encoding="utf-8"
    ) == "trust_code\nNCDC1\n"
    assert not (project / "target").exists()
    # a second build starts from a fresh copy
    (seeds / "trusts.csv").write_text("trust_code\nNCDC2\n", encoding="utf-8")
    project = build._project_for_seeds(seeds, target)
    assert "NCDC2" in (project.parent / "seeds" / "trusts.csv").read_text(encoding="utf-8")
