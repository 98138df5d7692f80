"""Scheduling offers (issue #29, docs/offers.md) checked against the synthetic network's ground
truth (tests/truth/conftest.py: one small network built once per session): an offer only where
a free slot precedes the patient's own option, no slot allocated twice, distances equal to a
haversine recomputation from the seeds, and no patient scanned or cancelled by the as-of date.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from ingest.synth.network import default_seeds_dir

from .conftest import AS_OF

MIN_SAVED = timedelta(days=7)  # offers_min_days_saved's default: an offer saves a week at least

LONDON = ZoneInfo("Europe/London")
AS_OF_END = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(), LONDON)
HORIZON_END = AS_OF + timedelta(weeks=6)  # scheduling_weeks


@pytest.fixture(scope="module")
def offers(built) -> pd.DataFrame:
    rows = built("scheduling_offer_list")
    return rows.assign(own_option_date=pd.to_datetime(rows["own_option_date"]).dt.date)


@pytest.fixture(scope="module")
def restricted(truth_home: Path):
    con = duckdb.connect(str(truth_home / "warehouse" / "restricted.duckdb"), read_only=True)
    yield con
    con.close()


def _local_date(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, utc=True).dt.tz_convert(LONDON).dt.date


def _free_slots(truth) -> pd.DataFrame:
    """The truth's free slots of the horizon (as-of + 1 .. as-of + 42 days, local dates)."""
    slots = truth.slots.astype(dict.fromkeys(("trust_code", "site_code", "modality", "state"), str))
    slots = slots[slots["state"] == "free"].copy()
    slots["slot_date"] = _local_date(slots["slot_start"])
    return slots[(slots["slot_date"] > AS_OF) & (slots["slot_date"] <= HORIZON_END)]


def test_offers_exist_on_the_synthetic_network(offers, built) -> None:
    by_trust = built("scheduling_offers_by_trust")
    network = by_trust[by_trust["trust_code"] == "NETWORK"]
    assert len(offers) > 0 and network["patients_allocated"].sum() > 0
    assert (network["patients_offered_10km"] <= network["patients_offered_20km"]).all()
    assert (network["patients_offered_20km"] <= network["patients_offered_40km"]).all()


def test_an_offer_is_a_free_slot_before_the_own_option(offers, truth) -> None:
    """Every offered slot is the site's earliest free slot of the modality (from the truth's
    slots), a week or more before the own option, which is the booking or the trust's earliest
    free slot."""
    free = _free_slots(truth)
    earliest_at_site = free.groupby(["site_code", "modality"])["slot_start"].min()
    earliest_of_trust = free.groupby(["trust_code", "modality"])["slot_date"].min()
    for row in offers.itertuples():
        slot = earliest_at_site[(row.offered_site_code, row.modality)]
        assert pd.Timestamp(row.offered_slot_at) == pd.Timestamp(slot)
        assert pd.Timestamp(slot).tz_convert(LONDON).date() <= row.own_option_date - MIN_SAVED
        assert row.offered_trust_code != row.trust_code
        if row.own_option == "own_free_slot":
            assert earliest_of_trust[(row.trust_code, row.modality)] == row.own_option_date
    assert set(offers["own_option"]) >= {"own_free_slot"}


def test_no_slot_is_allocated_twice_and_sites_add_up(restricted, built, truth) -> None:
    allocation = restricted.execute(
        "select * from intermediate.int_scheduling_offer_allocation"
    ).df()
    assert len(allocation) > 0
    assert not allocation.duplicated(["slot_trust_code", "slot_id"]).any()
    assert not allocation["exam_key"].duplicated().any()
    free = _free_slots(truth).set_index(["trust_code", "slot_id"])
    patients = restricted.execute(
        "select exam_key, own_option_date, modality from intermediate.int_scheduling_waiting_patients"
    ).df()
    patients["own_option_date"] = pd.to_datetime(patients["own_option_date"]).dt.date
    placed = allocation.merge(patients, on="exam_key")
    for row in placed.itertuples():
        slot = free.loc[(row.slot_trust_code, row.slot_id)]  # a free slot of the horizon
        assert slot["site_code"] == row.site_code and slot["modality"] == row.modality
        assert slot["slot_date"] <= row.own_option_date - MIN_SAVED
    by_site = built("scheduling_offers_by_site")
    by_trust = built("scheduling_offers_by_trust")
    network = by_trust[by_trust["trust_code"] == "NETWORK"]
    assert (
        by_site["offers_absorbed"].sum() == network["patients_allocated"].sum() == len(allocation)
    )


def test_allocation_goes_to_the_longest_waits_first(restricted) -> None:
    """No slot that a patient could have had (at a site offering them, a week before their own option)
    went to a patient waiting less long while they got a later slot or none."""
    candidates = restricted.execute(
        """
        select c.exam_key, c.clock_start_date, c.own_option_date, c.offered_site_code,
               c.modality, a.slot_start as own_slot_start
        from intermediate.int_scheduling_offer_candidates c
        left join intermediate.int_scheduling_offer_allocation a using (exam_key)
        """
    ).df()
    placed = restricted.execute(
        """
        select a.exam_key, a.site_code, a.slot_start, a.slot_date, p.modality, p.clock_start_date
        from intermediate.int_scheduling_offer_allocation a
        join intermediate.int_scheduling_waiting_patients p using (exam_key)
        """
    ).df()
    pairs = candidates.merge(
        placed,
        left_on=["offered_site_code", "modality"],
        right_on=["site_code", "modality"],
        suffixes=("", "_later"),
    )
    later = (pairs["clock_start_date_later"] > pairs["clock_start_date"]) | (
        (pairs["clock_start_date_later"] == pairs["clock_start_date"])
        & (pairs["exam_key_later"] > pairs["exam_key"])
    )
    useful = (
        pd.to_datetime(pairs["slot_date"]) <= pd.to_datetime(pairs["own_option_date"]) - MIN_SAVED
    )
    could_have = pairs[later & useful]
    assert len(pairs) > 0
    assert could_have["own_slot_start"].notna().all()
    assert (could_have["own_slot_start"] <= could_have["slot_start"]).all()


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_distances_equal_a_haversine_recomputation(offers, truth) -> None:
    seeds = default_seeds_dir()
    centroids = pd.read_csv(seeds / "postcode_district_centroids.csv").set_index(
        "postcode_district"
    )
    sites = pd.read_csv(seeds / "sites.csv").set_index("site_code")
    postcode = truth.exams.set_index(["trust_code", "accession"])["postcode"]
    for row in offers.itertuples():
        district = postcode[(row.trust_code, row.accession)].split(" ")[0]
        home, site = centroids.loc[district], sites.loc[row.offered_site_code]
        km = _haversine_km(home.latitude, home.longitude, site.latitude, site.longitude)
        assert abs(km - row.distance_km) <= 0.05 + 1e-9, (row.accession, km, row.distance_km)
        assert km <= 40


def test_no_patient_scanned_or_cancelled_by_the_as_of_date(offers, truth) -> None:
    events = truth.events
    known = events[pd.to_datetime(events["event_at"], utc=True) < AS_OF_END]
    if "withdrawn_at" in known:
        known = known[known["withdrawn_at"].isna()]
    gone = known[
        known["event"].isin(["exam_started", "exam_completed", "cancelled", "entered_in_error"])
    ]
    gone_keys = set(zip(gone["trust_code"].astype(str), gone["accession"], strict=True))
    assert gone_keys  # the network has scanned and cancelled requests to leave out
    offered = set(zip(offers["trust_code"], offers["accession"], strict=True))
    assert not offered & gone_keys
