"""docs/onboarding.md followed step by step for a provider the synthetic network has nothing
like (tests/onboarding/provider.py): spec and seed rows written as the guide says, `wmin feeds
check` on a sample, the first backfill with `wmin nightly --as-of`, and the centre's figures in
the published database equal to a recomputation in pandas from the events it sent."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from bench import pandas_marts
from ingest.synth.network import default_seeds_dir
from ingest.synth.simulate import simulate_network
from pipeline.settings import DEMO_PSEUDONYM_KEY
from tests.onboarding import provider
from tests.truth.frames import compare

pytestmark = pytest.mark.slow

# Three weeks of a small no-ED trust's simulated activity, relabelled as the centre's.
START, END, SCALE, SEED, SOURCE = date(2026, 3, 2), date(2026, 3, 22), 0.12, 5, "RL1"
AS_OF = END + timedelta(days=1)  # the morning of the last delivery: every event is known
FCT_COLUMNS = [
    "trust_code", "site_code", "patient_key", "modality", "nicip_code", "priority",
    "patient_source_setting", "activity_category", "status", "requested_at", "clock_start_date",
    "booked_for", "exam_started_at", "exam_completed_at", "report_verified_at", "cancelled_at",
    "reporter_type", "test_date", "request_to_test_days", "test_to_report_days",
    "test_to_report_hours", "reported_within_target",
]  # fmt: skip


def wmin(home: Path, seeds: Path, *args: str) -> subprocess.CompletedProcess:
    """`wmin` as a user runs it, with the home and the seeds copy in the environment."""
    env = {
        **os.environ,
        "WMIN_HOME": str(home),
        "WMIN_SEEDS_DIR": str(seeds),
        "NO_COLOR": "1",
        "COLUMNS": "160",
    }
    cmd = [sys.executable, "-c", "from pipeline.cli import app; app()", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("onboard")
    home = tmp / "home"
    # what the centre sends: its truth (a simulated trust relabelled) and its nightly files
    truth = simulate_network(START, END, scale=SCALE, seed=SEED, trusts=[SOURCE])
    exams, events = provider.as_provider(truth.exams, truth.events, SOURCE)
    procedures = pd.read_csv(default_seeds_dir() / "procedures.csv", dtype=str)
    names = dict(zip(procedures["nicip_code"], procedures["procedure_name"], strict=True))
    maps = yaml.safe_load(provider.SPEC_YAML)["value_maps"]
    # a verified report the RIS withdraws: the last three snapshots no longer carry it
    accession, report_id, status = provider.a_report_to_withdraw(
        exams, events, START + timedelta(days=3), END - timedelta(days=5)
    )
    files = provider.write_deliveries(
        exams,
        events,
        names,
        maps,
        home / "landing",
        START + timedelta(days=1),
        AS_OF,
        withdrawn={report_id: AS_OF - timedelta(days=2)},
    )
    # the truth after the withdrawal: the exam is back to its status before the report
    events = events[events["event_id"] != report_id].reset_index(drop=True)
    exams.loc[exams["accession"] == accession, "status"] = status
    sample = files[3]
    # step: draft the spec from the sample into the home's feeds folder, and try the draft
    (home / "feeds").mkdir(parents=True)
    spec_path = home / "feeds" / f"{provider.TRUST}.yml"
    seeds = provider.seeds_with_provider(default_seeds_dir(), tmp / "seeds")  # the seed rows
    init = wmin(
        home,
        seeds,
        "feeds",
        "init",
        str(sample),
        "--trust",
        provider.TRUST,
        "--out",
        str(spec_path),
    )
    draft = spec_path.read_text(encoding="utf-8") if spec_path.exists() else ""
    draft_check = wmin(home, seeds, "feeds", "check", str(spec_path), str(sample))
    # step: finish the draft with the provider's answers, and try it again
    spec_path.write_text(provider.SPEC_YAML, encoding="utf-8")
    check = wmin(home, seeds, "feeds", "check", str(spec_path), str(sample))
    # step: the first backfill
    nightly = wmin(home, seeds, "nightly", "--as-of", AS_OF.isoformat(), "--demo")
    return {
        "home": home,
        "seeds": seeds,
        "files": files,
        "init": init,
        "draft": draft,
        "withdrawn": accession,
        "draft_check": draft_check,
        "check": check,
        "nightly": nightly,
        "truth": pandas_marts.Truth(exams, events, truth.slots.iloc[0:0]),
    }


@pytest.fixture(scope="module")
def published(onboarded):
    assert onboarded["nightly"].returncode == 0, (
        onboarded["nightly"].stdout[-3000:] + onboarded["nightly"].stderr[-3000:]
    )
    db = onboarded["home"] / "warehouse" / "analytics.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    yield lambda name: con.execute(
        f"select * from \"{name}\" where trust_code = '{provider.TRUST}'"
    ).df()
    con.close()


@pytest.fixture(scope="module")
def expected(onboarded):
    seeds = pandas_marts.read_seeds(onboarded["seeds"])
    truth = onboarded["truth"]
    facts = pandas_marts.exam_facts(truth, seeds, AS_OF, DEMO_PSEUDONYM_KEY.encode())

    def only(df):
        return df[df["trust_code"] == provider.TRUST].reset_index(drop=True)

    return {
        "fct_exams": only(facts),
        "tat_monthly": only(pandas_marts.tat_monthly(truth, seeds, AS_OF, facts)),
        "waiting_list_census": only(pandas_marts.waiting_list_census(truth, seeds, AS_OF, facts)),
    }


def test_the_deliveries_are_in_the_centres_dialect(onboarded) -> None:
    raw = onboarded["files"][0].read_bytes()
    assert b"\x96" in raw  # the en dash of '2WW – Suspected Cancer', in cp1252
    header = raw.split(b"\r\n", 1)[0].decode("cp1252")
    assert header.count(";") >= 20 and "Extract Time" in header


def test_feeds_init_drafts_the_centres_dialect(onboarded) -> None:
    assert onboarded["init"].returncode == 0, onboarded["init"].stdout + onboarded["init"].stderr
    draft = yaml.safe_load(onboarded["draft"])
    assert (draft["family"], draft["delimiter"], draft["encoding"]) == ("event_csv", ";", "cp1252")
    assert draft["date_format"] == provider.DATE_FORMAT
    assert draft["procedure_code_system"] == "local"
    assert draft["columns"]["accession"] == "Accession No"
    assert "TODO" in onboarded["draft"]  # what is left for the person to finish


def test_feeds_check_refuses_the_unfinished_draft(onboarded) -> None:
    out = onboarded["draft_check"].stdout + onboarded["draft_check"].stderr
    assert onboarded["draft_check"].returncode != 0 and "Traceback" not in out
    assert "event_id" in out  # the draft does not map the event log's required columns yet


def test_feeds_check_accepts_the_finished_spec(onboarded) -> None:
    check = onboarded["check"]
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Traceback" not in check.stdout + check.stderr


def test_fct_exams_equals_recomputation(published, expected) -> None:
    got = published("fct_exams")
    want = expected["fct_exams"]
    assert len(got) == len(want) >= 200
    assert got["status"].value_counts().to_dict() == want["status"].value_counts().to_dict()
    problems = compare(want, got, ["exam_key"], FCT_COLUMNS)
    assert not problems, "fct_exams:\n" + "\n".join(problems)


@pytest.mark.parametrize(("mart", "keys", "measures"), [
    ("tat_monthly", ["month", "trust_code", "modality", "priority"],
     ["exams_tested", "request_to_test_median_days", "exams_reported",
      "test_to_report_median_hours", "reported_within_target_pct"]),
    ("waiting_list_census", ["census_date", "trust_code", "dm01_test"],
     ["total_waiting", "waiting_6_plus_weeks", "waiting_13_plus_weeks", "median_weeks_waited"]),
])  # fmt: skip
def test_mart_equals_recomputation(published, expected, mart, keys, measures) -> None:
    got, want = published(mart), expected[mart]
    assert len(got) >= 5 and len(want) >= 5, f"{mart}: too few rows to compare"
    # every measure the recomputation has (tests/truth checks that it has them all)
    columns = [c for c in got.columns if c not in keys and c in want.columns]
    assert set(measures) <= set(columns), f"{mart}: {sorted(set(measures) - set(columns))}"
    problems = compare(want, got, keys, columns)
    assert not problems, f"{mart}:\n" + "\n".join(problems)


def test_a_report_the_snapshot_no_longer_carries_is_withdrawn(onboarded, published) -> None:
    """mode: snapshot (docs/onboarding.md): a later delivery is authoritative for its exams."""
    exam_key = hashlib.md5(f"{provider.TRUST}|{onboarded['withdrawn']}".encode()).hexdigest()
    row = published("fct_exams").set_index("exam_key").loc[exam_key]
    assert pd.isna(row["report_verified_at"]) and row["status"] != "reported"


def test_the_build_leaves_the_seeds_copy_as_written(onboarded, published) -> None:
    for path in sorted(onboarded["seeds"].glob("*.csv")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert (
            first == (default_seeds_dir() / path.name).read_text(encoding="utf-8").split("\n", 1)[0]
        ), path.name  # a seed file is never replaced by dbt's SQL


def test_the_centre_is_in_the_dimensions(onboarded, published) -> None:
    trust = published("dim_trust")
    assert trust["trust_type"].tolist() == ["community_diagnostic_centre"]
    sites = published("dim_site")
    assert set(sites["site_code"]) == set(provider.SITES)
    assert not sites["is_synthetic_code"].any()
