"""Which offered slot each waiting patient would get if the network booked them greedily:
patients in order of longest wait (earliest clock start; ties: the smallest exam_key), each
taking the earliest free slot still untaken at any site that offers them a sooner scan
(int_scheduling_offer_candidates; ties: the nearer site, then site code and slot id), on a date
before their own option. A slot goes to one patient at most, so the marts' counts of offers a
site could absorb never count one slot twice (docs/offers.md).

A Python model because the allocation is sequential: each patient's choice depends on the
slots taken before them. Because every patient takes a site's earliest untaken slot, the slots
taken at a site are always its earliest ones: one pointer per site and modality is enough.
One row per allocated patient.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

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
    own_option_date, modality, offered_site_code, distance_km. `free_slots`: trust_code,
    slot_id, site_code, modality, slot_start, slot_date."""
    queues: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    ordered_slots = free_slots.sort_values(["site_code", "modality", "slot_start", "slot_id"])
    for slot in ordered_slots.itertuples(index=False):
        queues[(slot.site_code, slot.modality)].append(slot)
    taken: dict[tuple[str, str], int] = defaultdict(int)
    rows = []
    ordered = candidates.sort_values(["clock_start_date", "exam_key", "distance_km"])
    for order, (exam_key, offers) in enumerate(ordered.groupby("exam_key", sort=False), start=1):
        best = None
        for offer in offers.itertuples(index=False):
            queue_key = (offer.offered_site_code, offer.modality)
            queue = queues.get(queue_key, [])
            if taken[queue_key] >= len(queue):
                continue
            slot = queue[taken[queue_key]]
            if slot.slot_date >= offer.own_option_date:
                continue
            rank = (slot.slot_start, offer.distance_km, slot.site_code, slot.slot_id)
            if best is None or rank < best[0]:
                best = (rank, queue_key, slot)
        if best is not None:
            _, queue_key, slot = best
            taken[queue_key] += 1
            rows.append(
                (
                    exam_key,
                    order,
                    slot.site_code,
                    slot.trust_code,
                    slot.slot_id,
                    slot.slot_start,
                    slot.slot_date,
                )
            )
    return pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)


def model(dbt, session):
    dbt.config(materialized="table")
    candidates = dbt.ref("int_scheduling_offer_candidates").df()
    free_slots = dbt.ref("int_scheduling_free_slots").df()
    allocated = allocate(candidates, free_slots)
    # typed even when empty, so the marts' contracts see the same column types every night
    return session.from_df(allocated).project(
        "exam_key::varchar as exam_key, allocation_order::bigint as allocation_order,"
        " site_code::varchar as site_code, slot_trust_code::varchar as slot_trust_code,"
        " slot_id::varchar as slot_id, slot_start::timestamptz as slot_start,"
        " slot_date::date as slot_date"
    )
