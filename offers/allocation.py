"""Which offered slot each waiting patient would get if the network booked them greedily:
patients in order of longest wait (earliest clock start; ties: the smallest exam_key), each
taking the earliest free slot still untaken at any site that offers them a sooner scan
(int_scheduling_offer_candidates; ties: the nearer site, then site code and slot id), on or
before their `offer_by_date` (the own option less the minimum saving). A slot goes to one
patient at most, so the marts' counts of offers a site could absorb never count one slot twice
(docs/offers.md).

Sequential, hence Python: each patient's choice depends on the slots taken before them.
Because every patient takes a site's earliest untaken slot, the slots taken at a site are
always its earliest ones: one pointer per site and modality is enough. One row per allocated
patient. Run by dbt's Python model int_scheduling_offer_allocation on DuckDB and by the table
function the Spark runner registers (pipeline/spark_offers.py).
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

# the inputs' columns (the Spark table function builds its frames with these)
CANDIDATE_COLUMNS = [
    "exam_key",
    "clock_start_date",
    "offer_by_date",
    "modality",
    "offered_site_code",
    "distance_km",
]
SLOT_COLUMNS = ["trust_code", "slot_id", "site_code", "modality", "slot_start", "slot_date"]
SLOT_FIELDS = ["site_code", "modality", "slot_start", "slot_date", "slot_id", "trust_code"]
OFFER_FIELDS = ["exam_key", "offer_by_date", "modality", "offered_site_code", "distance_km"]
ALLOCATION_COLUMNS = [
    "exam_key",
    "allocation_order",
    "site_code",
    "slot_trust_code",
    "slot_id",
    "slot_start",
    "slot_date",
]


def allocate(candidates: pd.DataFrame, free_slots: pd.DataFrame) -> pd.DataFrame:
    """Greedy allocation by longest wait. `candidates`: exam_key, clock_start_date,
    offer_by_date, modality, offered_site_code, distance_km. `free_slots`: trust_code,
    slot_id, site_code, modality, slot_start, slot_date. Plain lists, not rows of frames: a
    network's candidates are looped over one by one."""
    slots = free_slots.sort_values(["site_code", "modality", "slot_start", "slot_id"])
    queues: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for site, modality, start, day, slot_id, trust in zip(
        *(slots[c].tolist() for c in SLOT_FIELDS), strict=True
    ):
        queues[(site, modality)].append((start, day, slot_id, trust))
    taken: dict[tuple[str, str], int] = defaultdict(int)
    offers = candidates.sort_values(["clock_start_date", "exam_key", "distance_km"])
    patients: dict[str, list[tuple]] = {}  # in order of longest wait (dicts keep insertion order)
    for exam_key, offer_by, modality, site, km in zip(
        *(offers[c].tolist() for c in OFFER_FIELDS), strict=True
    ):
        patients.setdefault(exam_key, []).append((offer_by, modality, site, km))
    rows = []
    for order, (exam_key, options) in enumerate(patients.items(), start=1):
        best = None
        for offer_by, modality, site, km in options:
            queue = queues.get((site, modality), [])
            position = taken[(site, modality)]
            if position >= len(queue) or queue[position][1] > offer_by:
                continue
            start, day, slot_id, trust = queue[position]
            rank = (start, km, site, slot_id)
            if best is None or rank < best[0]:
                best = (rank, (site, modality), (exam_key, order, site, trust, slot_id, start, day))
        if best is not None:
            taken[best[1]] += 1
            rows.append(best[2])
    return pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)
