"""Appointment books and rooms: a scanner holds one patient at a time."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ingest.synth.capacity import one_patient_at_a_time
from ingest.synth.simulate import simulate_network


def _row_by_row(planned: np.ndarray, duration: np.ndarray, room: np.ndarray) -> np.ndarray:
    start = np.empty_like(planned)
    for r in np.unique(room):
        free_at = None
        for i in sorted(np.flatnonzero(room == r), key=lambda i: planned[i]):
            start[i] = planned[i] if free_at is None else max(planned[i], free_at)
            free_at = start[i] + duration[i]
    return start


def test_one_patient_at_a_time_is_the_row_by_row_queue() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 60))
        planned = rng.integers(1_700_000_000, 1_700_050_000, n)
        duration = rng.integers(60, 4000, n)
        room = rng.integers(0, 5, n)
        got = one_patient_at_a_time(planned, duration, room)
        assert (got == _row_by_row(planned, duration, room)).all()


def test_one_patient_at_a_time_waits_only_for_the_room() -> None:
    planned = np.array([0, 600, 1200, 0, 600])
    duration = np.array([900, 900, 100, 300, 300])
    room = np.array([1, 1, 1, 2, 2])
    # room 1 runs late (a 15-minute exam in each 10-minute slot); room 2 does not
    assert one_patient_at_a_time(planned, duration, room).tolist() == [0, 900, 1800, 0, 600]


@pytest.fixture(scope="module")
def booked_exams() -> pd.DataFrame:
    """Each attended booked exam with its room, slot start, exam start and completion."""
    truth = simulate_network(date(2024, 3, 1), date(2024, 3, 31), scale=0.03, seed=11,
                             trusts=["RXK", "RBK"])  # fmt: skip
    ev = truth.events[truth.events["event"].isin(["exam_started", "exam_completed"])]
    times = ev.pivot_table(index=["trust_code", "accession"], columns="event", values="event_at",
                           aggfunc="max", observed=True).reset_index()  # fmt: skip
    slots = truth.slots[truth.slots["state"] == "booked"][
        ["trust_code", "accession", "site_code", "room", "slot_start"]
    ]
    # an exam's earlier bookings were did-not-attends: it was scanned in its last slot
    slots = slots.sort_values("slot_start").drop_duplicates(
        ["trust_code", "accession"], keep="last"
    )
    x = slots.merge(times, on=["trust_code", "accession"]).dropna(subset=["exam_started"])
    return x.astype({"site_code": str, "room": str})


def test_no_room_scans_two_booked_patients_at_once(booked_exams: pd.DataFrame) -> None:
    x = booked_exams.sort_values(["site_code", "room", "exam_started"])
    assert len(x) > 1_000 and x["exam_completed"].gt(x["exam_started"]).all()
    previous_end = x.groupby(["site_code", "room"])["exam_completed"].shift()
    assert not (x["exam_started"] < previous_end).any()
    # nobody is scanned before their appointment
    assert (x["exam_started"] >= x["slot_start"]).all()
    # the book's long exams make some lists run late: the queue is exercised
    assert (x["exam_started"] - x["slot_start"] > pd.Timedelta(minutes=30)).any()
