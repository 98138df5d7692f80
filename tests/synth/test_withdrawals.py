"""Reports the RIS takes back: the truth records them, and the feeds that can say so do."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ingest.feeds.spec import load_all_specs
from ingest.synth import deliveries as dl
from ingest.synth.network import SYNTHETIC_FEEDS_DIR
from ingest.synth.simulate import simulate_network
from ingest.synth.truth_defects import withdraw_reports
from ingest.synth.writers._format import NAT

START, END = date(2024, 3, 1), date(2024, 3, 21)
TRUSTS = ["RRK", "RJC", "RBK"]  # wide delta, wide snapshot, event-log snapshot


@pytest.fixture(scope="module")
def withdrawn():
    truth = simulate_network(START, END, scale=0.005, seed=3, trusts=TRUSTS)
    exams = truth.exams.assign(local_procedure_code=truth.exams["nicip_code"].astype(str))
    before = pd.Timestamp(dl.local_instant_us(END), unit="us", tz="UTC")
    exams, events = withdraw_reports(
        exams, truth.events, {"RRK", "RJC", "RBK"}, 0.2, before, np.random.default_rng(1)
    )
    specs = load_all_specs(SYNTHETIC_FEEDS_DIR)
    deliveries = dl.make_deliveries(dl.delivery_nights(START, END))
    slices = {
        t: dl.trust_slice(
            exams[exams.trust_code == t],
            events[events.trust_code == t],
            truth.slots[truth.slots.trust_code == t],
            t,
            {},
        )
        for t in TRUSTS
    }
    return exams, events, specs, deliveries, slices


def _withdrawals(sl: dl.TrustSlice) -> list[int]:
    return np.flatnonzero(sl.ev_withdrawn != NAT).tolist()


def test_only_an_exams_last_report_is_withdrawn_and_its_status_goes_back(withdrawn) -> None:
    exams, events, *_ = withdrawn
    taken = events[events["withdrawn_at"].notna()]
    assert len(taken) >= 6 and set(taken["event"]) == {"report_verified"}
    assert (taken["withdrawn_at"] > taken["event_at"]).all()
    assert set(taken["trust_code"]) == set(TRUSTS)
    status = exams.set_index("accession").loc[taken["accession"], "status"]
    assert (status != "reported").all()


@pytest.mark.parametrize("trust", ["RRK", "RJC"])
def test_a_wide_feed_resends_the_exam_with_the_report_cell_empty(withdrawn, trust) -> None:
    _, _, specs, deliveries, slices = withdrawn
    sl = slices[trust]
    rows = dl.wide_rows(sl, deliveries, specs[trust])
    cut = np.array([d.cutoff_us for d in deliveries])
    for j in _withdrawals(sl):
        mine = rows.ref == sl.ev_exam[j]
        after = mine & (cut[rows.k] > sl.ev_withdrawn[j])
        sent = mine & (cut[rows.k] > sl.ev_t[j]) & ~after
        assert after.any(), "no delivery after the withdrawal carries the exam"
        assert (rows.cols["report_verified_at"][after] == NAT).all()
        assert (rows.cols["report_verified_at"][sent] == sl.ev_t[j]).all()


def test_an_event_snapshot_carries_every_event_until_one_is_withdrawn(withdrawn) -> None:
    _, _, specs, deliveries, slices = withdrawn
    sl = slices["RBK"]
    rows = dl.event_rows(sl, deliveries, specs["RBK"])
    cut = np.array([d.cutoff_us for d in deliveries])
    carried = pd.DataFrame({"exam": sl.ev_exam[rows.ref], "k": rows.k, "event": rows.ref})
    # every event of a carried exam up to the cutoff (withdrawn ones aside)
    for (exam, k), got in carried.groupby(["exam", "k"]):
        events = np.flatnonzero(
            (sl.ev_exam == exam)
            & (sl.ev_t < cut[k])
            & ((sl.ev_withdrawn == NAT) | (sl.ev_withdrawn >= cut[k]))
        )
        assert set(got["event"]) == set(events.tolist())
    for j in _withdrawals(sl):
        has_j = carried["event"] == j
        assert (cut[carried.loc[has_j, "k"]] <= sl.ev_withdrawn[j]).all()
        later = (carried["exam"] == sl.ev_exam[j]) & (cut[carried["k"]] > sl.ev_withdrawn[j])
        assert later.any(), "no snapshot after the withdrawal carries the exam"


def test_order_in_group_matches_pandas_cumcount_and_size() -> None:
    from ingest.synth.truth_defects import _order_in_group, exam_numbers

    accession = pd.Series(pd.Categorical(["b", "a", "b", "c", "a", "b"]))
    exam = exam_numbers(accession)
    position, sizes = _order_in_group(exam)
    by_exam = accession.astype(object).groupby(accession.astype(object), sort=False)
    assert position.tolist() == by_exam.cumcount().tolist() == [0, 0, 1, 0, 1, 2]
    assert sizes[exam].tolist() == by_exam.transform("size").tolist()
    assert exam_numbers(accession.astype(object)).tolist() == [0, 1, 0, 2, 1, 0]
