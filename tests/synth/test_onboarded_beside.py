"""An onboarded trust (its feed spec and seed rows) beside the synthetic network changes nothing
the generator writes: it simulates its own fifteen trusts on their invented sites only."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ingest.feeds import spec as feed_spec
from ingest.synth.defects import DefectRates
from ingest.synth.generate import generate_network
from ingest.synth.network import SYNTHETIC_FEEDS_DIR, TRUST_ORDER, default_seeds_dir
from tests.onboarding import provider

START, END, SCALE, SEED = date(2026, 3, 2), date(2026, 3, 4), 0.003, 11
# a real site of a trust that also has a synthetic namesake (same ODS code), as onboarding the
# real RRK would add: the generator must keep to RRK's invented sites
REAL_NAMESAKE_SITE = {"site_code": "RRK15", "trust_code": "RRK", "site_name": "QEHB (real ODS code)",
                      "is_synthetic_code": "false", "latitude": "52.4532", "longitude": "-1.9393",
                      "postcode_district": "B15"}  # fmt: skip


def _digests(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("landing", "truth", "feeds")
        for p in sorted((home / sub).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def plain_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("plain")
    generate_network(home, START, END, scale=SCALE, seed=SEED, rates=DefectRates.none(), workers=1)
    return home


def test_synth_beside_an_onboarded_trust_writes_the_same_network(
    tmp_path, monkeypatch, plain_home
) -> None:
    onboarded = tmp_path / "ingest_feeds"  # stands for ingest/feeds/ holding a real trust's spec
    onboarded.mkdir()
    (onboarded / f"{provider.TRUST}.yml").write_text(provider.SPEC_YAML, encoding="utf-8")
    assert provider.TRUST in feed_spec.load_all_specs(onboarded)  # a valid spec
    monkeypatch.setattr(feed_spec, "FEEDS_DIR", onboarded)
    seeds = provider.seeds_with_provider(default_seeds_dir(), tmp_path / "seeds")
    provider._append(seeds / "sites.csv", [REAL_NAMESAKE_SITE])

    home = tmp_path / "home"
    generate_network(
        home,
        START,
        END,
        scale=SCALE,
        seed=SEED,
        rates=DefectRates.none(),
        seeds_dir=seeds,
        workers=1,
    )

    assert sorted(p.stem for p in (home / "feeds").glob("*.yml")) == sorted(TRUST_ORDER)
    assert sorted(p.name for p in (home / "landing").iterdir()) == sorted(TRUST_ORDER)
    exams = pd.read_parquet(home / "truth" / "exams.parquet")
    assert set(exams["trust_code"].astype(str)) == set(TRUST_ORDER)
    sites = pd.read_csv(default_seeds_dir() / "sites.csv", dtype=str)
    assert set(exams["site_code"].astype(str)) <= set(sites["site_code"])  # invented sites only
    assert _digests(home) == _digests(plain_home)  # byte for byte the network without them


def test_synth_refuses_a_spec_it_does_not_simulate(tmp_path) -> None:
    specs = tmp_path / "feeds"
    shutil.copytree(SYNTHETIC_FEEDS_DIR, specs)
    (specs / f"{provider.TRUST}.yml").write_text(provider.SPEC_YAML, encoding="utf-8")
    with pytest.raises(ValueError, match="NCDC1, which the synthetic network does not simulate"):
        generate_network(tmp_path / "home", START, END, scale=SCALE, specs_dir=specs)
