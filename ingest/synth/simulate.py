"""Simulate the imaging network: referrals, appointment books, exams and reports.

`simulate_network` returns the ground truth (exams, events, slots) in the vocabulary of
`ingest.contract`. The simulation runs from `start - 730 days` (warm-up, so queues and
backlogs are in steady state) to `end + 42 days` (so the future appointment book exists);
only events up to the end of local day `end` are emitted. Two years, because a strained
trust's waiting list grows by its capacity shortfall (6-14% of demand a week) until the longest
routine wait passes 13 weeks and extra sessions start, and a trust short of reporters builds its
backlog until outsourcing starts: with half a year, both were still growing through the first
year of the window, so a network with no change in it showed special causes.

Internally times are local wall-clock seconds (Europe/London, naive) since 1970-01-01;
they are converted to UTC on output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .assemble import Truth, assemble
from .local_time import local_to_utc
from .network import PROFILES, TRUST_ORDER, Reference, load_reference
from .scenarios import Scenario
from .trust import SimDays, TrustResult, simulate_trust

WARMUP_DAYS = 730
HORIZON_DAYS = 42


def simulate_network(
    start: date,
    end: date,
    scale: float = 1.0,
    seed: int = 42,
    seeds_dir: Path | None = None,
    trusts: Sequence[str] | None = None,
    scenarios: Sequence[Scenario] = (),
) -> Truth:
    """Simulate the network from start - WARMUP_DAYS to end + 42 days; truth for start..end.

    Each trust draws from its own random stream (spawned from `seed` in a fixed trust order),
    so a trust's data is the same whichever other trusts are simulated with it, and whatever
    `scenarios` (ingest.synth.scenarios) change at the other trusts.
    """
    run = _NetworkRun.plan(start, end, scale, seed, seeds_dir, trusts)
    results = [run.simulate(t, scenarios) for t in run.trusts]
    return assemble(results, run.ref, start, end, run.horizon_end)


def simulate_each_trust(
    start: date,
    end: date,
    scale: float = 1.0,
    seed: int = 42,
    seeds_dir: Path | None = None,
    trusts: Sequence[str] | None = None,
    scenarios: Sequence[Scenario] = (),
) -> Iterator[tuple[Truth, list[str], list[str]]]:
    """The trusts of `simulate_network` one at a time, in code order: each trust's truth, its
    sites and its rooms. A trust's rows are those `simulate_network` gives it; its categorical
    columns hold only its own trust code, sites, rooms and (events) accessions."""
    run = _NetworkRun.plan(start, end, scale, seed, seeds_dir, trusts)
    for t in run.trusts:
        result = run.simulate(t, scenarios)
        sites, rooms = list(result.sites), list(result.rooms)
        yield assemble([result], run.ref, start, end, run.horizon_end), sites, rooms


@dataclass(frozen=True)
class _NetworkRun:
    trusts: list[str]  # in code order
    ref: Reference
    scale: float
    days: SimDays
    horizon_end: date
    streams: dict[str, np.random.SeedSequence]

    @classmethod
    def plan(cls, start: date, end: date, scale: float, seed: int, seeds_dir: Path | None,
             trusts: Sequence[str] | None) -> _NetworkRun:  # fmt: skip
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        wanted = list(TRUST_ORDER) if trusts is None else list(dict.fromkeys(trusts))
        unknown = [t for t in wanted if t not in PROFILES]
        if unknown:
            raise ValueError(f"unknown trust code(s): {', '.join(unknown)}")
        horizon_end = end + timedelta(days=HORIZON_DAYS)
        first = start - timedelta(days=WARMUP_DAYS)
        days = SimDays(*(int(np.datetime64(d, "D").astype(np.int64))
                         for d in (first, start, end, horizon_end)))  # fmt: skip
        streams = dict(zip(TRUST_ORDER, np.random.SeedSequence(seed).spawn(len(TRUST_ORDER)),
                           strict=True))  # fmt: skip
        return cls(sorted(wanted), load_reference(seeds_dir), scale, days, horizon_end, streams)

    def simulate(self, trust: str, scenarios: Sequence[Scenario]) -> TrustResult:
        return simulate_trust(trust, self.streams[trust], self.ref, self.scale, self.days,
                              scenarios)  # fmt: skip


__all__ = ["HORIZON_DAYS", "WARMUP_DAYS", "Truth", "local_to_utc", "simulate_each_trust",
           "simulate_network"]  # fmt: skip
