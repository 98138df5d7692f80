"""Scenarios: known changes injected into the synthetic network, so a test (or a demo) can ask
whether the warehouse and its SPC find them.

    halve-reporting:TRUST:YYYY-MM-DD
    surge-demand:TRUST:YYYY-MM-DD

halve-reporting: from that day the trust's in-house reporting capacity (radiologists' and
reporting radiographers' daily report units) is half what it was. Operator-reported exams (US,
IR), ED preliminary reports and outsourced reports are not affected; the outsourcing rule still
acts on the backlog that builds up.

surge-demand: from that day the trust's elective requests (waiting list and planned) arrive at
1.4 times their usual rate while its scanning sessions stay as they were, so its waiting lists
grow (the planning backtest's network). The truth stays exact: it is what the simulation did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .network import PROFILES, day_number

# scenario kind -> factor on the trust's in-house reporting capacity from the day on
REPORTING_FACTORS = {"halve-reporting": 0.5}
# scenario kind -> factor on the trust's elective request rate from the day on
DEMAND_FACTORS = {"surge-demand": 1.4}
KINDS = sorted({*REPORTING_FACTORS, *DEMAND_FACTORS})
FORMAT = "KIND:TRUST:YYYY-MM-DD (KIND: halve-reporting or surge-demand)"


class ScenarioError(ValueError):
    """A scenario that cannot be read; the message is one line for the command line."""


@dataclass(frozen=True)
class Scenario:
    kind: str
    trust: str
    from_day: date

    @property
    def reporting_factor(self) -> float:
        return REPORTING_FACTORS.get(self.kind, 1.0)

    @property
    def demand_factor(self) -> float:
        return DEMAND_FACTORS.get(self.kind, 1.0)

    def __str__(self) -> str:
        return f"{self.kind}:{self.trust}:{self.from_day.isoformat()}"


def parse_scenario(text: str) -> Scenario:
    """`halve-reporting:RXK:2026-02-01` -> Scenario; ScenarioError says what is wrong."""
    parts = text.strip().split(":")
    if len(parts) != 3:
        raise ScenarioError(f"scenario {text!r} is not {FORMAT}")
    kind, trust, day = parts
    if kind not in KINDS:
        raise ScenarioError(
            f"scenario {text!r}: unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}"
        )
    if trust not in PROFILES:
        raise ScenarioError(f"scenario {text!r}: unknown trust {trust!r}")
    try:
        from_day = date.fromisoformat(day)
    except ValueError:
        raise ScenarioError(f"scenario {text!r}: {day!r} is not a date (YYYY-MM-DD)") from None
    return Scenario(kind, trust, from_day)


def reporting_factor_by_day(
    scenarios: Iterable[Scenario], trust: str, first_day: int, last_day: int
) -> np.ndarray:
    """The factor on one trust's reporting capacity for each day first_day..last_day (days since
    1970-01-01); changes compound when several apply to the same trust."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    return _factor_by_day(scenarios, trust, days, lambda s: s.reporting_factor)


def demand_factor_by_day(scenarios: Iterable[Scenario], trust: str, days: np.ndarray) -> np.ndarray:
    """The factor on one trust's elective request rate on each of `days` (days since 1970-01-01);
    all ones without a demand scenario, so the default network is drawn exactly as before."""
    return _factor_by_day(scenarios, trust, days, lambda s: s.demand_factor)


def _factor_by_day(scenarios, trust: str, days: np.ndarray, factor_of) -> np.ndarray:
    factor = np.ones(days.size)
    for s in scenarios:
        if s.trust == trust:
            factor[days >= day_number(s.from_day)] *= factor_of(s)
    return factor


def scenario_frame(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """The injected changes as the truth records them (truth/scenarios.csv)."""
    return pd.DataFrame(
        {
            "scenario": [s.kind for s in scenarios],
            "trust_code": [s.trust for s in scenarios],
            "from_date": [s.from_day.isoformat() for s in scenarios],
            "reporting_capacity_factor": [s.reporting_factor for s in scenarios],
            "elective_demand_factor": [s.demand_factor for s in scenarios],
        }
    )
