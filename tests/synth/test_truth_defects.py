"""The truth's defects are drawn for the network and applied a trust at a time: the same truth
as one pass over the network's frames."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ingest.synth.defects import DefectRates
from ingest.synth.simulate import simulate_network
from ingest.synth.truth_defects import apply_truth_defects, draw_truth_defects, truth_part

TRUSTS = ["RJC", "RRK"]
# high rates, so that every kind lands in both trusts of a small network
RATES = DefectRates(nhs_number_invalid=0.05, unknown_local_code=0.05, dates_out_of_order=0.2,
                    withdrawn_report=0.1)  # fmt: skip
BEFORE = pd.Timestamp("2026-03-22", tz="UTC")


def _damage(parts_of: list[tuple[pd.DataFrame, pd.DataFrame]]):
    parts = [truth_part(ex, ev, True, True) for ex, ev in parts_of]
    draws = draw_truth_defects(parts, RATES, np.random.default_rng(1), np.random.default_rng(2))
    done = [apply_truth_defects(ex, ev, p, d, BEFORE)
            for (ex, ev), p, d in zip(parts_of, parts, draws, strict=True)]  # fmt: skip
    return (pd.concat([x[0] for x in done]), pd.concat([x[1] for x in done]),
            [w for x in done for w in x[2]])  # fmt: skip


@pytest.fixture(scope="module")
def truth():
    t = simulate_network(date(2026, 3, 1), date(2026, 3, 21), scale=0.01, seed=5, trusts=TRUSTS)
    return t.exams.assign(local_procedure_code=t.exams["nicip_code"].astype(str)), t.events


def test_trust_by_trust_equals_one_pass_over_the_network(truth) -> None:
    exams, events = truth
    whole = _damage([(exams, events)])
    by_trust = _damage([(exams[exams.trust_code == t], events[events.trust_code == t])
                        for t in TRUSTS])  # fmt: skip
    kinds = {w["defect_type"] for w in whole[2]}
    assert kinds == {"nhs_number_invalid", "unknown_local_code", "dates_out_of_order"}
    assert {w["trust"] for w in whole[2]} == set(TRUSTS)
    assert whole[1]["withdrawn_at"].notna().sum() > 0
    pd.testing.assert_frame_equal(whole[0], by_trust[0])
    pd.testing.assert_frame_equal(whole[1], by_trust[1])
    assert sorted(whole[2], key=str) == sorted(by_trust[2], key=str)
