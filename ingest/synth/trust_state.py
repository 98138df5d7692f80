"""The records one trust's simulation passes between its steps (ingest/synth/trust.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .capacity import Slots
from .demand import DAY, Requests
from .network import Reference, TrustProfile


@dataclass(frozen=True)
class SimDays:
    """The simulated days, as days since 1970-01-01: the warm-up's first day, the window's first
    and last days, and the last day of the appointment book."""

    first: int
    start: int
    end: int
    horizon: int

    @property
    def end_cut(self) -> int:
        """Local seconds at the end of the window's last day: later events are not emitted."""
        return (self.end + 1) * DAY


class Rooms:
    """A trust's room names in the order first met, and each one's index."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.index: dict[str, int] = {}

    def id(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
        return self.index[name]


@dataclass
class TrustRun:
    """What the steps of one trust's simulation share: who, where, when, and its requests."""

    code: str
    profile: TrustProfile
    ref: Reference
    scale: float
    days: SimDays
    sites: list[str]
    rooms: Rooms
    req: Requests


@dataclass
class Times:
    """Per request: local seconds of each step (-1 = never) and where the exam was done."""

    arrived: np.ndarray
    started: np.ndarray
    completed: np.ndarray
    cancelled: np.ndarray
    withdrawn: np.ndarray
    site: np.ndarray  # index into the trust's sites
    room: np.ndarray  # index into the trust's rooms, -1 none

    @classmethod
    def none(cls, n: int) -> Times:
        def never() -> np.ndarray:
            return np.full(n, -1, dtype=np.int64)

        return cls(
            never(), never(), never(), never(), never(),
            np.zeros(n, dtype=np.int16), np.full(n, -1, dtype=np.int32),
        )  # fmt: skip


@dataclass
class Bookings:
    """Every slot of the trust (base and extra, modality by modality) and every booking."""

    slots: Slots
    slot_modality: np.ndarray  # per slot
    exam: np.ndarray  # per booking: request index
    slot: np.ndarray  # per booking: index into slots
    at: np.ndarray  # per booking: when it was made
    dna: np.ndarray  # per booking: when the patient did not attend, -1 attended

    @property
    def start(self) -> np.ndarray:
        return self.slots.start[self.slot]


@dataclass
class Actors:
    """Per request: actor codes (kind * 1000 + number, 1-based; -1 none) of each step."""

    started: np.ndarray
    verified: np.ndarray
    prelim: np.ndarray
    addendum: np.ndarray


@dataclass(frozen=True)
class Selection:
    """The requests that belong to the truth: requested by the end, active or open at the start."""

    include: np.ndarray  # per request
    rows: np.ndarray  # request indices of the truth's exams, in order
    row_of: np.ndarray  # per request: its exam row, -1 if not in the truth


@dataclass
class Streams:
    """The trust's random streams, one per concern, so that one concern's draws do not shift
    another's."""

    demand: np.random.Generator
    capacity: np.random.Generator
    exam: np.random.Generator
    reporting: np.random.Generator
    patients: np.random.Generator
    actors: np.random.Generator
