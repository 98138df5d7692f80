"""Scenarios: a known change injected by the generator changes what it says and nothing else."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ingest.synth.network import OPERATOR_REPORTED, PROFILES, REPORT_UNITS
from ingest.synth.scenarios import (
    Scenario,
    ScenarioError,
    demand_factor_by_day,
    parse_scenario,
    reporting_factor_by_day,
    scenario_frame,
)
from ingest.synth.simulate import simulate_network

START, END, CHANGE = date(2024, 3, 1), date(2024, 6, 30), date(2024, 5, 1)
SCALE = 0.1
TRUST, OTHER = "RLT", "RJC"  # both with spare reporting capacity (1.10 x demand)
HALVED = Scenario("halve-reporting", TRUST, CHANGE)


@pytest.fixture(scope="module")
def runs():
    base = simulate_network(START, END, scale=SCALE, seed=5, trusts=[TRUST, OTHER])
    halved = simulate_network(
        START, END, scale=SCALE, seed=5, trusts=[TRUST, OTHER], scenarios=[HALVED]
    )
    return base, halved


def _events(truth, trust: str) -> pd.DataFrame:
    ev = truth.events[truth.events.trust_code == trust]
    return ev.sort_values("event_id").reset_index(drop=True)


def _in_house_units_per_day(truth, trust: str, first: date, last: date) -> float:
    """Report units verified in house (not outsourced, not by the exam's operator) per weekday."""
    ev = truth.events
    ex = truth.exams[truth.exams.trust_code == trust][["accession", "modality"]]
    rep = ev[
        (ev.trust_code == trust)
        & (ev.event == "report_verified")
        & ~ev.actor_outsourced.fillna(True).astype(bool)
    ]
    rep = rep.merge(ex, on="accession")
    rep = rep[~rep.modality.astype(str).isin(OPERATOR_REPORTED)]
    day = rep.event_at.dt.tz_convert("Europe/London").dt.tz_localize(None).dt.normalize()
    keep = (day >= pd.Timestamp(first)) & (day <= pd.Timestamp(last)) & (day.dt.weekday < 5)
    units = rep.modality.astype(str).map(REPORT_UNITS)[keep].sum()
    weekdays = np.busday_count(first, np.datetime64(last) + 1)
    return float(units) / weekdays


def test_parse_scenario():
    s = parse_scenario("halve-reporting:RXK:2026-02-01")
    assert s == Scenario("halve-reporting", "RXK", date(2026, 2, 1))
    assert s.reporting_factor == 0.5 and str(s) == "halve-reporting:RXK:2026-02-01"
    for bad, says in (
        ("halve-reporting:RXK", "is not KIND:TRUST:YYYY-MM-DD"),
        ("double-reporting:RXK:2026-02-01", "unknown kind 'double-reporting'"),
        ("halve-reporting:XYZ:2026-02-01", "unknown trust 'XYZ'"),
        ("halve-reporting:RXK:2026-02-30", "'2026-02-30' is not a date"),
    ):
        with pytest.raises(ScenarioError, match=says) as info:
            parse_scenario(bad)
        assert "\n" not in str(info.value)


def test_surge_demand_raises_the_elective_rate_from_the_day_and_only_at_its_trust():
    surge = parse_scenario(f"surge-demand:{TRUST}:2024-05-01")
    assert surge.demand_factor == 1.4 and surge.reporting_factor == 1.0
    d0 = int(np.datetime64("2024-04-29", "D").astype(np.int64))
    days = np.arange(d0, d0 + 4)
    assert demand_factor_by_day([surge], TRUST, days).tolist() == [1.0, 1.0, 1.4, 1.4]
    assert demand_factor_by_day([surge], OTHER, days).tolist() == [1.0] * 4
    assert demand_factor_by_day([HALVED], TRUST, days).tolist() == [1.0] * 4


def test_factor_by_day_applies_from_the_day_and_only_to_its_trust():
    d0 = int(np.datetime64("2024-04-29", "D").astype(np.int64))
    factor = reporting_factor_by_day([HALVED], TRUST, d0, d0 + 4)  # 29 Apr .. 3 May
    assert factor.tolist() == [1.0, 1.0, 0.5, 0.5, 0.5]
    assert reporting_factor_by_day([HALVED], OTHER, d0, d0 + 4).tolist() == [1.0] * 5
    twice = reporting_factor_by_day([HALVED, HALVED], TRUST, d0, d0 + 4)
    assert twice.tolist() == [1.0, 1.0, 0.25, 0.25, 0.25]
    frame = scenario_frame([HALVED])
    assert frame.to_dict("records") == [
        {
            "scenario": "halve-reporting",
            "trust_code": TRUST,
            "from_date": "2024-05-01",
            "reporting_capacity_factor": 0.5,
            "elective_demand_factor": 1.0,
        }
    ]


def test_other_trusts_are_unchanged(runs):
    base, halved = runs
    pd.testing.assert_frame_equal(_events(base, OTHER), _events(halved, OTHER))
    ex_b = base.exams[base.exams.trust_code == OTHER].reset_index(drop=True)
    ex_h = halved.exams[halved.exams.trust_code == OTHER].reset_index(drop=True)
    pd.testing.assert_frame_equal(ex_b, ex_h)


def test_before_the_change_nothing_differs(runs):
    base, halved = runs
    cut = pd.Timestamp(CHANGE, tz="Europe/London")
    ev_b, ev_h = _events(base, TRUST), _events(halved, TRUST)
    before_b = ev_b[ev_b.event_at < cut].reset_index(drop=True)
    before_h = ev_h[ev_h.event_at < cut].reset_index(drop=True)
    assert len(before_b) > 20_000
    pd.testing.assert_frame_equal(before_b, before_h)
    # and the change is there after it
    after_b = ev_b[ev_b.event_at >= cut]
    after_h = ev_h[ev_h.event_at >= cut]
    assert not after_b.reset_index(drop=True).equals(after_h.reset_index(drop=True))


def test_in_house_reporting_is_halved_from_the_day(runs):
    base, halved = runs
    assert PROFILES[TRUST].reporting_ratio == pytest.approx(1.10)
    # the week after the change, when the backlog has begun, to the end
    first, last = date(2024, 5, 8), END
    before = (date(2024, 3, 4), date(2024, 4, 26))
    units_base = _in_house_units_per_day(base, TRUST, first, last)
    units_halved = _in_house_units_per_day(halved, TRUST, first, last)
    # capacity is 1.10 x demand, so the base reports its demand and the halved trust 0.55 of it
    assert 0.47 < units_halved / units_base < 0.63, (units_halved, units_base)
    same_before = [_in_house_units_per_day(t, TRUST, *before) for t in runs]
    assert same_before[0] == same_before[1] > 0

    # the queue falls behind: exams done in June still unreported at the end of the window
    def unreported_share(truth):
        ev = truth.events[truth.events.trust_code == TRUST]
        done = ev[ev.event == "exam_completed"].groupby("accession", observed=True).event_at.min()
        reported = ev[ev.event == "report_verified"].accession.unique()
        june = done[done >= pd.Timestamp(date(2024, 6, 1), tz="Europe/London")]
        return float((~june.index.isin(reported)).mean())

    assert unreported_share(base) < 0.02 and unreported_share(halved) > 0.2


def test_cli_refuses_a_bad_scenario_in_one_line(tmp_path):
    from pipeline.cli import app

    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-31",
            "--scale",
            "0.01",
            "--home",
            str(tmp_path),
            "--scenario",
            "halve-reporting:RXK:2026-03-01",
        ],
    )
    assert result.exit_code == 1
    assert "outside --start 2026-01-01 .. --end 2026-01-31" in " ".join(result.output.split())
    assert "Traceback" not in result.output and not (tmp_path / "truth").exists()
    for args, says in (
        (["--trusts", "RLT,XYZ"], "--trusts: unknown trust(s) XYZ"),
        (
            ["--trusts", "RLT", "--scenario", "halve-reporting:RXK:2026-01-10"],
            "--scenario names trust(s) RXK that --trusts leaves out",
        ),
    ):
        result = CliRunner().invoke(
            app,
            [
                "synth",
                "--start",
                "2026-01-01",
                "--end",
                "2026-01-31",
                "--home",
                str(tmp_path),
                *args,
            ],
        )
        assert result.exit_code == 1 and says in " ".join(result.output.split())
        assert not (tmp_path / "truth").exists()


def test_without_a_scenario_the_queues_are_steady_from_the_first_month():
    """The warm-up is long enough that a network with no change in it shows none: a trust short
    of reporters (RXK, 0.93 x demand) already has its backlog, and a strained trust's waiting
    list (RRK, MR at 0.88 x demand) is already as long, in the window's first months as later."""
    truth = simulate_network(
        date(2025, 1, 1), date(2025, 12, 31), scale=0.01, seed=7, trusts=["RXK", "RRK"]
    )
    ev = truth.events
    first = ev.pivot_table(
        index=["trust_code", "accession"],
        columns="event",
        values="event_at",
        aggfunc="min",
        observed=True,
    )
    first = first.reset_index()
    local = first.exam_completed.dt.tz_convert("Europe/London").dt.tz_localize(None)
    rxk = first[(first.trust_code == "RXK") & local.between("2025-01-01", "2025-11-30")]
    late = (rxk.report_verified - rxk.exam_completed).dt.days.fillna(999) > 28
    by_month = late.groupby(local[rxk.index].dt.month).mean()
    assert by_month.loc[1:2].min() > 0.5 * by_month.loc[6:11].mean() > 0.05, by_month.round(2)

    rrk = first[first.trust_code == "RRK"]
    elective = truth.exams.set_index("accession").activity_category.astype(str) != "unscheduled"
    rrk = rrk[rrk.accession.map(elective).fillna(False).astype(bool)]
    done = rrk[["exam_completed", "cancelled"]].min(axis=1)

    def waiting(day: str) -> int:
        t = pd.Timestamp(day, tz="Europe/London")
        return int(((rrk.requested < t) & (done.isna() | (done >= t))).sum())

    early = np.mean([waiting(d) for d in ("2025-02-01", "2025-03-01", "2025-04-01")])
    late_ = np.mean([waiting(d) for d in ("2025-10-01", "2025-11-01", "2025-12-01")])
    assert 0.8 < early / late_ < 1.25, (early, late_)
