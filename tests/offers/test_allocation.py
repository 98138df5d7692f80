"""The greedy allocation of scheduling offers (offers/allocation.py, run by dbt's
int_scheduling_offer_allocation on DuckDB and by the Spark table function) on hand-made cases:
pure Python, no dbt."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from offers.allocation import CANDIDATE_COLUMNS, SLOT_COLUMNS

MIN_DAYS_SAVED = 7  # offers_min_days_saved's default


@pytest.fixture(scope="module")
def allocate():
    from offers.allocation import allocate

    return allocate


def _slots(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(slot_id, site_code, 'YYYY-MM-DD HH:MM') of MR slots."""
    return pd.DataFrame(
        [
            {
                "trust_code": site[:3],
                "slot_id": slot_id,
                "site_code": site,
                "modality": "MR",
                "slot_start": datetime.fromisoformat(at),
                "slot_date": datetime.fromisoformat(at).date(),
            }
            for slot_id, site, at in rows
        ],
        columns=SLOT_COLUMNS,
    )


def _offers(*rows: tuple[str, str, str, str, float]) -> pd.DataFrame:
    """(exam_key, clock start, own option date, site, km) of MR patients."""
    return pd.DataFrame(
        [
            {
                "exam_key": exam,
                "clock_start_date": date.fromisoformat(clock),
                "offer_by_date": date.fromisoformat(own) - timedelta(days=MIN_DAYS_SAVED),
                "modality": "MR",
                "offered_site_code": site,
                "distance_km": km,
            }
            for exam, clock, own, site, km in rows
        ],
        columns=CANDIDATE_COLUMNS,
    )


def test_the_longest_wait_gets_the_one_slot(allocate) -> None:
    slots = _slots(("s1", "RXK01", "2026-04-20 09:00"))
    offers = _offers(
        ("short", "2026-03-01", "2026-05-01", "RXK01", 5.0),
        ("long", "2026-02-01", "2026-05-01", "RXK01", 30.0),
    )
    out = allocate(offers, slots)
    assert out[["exam_key", "slot_id"]].values.tolist() == [["long", "s1"]]


def test_a_slot_is_taken_once_and_the_next_one_goes_to_the_next_patient(allocate) -> None:
    slots = _slots(("s1", "RXK01", "2026-04-20 09:00"), ("s2", "RXK01", "2026-04-21 09:00"))
    offers = _offers(
        ("a", "2026-02-01", "2026-05-01", "RXK01", 5.0),
        ("b", "2026-02-02", "2026-05-01", "RXK01", 5.0),
        ("c", "2026-02-03", "2026-05-01", "RXK01", 5.0),
    )
    out = allocate(offers, slots)
    assert out[["exam_key", "slot_id"]].values.tolist() == [["a", "s1"], ["b", "s2"]]


def test_no_slot_that_saves_less_than_the_minimum(allocate) -> None:
    """The slot saves the first patient 6 days, under the minimum: it goes to the second."""
    slots = _slots(("s1", "RXK01", "2026-04-20 09:00"))
    offers = _offers(
        ("soon", "2026-02-01", "2026-04-26", "RXK01", 5.0),
        ("later", "2026-02-02", "2026-05-01", "RXK01", 5.0),
    )
    out = allocate(offers, slots)
    assert out[["exam_key", "slot_id"]].values.tolist() == [["later", "s1"]]


def test_the_earliest_slot_across_sites_then_the_nearer_site(allocate) -> None:
    slots = _slots(
        ("far_early", "RNA01", "2026-04-20 09:00"),
        ("near_late", "RXK01", "2026-04-22 09:00"),
        ("near_same", "RXK01", "2026-04-20 09:00"),
    )
    offers = _offers(
        ("a", "2026-02-01", "2026-05-01", "RNA01", 30.0),
        ("a", "2026-02-01", "2026-05-01", "RXK01", 5.0),
    )
    out = allocate(offers, slots)
    assert out[["exam_key", "slot_id", "site_code"]].values.tolist() == [
        ["a", "near_same", "RXK01"]
    ]


def test_nobody_to_place_gives_an_empty_typed_frame(allocate) -> None:
    out = allocate(_offers(), _slots())
    assert out.empty and "slot_id" in out.columns
