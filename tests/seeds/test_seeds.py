"""Checks of the reference data in seeds/ (fast: plain csv, no dbt)."""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from ingest import contract
from ingest.feeds.spec import FEEDS_DIR, load_all_specs
from ingest.synth.network import SYNTHETIC_FEEDS_DIR, TRUST_ORDER

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

COLUMNS = {
    "trusts": [
        "trust_code",
        "trust_name",
        "icb_name",
        "trust_type",
        "membership_confirmed",
        "latitude",
        "longitude",
    ],
    "sites": [
        "site_code",
        "trust_code",
        "site_name",
        "is_synthetic_code",
        "latitude",
        "longitude",
        "postcode_district",
    ],
    "modalities": [
        "modality",
        "modality_name",
        "did_modality_group",
        "nicip_prefix",
        "default_slot_minutes",
    ],
    "procedures": [
        "nicip_code",
        "procedure_name",
        "modality",
        "body_region",
        "typical_duration_minutes",
        "dm01_test",
        "is_synthetic",
        "snomed_ct_id",
        "demand_weight",
        "unscheduled_share",
    ],
    "local_procedure_codes": ["trust_code", "local_code", "nicip_code"],
    "bank_holidays": ["holiday_date", "holiday_name", "region"],
    "reporting_targets": ["priority", "target_hours", "source"],
    "dm01_tests": ["dm01_test", "dm01_test_name", "modality", "description"],
    "weeks_bands": ["weeks_band", "min_weeks", "max_weeks", "sort_order"],
    "backlog_age_bands": ["age_band", "min_days", "max_days", "column_name", "sort_order"],
    "priorities": ["priority", "priority_name", "sort_order", "is_unscheduled"],
    "activity_categories": [
        "activity_category",
        "activity_category_name",
        "dm01_counted_on_waiting_list",
        "sort_order",
    ],
    "patient_source_settings": ["patient_source_setting", "patient_source_setting_name"],
    "statuses": ["status", "status_name", "is_terminal", "sort_order"],
    "reporter_types": ["reporter_type", "reporter_type_name", "is_outsourced"],
    "postcode_district_centroids": [
        "postcode_district",
        "latitude",
        "longitude",
        "is_synthetic",
        "source",
        "licence",
    ],
    "waiting_targets": ["priority", "target_weeks", "source"],
}

# The synthetic network is DOMAIN.md's fifteen trusts; onboarded (real) trusts may sit beside
# them in the seeds, so the seeds are checked against the specs, never against a count.
DOMAIN_TRUSTS = {
    "RRK", "RQ3", "RRJ", "RXK", "RNA", "RBK", "RL4", "RKB",
    "RLT", "RJC", "RWP", "RLQ", "RXW", "RL1", "RJE",
}  # fmt: skip
SYNTHETIC_SPECS = load_all_specs(SYNTHETIC_FEEDS_DIR)
ONBOARDED_SPECS = load_all_specs(FEEDS_DIR)
TRUST_TYPES = {"acute", "specialist", "community_diagnostic_centre", "independent_sector"}
BOOLEANS = {"true", "false"}


def read(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def header(name: str) -> list[str]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def verhoeff_ok(number: str) -> bool:
    d = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ]
    p = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ]
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = d[c][p[i % 8][int(ch)]]
    return c == 0


def test_verhoeff_helper():
    assert verhoeff_ok("60027007")  # radiography of wrist (DOMAIN.md)
    assert not verhoeff_ok("60027008")


# --- shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_columns_exact(name):
    assert header(name) == COLUMNS[name]
    for row in read(name):
        assert None not in row and len(row) == len(COLUMNS[name]), row


def test_every_seed_present():
    # other seeds (e.g. the DIDS export layouts) may live beside these and are tested elsewhere
    assert set(COLUMNS) <= {p.stem for p in SEEDS.glob("*.csv")}


DBT_PROJECT_YML = SEEDS.parent / "dbt_project" / "dbt_project.yml"
ENGINE_TYPE = re.compile(r"\{\{\s*var\('data_types'\)\[target\.type\]\.(\w+)\s*\}\}")


def declared_types(engine: str = "duckdb") -> dict[str, dict[str, str]]:
    """Each seed's column types as `engine` gets them: a type that differs by engine is written
    in _seeds.yml as the var `data_types` of dbt_project.yml, looked up for the engine here."""
    by_engine = yaml.safe_load(DBT_PROJECT_YML.read_text(encoding="utf-8"))["vars"]["data_types"]
    props = yaml.safe_load((SEEDS / "_seeds.yml").read_text(encoding="utf-8"))

    def resolve(written: str) -> str:
        match = ENGINE_TYPE.fullmatch(written.strip())
        return by_engine[engine][match.group(1)] if match else written

    return {
        s["name"]: {c: resolve(t) for c, t in s["config"]["column_types"].items()}
        for s in props["seeds"]
    }


def test_seeds_yml_matches_csvs():
    props = yaml.safe_load((SEEDS / "_seeds.yml").read_text(encoding="utf-8"))
    assert props["version"] == 2
    by_name = {s["name"]: s for s in props["seeds"]}
    assert set(COLUMNS) <= set(by_name)
    for name, cols in COLUMNS.items():
        seed = by_name[name]
        assert seed.get("description")
        assert [c["name"] for c in seed["columns"]] == cols
        assert all(c.get("description") for c in seed["columns"])
        assert list(seed["config"]["column_types"]) == cols
    types = declared_types()
    assert types["patient_source_settings"]["patient_source_setting"] == "varchar"
    assert types["weeks_bands"]["weeks_band"] == "varchar"
    assert types["bank_holidays"]["holiday_date"] == "date"
    assert types["local_procedure_codes"]["local_code"] == "varchar"
    assert declared_types("spark")["weeks_bands"]["weeks_band"] == "string"


def test_no_absolute_paths_in_seed_files():
    for path in list(SEEDS.rglob("*.py")) + list(SEEDS.glob("*.md")) + list(SEEDS.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(^|[\s'\"(])/(work|home|tmp|Users)/", text), path


# --- trusts and sites ----------------------------------------------------------------------


def test_synthetic_network_is_the_domain_network():
    assert set(TRUST_ORDER) == DOMAIN_TRUSTS
    assert set(SYNTHETIC_SPECS) == set(TRUST_ORDER)  # one spec per simulated trust


def test_trusts():
    trusts = read("trusts")
    codes = [t["trust_code"] for t in trusts]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z0-9]{3,5}", c) for c in codes)  # as FeedSpec.trust_code
    assert set(SYNTHETIC_SPECS) <= set(codes)  # every synthetic trust has its row
    assert set(ONBOARDED_SPECS) <= set(codes)  # every onboarded feed's trust has its row
    assert {t["trust_type"] for t in trusts} <= TRUST_TYPES
    assert {t["membership_confirmed"] for t in trusts} <= BOOLEANS
    synthetic = [t for t in trusts if t["trust_code"] in SYNTHETIC_SPECS]
    confirmed = {t["trust_code"] for t in synthetic if t["membership_confirmed"] == "true"}
    assert confirmed == {"RRJ", "RL1", "RQ3"}
    assert len({t["icb_name"] for t in synthetic}) == 6
    for t in trusts:
        assert 51.8 < float(t["latitude"]) < 53.3 and -3.3 < float(t["longitude"]) < -1.0


def test_sites():
    trusts = {t["trust_code"]: t for t in read("trusts")}
    sites = read("sites")
    codes = [s["site_code"] for s in sites]
    assert len(codes) == len(set(codes))
    assert set(Counter(s["trust_code"] for s in sites)) == set(trusts)  # every site's trust
    # exists, every trust has a site
    for s in sites:
        assert s["is_synthetic_code"] in BOOLEANS
        assert re.fullmatch(r"[A-Z0-9]{3,10}", s["site_code"]), s["site_code"]
        assert 51.8 < float(s["latitude"]) < 53.3 and -3.3 < float(s["longitude"]) < -1.0
        assert re.fullmatch(r"[A-Z]{1,2}\d{1,2}[A-Z]?", s["postcode_district"])
    invented = [s for s in sites if s["is_synthetic_code"] == "true"]
    # invented codes are the synthetic network's (trust code + 2 digits); an onboarded trust's
    # sites carry their real ODS codes
    for s in invented:
        assert s["trust_code"] in SYNTHETIC_SPECS, s["site_code"]
        assert re.fullmatch(rf"{s['trust_code']}\d{{2}}", s["site_code"])
    per_trust = Counter(s["trust_code"] for s in invented)
    assert set(per_trust) == set(SYNTHETIC_SPECS)  # the generator has sites for every trust
    for code in SYNTHETIC_SPECS:
        if trusts[code]["trust_type"] == "acute":
            assert 1 <= per_trust[code] <= 5
    # large acute trusts run several hospitals
    for code in ("RRK", "RXK", "RWP", "RJE", "RKB", "RXW", "RL4", "RNA", "RJC"):
        assert 2 <= per_trust[code] <= 5, code
    assert per_trust["RRJ"] == 1 and per_trust["RL1"] == 1 and per_trust["RQ3"] <= 2
    # the trust's point is its main hospital (first site)
    for code, t in trusts.items():
        assert (t["latitude"], t["longitude"]) in {
            (s["latitude"], s["longitude"]) for s in sites if s["trust_code"] == code
        }


# --- modalities and procedures -------------------------------------------------------------


def test_modalities():
    mods = read("modalities")
    assert tuple(m["modality"] for m in mods) == contract.MODALITIES
    for m in mods:
        assert re.fullmatch(r"[A-Z]?", m["nicip_prefix"])
        assert int(m["default_slot_minutes"]) > 0


def test_procedures():
    procs = read("procedures")
    prefix = {m["modality"]: m["nicip_prefix"] for m in read("modalities")}
    codes = [p["nicip_code"] for p in procs]
    assert len(procs) >= 90
    assert len(codes) == len(set(codes))
    assert {p["modality"] for p in procs} == set(contract.MODALITIES)
    for p in procs:
        code = p["nicip_code"]
        assert re.fullmatch(r"[A-Z]{1,6}", code), code
        if prefix[p["modality"]]:
            assert code[0] == prefix[p["modality"]], code
        assert p["procedure_name"] and p["body_region"]
        assert int(p["typical_duration_minutes"]) > 0
        assert p["is_synthetic"] in BOOLEANS
        assert p["dm01_test"] in set(contract.DM01_TESTS) | {""}
        assert float(p["demand_weight"]) > 0
        assert 0 <= float(p["unscheduled_share"]) <= 1
        if p["snomed_ct_id"]:
            sid = p["snomed_ct_id"]
            assert re.fullmatch(r"\d{6,18}", sid) and verhoeff_ok(sid), code


def test_procedures_realistic_mix():
    per_modality = Counter(p["modality"] for p in read("procedures"))
    assert per_modality["XR"] >= 20 and per_modality["US"] >= 10
    assert per_modality["CT"] >= 10 and per_modality["MR"] >= 10
    for m in ("FL", "NM", "PET", "MG", "DEXA", "IR"):
        assert per_modality[m] >= 2, m


def test_known_real_nicip_codes_flagged_real():
    procs = {p["nicip_code"]: p for p in read("procedures")}
    for code in (
        "XCHES",
        "CCHES",
        "CABDO",
        "MCHES",
        "UABDO",
        "XWRIB",
        "XWRIL",
        "XWRIR",
        "MTSPN",
        "NBONW",
        "FBASW",
    ):
        assert procs[code]["is_synthetic"] == "false", code
    assert any(p["is_synthetic"] == "true" for p in procs.values())


def test_dm01_mapping():
    procs = read("procedures")
    dm01 = {t["dm01_test"]: t for t in read("dm01_tests")}
    assert tuple(dm01) == contract.DM01_TESTS
    mods = {m["modality"] for m in read("modalities")}
    assert all(t["modality"] in mods for t in dm01.values())
    for p in procs:
        if p["modality"] == "MR":
            assert p["dm01_test"] == "MRI"
        elif p["modality"] == "CT":
            assert p["dm01_test"] == "CT"
        elif p["modality"] == "US":
            obstetric = (
                p["procedure_name"].startswith("US Obstetric")
                or "pregnancy" in p["procedure_name"].lower()
            )
            assert p["dm01_test"] == ("" if obstetric else "NOUS"), p["nicip_code"]
        elif p["modality"] == "DEXA":
            assert p["dm01_test"] == "DEXA"
        elif p["dm01_test"]:
            assert (p["modality"], p["dm01_test"]) == ("FL", "BARIUM_ENEMA")
    assert any(p["dm01_test"] == "BARIUM_ENEMA" for p in procs)
    assert any(p["modality"] == "US" and p["dm01_test"] == "" for p in procs)


# --- local codes ---------------------------------------------------------------------------


def _local_codes_script():
    import importlib.util

    path = SEEDS / "scripts" / "make_local_procedure_codes.py"
    spec = importlib.util.spec_from_file_location("make_local_procedure_codes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_local_procedure_codes():
    nicip = {p["nicip_code"] for p in read("procedures")}
    rows = read("local_procedure_codes")
    by_trust: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_trust[r["trust_code"]].append(r)
    synthetic_local = {c for c, s in SYNTHETIC_SPECS.items() if s.procedure_code_system == "local"}
    onboarded_local = {c for c, s in ONBOARDED_SPECS.items() if s.procedure_code_system == "local"}
    assert synthetic_local and set(_local_codes_script().TRUSTS) == synthetic_local
    # a local-code feed has its map; a map belongs to a local-code feed
    assert synthetic_local | onboarded_local <= set(by_trust)
    assert set(by_trust) <= synthetic_local | onboarded_local
    for trust, trs in by_trust.items():
        locals_ = [r["local_code"] for r in trs]
        assert len(locals_) == len(set(locals_)), trust
        assert {r["nicip_code"] for r in trs} <= nicip, trust
        assert all(c.strip() == c and c for c in locals_), trust
    for trust in synthetic_local:  # the invented maps: one upper-case code per procedure
        trs = by_trust[trust]
        locals_ = [r["local_code"] for r in trs]
        assert {r["nicip_code"] for r in trs} == nicip, trust
        assert len(trs) == len(nicip)
        assert not set(locals_) & nicip, trust
        assert all(c == c.upper() for c in locals_)
    styles = {t: {r["local_code"][:2] for r in trs} for t, trs in by_trust.items()}
    assert styles["RNA"] == {"DG"}
    assert all(re.fullmatch(r"DG\d{4}", r["local_code"]) for r in by_trust["RNA"])
    assert all(re.fullmatch(r"CV-[A-Z]+-\d{3}", r["local_code"]) for r in by_trust["RKB"])


def test_local_codes_script_reproduces_file():
    expected = [tuple(r.values()) for r in read("local_procedure_codes")]
    assert _local_codes_script().build() == expected


def test_local_codes_script_keeps_an_onboarded_trusts_map(tmp_path):
    module = _local_codes_script()
    current = (SEEDS / "local_procedure_codes.csv").read_text(encoding="utf-8")
    onboarded = [("NCDC1", "cdc-0001", "XCHES"), ("NCDC1", "cdc-0002", "UABDO")]
    existing = tmp_path / "local_procedure_codes.csv"
    existing.write_text(
        current + "".join(f"{t},{lc},{n}\n" for t, lc, n in onboarded), encoding="utf-8"
    )
    rows = module.build(existing)
    assert rows[-2:] == onboarded
    assert rows[:-2] == module.build()


# --- calendar, targets, bands, vocabularies ------------------------------------------------


def test_bank_holidays():
    rows = read("bank_holidays")
    dates = [date.fromisoformat(r["holiday_date"]) for r in rows]
    assert len(dates) == len(set(dates))
    assert all(date(2015, 1, 1) <= d <= date(2030, 12, 31) for d in dates)
    assert {r["region"] for r in rows} == {"england_and_wales"}
    for d in (
        "2025-12-25",
        "2022-09-19",
        "2022-06-02",
        "2022-06-03",
        "2023-05-08",
        "2020-05-08",
        "2021-12-27",
        "2021-12-28",
    ):
        assert date.fromisoformat(d) in dates, d
    assert date(2021, 12, 25) not in dates  # a Saturday: the substitute day is listed instead
    assert all(d.weekday() < 5 for d in dates)
    per_year = Counter(d.year for d in dates)
    assert set(per_year) == set(range(2015, 2031))
    assert per_year[2022] == 10 and per_year[2023] == 9 and per_year[2025] == 8


def test_reporting_targets_match_metrics():
    targets = {r["priority"]: int(r["target_hours"]) for r in read("reporting_targets")}
    assert targets == {
        "ed": 24,
        "inpatient": 48,
        "suspected_cancer": 168,
        "urgent": 168,
        "routine": 672,
        "planned": 672,
    }


def test_weeks_bands():
    rows = read("weeks_bands")
    assert [r["weeks_band"] for r in rows] == [str(i) for i in range(13)] + ["13+"]
    for i, r in enumerate(rows[:-1]):
        assert int(r["min_weeks"]) == int(r["max_weeks"]) == i
    assert rows[-1]["min_weeks"] == "13" and rows[-1]["max_weeks"] == ""
    assert [int(r["sort_order"]) for r in rows] == list(range(1, 15))


def test_backlog_age_bands_are_contiguous():
    rows = read("backlog_age_bands")
    assert [r["age_band"] for r in rows] == [
        "0_2_days",
        "3_7_days",
        "8_14_days",
        "15_28_days",
        "over_28_days",
    ]
    assert [r["column_name"] for r in rows] == ["age_" + r["age_band"] for r in rows]
    assert rows[0]["min_days"] == "0" and rows[-1]["max_days"] == ""
    for a, b in pairwise(rows):
        assert int(b["min_days"]) == int(a["max_days"]) + 1


def test_vocabularies_match_contract():
    assert tuple(r["priority"] for r in read("priorities")) == contract.PRIORITIES
    unscheduled = {r["priority"] for r in read("priorities") if r["is_unscheduled"] == "true"}
    assert unscheduled == {"ed", "inpatient"}
    assert (
        tuple(r["activity_category"] for r in read("activity_categories"))
        == contract.ACTIVITY_CATEGORIES
    )
    assert (
        tuple(r["patient_source_setting"] for r in read("patient_source_settings"))
        == contract.PATIENT_SOURCE_SETTINGS
    )
    assert tuple(r["status"] for r in read("statuses")) == contract.STATUSES
    assert [r["reporter_type"] for r in read("reporter_types")] == [
        "radiologist",
        "radiographer",
        "outsourced",
    ]


def test_seeds_load_with_declared_types():
    """Each seed parses in DuckDB with the column types _seeds.yml declares (what dbt does)."""
    import duckdb

    types = declared_types()
    con = duckdb.connect()
    try:
        for name in COLUMNS:
            cols = ", ".join(f"'{c}': '{t}'" for c, t in types[name].items())
            n = con.execute(
                f"select count(*) from read_csv(?, header=true, columns={{{cols}}})",
                [str(SEEDS / f"{name}.csv")],
            ).fetchone()[0]
            assert n == len(read(name)), name
        lead = con.execute(
            "select min(patient_source_setting) from read_csv(?, header=true, "
            "columns={'patient_source_setting': 'varchar', 'patient_source_setting_name': 'varchar'})",
            [str(SEEDS / "patient_source_settings.csv")],
        ).fetchone()[0]
        assert lead == "01"
    finally:
        con.close()


def test_postcode_district_centroids_cover_the_synthetic_patients():
    """Every district the generator gives patients has a centroid near its area's town, each
    once, with its source and licence; the script reproduces the file."""
    from ingest.synth.network import DISTRICT_RANGE, HOME_AREAS

    rows = read("postcode_district_centroids")
    districts = [r["postcode_district"] for r in rows]
    assert len(districts) == len(set(districts))
    areas = {a for areas in HOME_AREAS.values() for a in areas}
    wanted = {f"{a}{n}" for a in areas for n in range(1, DISTRICT_RANGE[a] + 1)}
    assert wanted <= set(districts)
    for r in rows:
        assert 51.8 < float(r["latitude"]) < 53.3 and -3.2 < float(r["longitude"]) < -1.1, r
        assert r["source"] and r["licence"] and r["is_synthetic"] in ("true", "false")
    spec = importlib.util.spec_from_file_location(
        "make_centroids", SEEDS / "scripts" / "make_postcode_district_centroids.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.synthetic_rows() == [r for r in rows if r["is_synthetic"] == "true"]


def test_waiting_targets_name_known_priorities():
    priorities = {r["priority"] for r in read("priorities")}
    for r in read("waiting_targets"):
        assert r["priority"] in priorities and r["source"]
        assert r["target_weeks"] == "" or 0 < int(r["target_weeks"]) <= 13
