"""Appointment books and the waiting-list queue: "earliest slot, by priority".

Each site x modality has rooms with session-based books. Per trust x modality a queue of
waiting patients is served day by day into that day's free slots: planned exams due that day
first, then patients being rebooked after a DNA, then suspected cancer, urgent, routine, each
FIFO by the day they became ready to book. Waits are whatever the queue produces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .demand import DAY, HOUR, MINUTE
from .network import (
    BLOCKED_SLOT_RATE,
    REBOOK_AFTER_DNA,
    WLI_BOOST,
    WLI_SESSIONS,
    WLI_TRIGGER_DAYS,
    Session,
    weekday,
)

NEVER = np.iinfo(np.int64).max // 4


@dataclass
class Slots:
    start: np.ndarray  # int64 local seconds
    minutes: np.ndarray  # int32
    site: np.ndarray  # int16 index into the trust's sites
    room: np.ndarray  # int32 index into a room-name list
    blocked: np.ndarray  # bool

    @property
    def size(self) -> int:
        return int(self.start.size)


def base_slots(
    rng: np.random.Generator,
    sessions: list[Session],
    site_index: dict[str, int],
    room_index: dict[str, int],
    slot_minutes: int,
    first_day: int,
    last_day: int,
    holidays: np.ndarray,
) -> Slots:
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    wd = weekday(days)
    week = (days + 3) // 7  # Monday-based week number
    open_day = ~np.isin(days, holidays)
    parts = []
    for s in sessions:
        n = (s.end_min - s.start_min) // slot_minutes
        runs = (wd == s.weekday) & open_day
        if s.every < 1.0:
            runs &= np.floor((week + 1) * s.every + s.phase) > np.floor(week * s.every + s.phase)
        d = days[runs]
        if d.size == 0 or n <= 0:
            continue
        offs = (s.start_min + np.arange(n) * slot_minutes) * MINUTE
        st = (d[:, None] * DAY + offs[None, :]).ravel()
        parts.append((st, site_index[s.site], room_index[s.room]))
    if not parts:
        return Slots(*(np.empty(0, dtype=t) for t in (np.int64, np.int32, np.int16, np.int32)),
                     np.empty(0, dtype=bool))  # fmt: skip
    start = np.concatenate([p[0] for p in parts])
    site = np.concatenate([np.full(p[0].size, p[1], dtype=np.int16) for p in parts])
    room = np.concatenate([np.full(p[0].size, p[2], dtype=np.int32) for p in parts])
    order = np.lexsort((room, start))
    start, site, room = start[order], site[order], room[order]
    blocked = rng.random(start.size) < BLOCKED_SLOT_RATE
    return Slots(start, np.full(start.size, slot_minutes, dtype=np.int32), site, room, blocked)


@dataclass
class Queue:
    """Elective patients of one trust x modality (local indices 0..n-1)."""

    ready_day: np.ndarray  # int64
    qclass: np.ndarray  # 0 planned, 1 suspected cancer, 2 urgent, 3 routine
    clock_day: np.ndarray  # int64 clock start day
    avail_at: np.ndarray  # int64: earliest booking instant (vetted)
    cancel_day: np.ndarray  # int64 day the patient would cancel if still waiting (NEVER)
    dna_p: np.ndarray  # float


@dataclass
class BookingResult:
    patient: np.ndarray  # local patient index
    slot: np.ndarray  # index into slots (base then extra)
    booked_at: np.ndarray
    dna_at: np.ndarray  # -1 attended
    cancel_day: np.ndarray  # per patient, after the run (discharges after DNAs added)
    attended: np.ndarray  # per patient bool
    extra: Slots  # waiting-list initiative slots (indices continue after the base slots)


LEAD_DAYS = {0: (14, 42), 1: (1, 4), 2: (2, 10), 3: (4, 28)}


def _take(order, head, ready_end, k, d, cancel_day):
    """Serve up to k living patients from order[head:ready_end]; skip those who cancelled."""
    out = []
    while k > 0 and head < ready_end:
        w = order[head : min(ready_end, head + 2 * k + 16)]
        alive = cancel_day[w] > d
        cum = np.cumsum(alive)
        if cum[-1] >= k:
            pos = int(np.searchsorted(cum, k)) + 1
            out.append(w[:pos][alive[:pos]])
            head += pos
            k = 0
        else:
            out.append(w[alive])
            head += w.size
            k -= int(cum[-1])
    return out, head


@dataclass
class _Waiting:
    """The queue as the days go by: per class the patients in order of their ready day and
    the next one to serve; per patient what changes (cancel day, earliest booking instant,
    attended, DNAs); the patients waiting to be rebooked after a DNA."""

    orders: list[np.ndarray]
    ready_sorted: list[np.ndarray]
    heads: list[int]
    cancel_day: np.ndarray
    avail_at: np.ndarray
    attended: np.ndarray
    dna_count: np.ndarray
    rebook_patient: np.ndarray
    rebook_ready: np.ndarray

    @classmethod
    def start(cls, q: Queue) -> _Waiting:
        n = q.ready_day.size
        orders, ready_sorted = [], []
        for c in range(4):
            idx = np.flatnonzero(q.qclass == c)
            o = idx[np.argsort(q.ready_day[idx], kind="stable")]
            orders.append(o)
            ready_sorted.append(q.ready_day[o])
        return cls(
            orders, ready_sorted, [0, 0, 0, 0], q.cancel_day.copy(), q.avail_at.copy(),
            np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int8),
            np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
        )  # fmt: skip

    def take(self, c: int, k: int, d: int) -> list[np.ndarray]:
        """Up to k living patients of class c ready by day d."""
        ready_end = np.searchsorted(self.ready_sorted[c], d, "right")
        got, self.heads[c] = _take(self.orders[c], self.heads[c], ready_end, k, d, self.cancel_day)
        return got

    def take_rebooks(self, k: int, d: int) -> np.ndarray:
        """Up to k patients due to be rebooked after a DNA; those who cancelled leave."""
        due = self.rebook_ready <= d
        alive = self.cancel_day[self.rebook_patient] > d
        cand = np.flatnonzero(due & alive)[:k]
        got = self.rebook_patient[cand]
        keep = np.ones(self.rebook_patient.size, dtype=bool)
        keep[cand] = False
        keep &= alive
        self.rebook_patient, self.rebook_ready = self.rebook_patient[keep], self.rebook_ready[keep]
        return got


class _ExtraSlots:
    """Waiting-list initiative slots added during the run; their indices continue after the
    base slots'."""

    def __init__(self, n_base: int, slot_minutes: int) -> None:
        self.n_base = n_base
        self.slot_minutes = slot_minutes
        self.start: list[np.ndarray] = []
        self.site: list[np.ndarray] = []
        self.room: list[np.ndarray] = []
        self.by_day: dict[int, np.ndarray] = {}
        self.count = 0
        self.all_start = np.empty(0, dtype=np.int64)

    def add_sessions(self, d: int, want: int, wli_rooms: list[tuple[int, int]]) -> None:
        """Extra sessions in the week from day d, room by room, until `want` slots."""
        st, si, ro = [], [], []
        got = 0
        for site_i, room_i in wli_rooms:
            for wd, a, b in WLI_SESSIONS:
                if got >= want:
                    break
                k = (b - a) // self.slot_minutes
                st.append((d + wd) * DAY + (a + np.arange(k) * self.slot_minutes) * MINUTE)
                si.append(np.full(k, site_i, dtype=np.int16))
                ro.append(np.full(k, room_i, dtype=np.int32))
                got += k
        if not st:
            return
        s_all = np.concatenate(st)
        gidx = self.n_base + self.count + np.arange(s_all.size)
        self.start.append(s_all)
        self.site.append(np.concatenate(si))
        self.room.append(np.concatenate(ro))
        self.count += s_all.size
        self.all_start = np.concatenate(self.start)
        sday = s_all // DAY
        for dd in np.unique(sday):
            self.by_day[int(dd)] = np.concatenate(
                [self.by_day.get(int(dd), np.empty(0, dtype=np.int64)), gidx[sday == dd]]
            )

    def slots(self) -> Slots:
        if not self.start:
            return Slots(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int16),
                         np.empty(0, np.int32), np.empty(0, bool))  # fmt: skip
        es = np.concatenate(self.start)
        return Slots(es, np.full(es.size, self.slot_minutes, dtype=np.int32),
                     np.concatenate(self.site), np.concatenate(self.room),
                     np.zeros(es.size, dtype=bool))  # fmt: skip


def run_queue(
    rng: np.random.Generator,
    q: Queue,
    slots: Slots,
    first_day: int,
    last_day: int,
    wli: bool,
    wli_rooms: list[tuple[int, int]],
    slot_minutes: int,
) -> BookingResult:
    w = _Waiting.start(q)
    # available base slots grouped by day
    avail = np.flatnonzero(~slots.blocked)
    avail_day = slots.start[avail] // DAY
    bounds = np.searchsorted(avail_day, np.arange(first_day, last_day + 2, dtype=np.int64))
    weekly_base = avail.size / max(1.0, (last_day - first_day + 1) / 7.0)
    extra = _ExtraSlots(slots.size, slot_minutes)
    books: list[tuple[np.ndarray, ...]] = []
    for i, d in enumerate(range(first_day, last_day + 1)):
        day_slots = avail[bounds[i] : bounds[i + 1]]
        ex = extra.by_day.pop(d, None)
        if ex is not None:
            day_slots = np.concatenate([day_slots, ex])
        if wli and (d + 3) % 7 == 0 and wli_rooms and _routine_wait_too_long(q, w, d):
            extra.add_sessions(d, int(np.ceil(WLI_BOOST * weekly_base)), wli_rooms)
        if day_slots.size == 0:
            continue
        pat = _serve(w, day_slots.size, d)
        if pat is not None:
            books.append(_book(rng, q, w, pat, day_slots, slots, extra, d))

    def cat(i, dt):
        return np.concatenate([b[i] for b in books]).astype(dt) if books else np.empty(0, dt)

    return BookingResult(
        patient=cat(0, np.int64),
        slot=cat(1, np.int64),
        booked_at=cat(2, np.int64),
        dna_at=cat(3, np.int64),
        cancel_day=w.cancel_day,
        attended=w.attended,
        extra=extra.slots(),
    )


def _routine_wait_too_long(q: Queue, w: _Waiting, d: int) -> bool:
    """The longest-waiting routine patient still waiting is ready and past the trigger."""
    o3 = w.orders[3]
    j = w.heads[3]
    while j < o3.size and w.cancel_day[o3[j]] <= d:
        j += 1
    return bool(
        j < o3.size and q.ready_day[o3[j]] <= d and d - q.clock_day[o3[j]] > WLI_TRIGGER_DAYS
    )


def _serve(w: _Waiting, cap: int, d: int) -> np.ndarray | None:
    """The patients given day d's `cap` slots: planned exams due, then rebooks after a DNA,
    then suspected cancer, urgent, routine; None when nobody is."""
    served = w.take(0, cap, d)
    k = cap - sum(x.size for x in served)
    if w.rebook_patient.size and k > 0:
        got = w.take_rebooks(k, d)
        served.append(got)
        k -= got.size
    for c in (1, 2, 3):
        if k <= 0:
            break
        served += w.take(c, k, d)
        k = cap - sum(x.size for x in served)
    if not served:
        return None
    pat = np.concatenate(served)
    return pat if pat.size else None


def _book(
    rng: np.random.Generator,
    q: Queue,
    w: _Waiting,
    pat: np.ndarray,
    day_slots: np.ndarray,
    slots: Slots,
    extra: _ExtraSlots,
    d: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Book `pat` into random slots of the day, some days ahead by class; draw who does not
    attend. Returns (patient, slot, booked at, DNA at)."""
    m = pat.size
    slot = day_slots[rng.permutation(day_slots.size)[:m]]
    sidx = slot - slots.size
    sstart = np.where(slot < slots.size, slots.start[np.minimum(slot, slots.size - 1)], 0)
    if (slot >= slots.size).any():
        sstart = np.where(slot < slots.size, sstart, extra.all_start[np.maximum(sidx, 0)])
    cls = q.qclass[pat]
    lo = np.array([LEAD_DAYS[c][0] for c in range(4)])[cls]
    hi = np.array([LEAD_DAYS[c][1] for c in range(4)])[cls]
    lead = rng.integers(lo, hi + 1)
    bday = (sstart // DAY) - lead
    bat = bday * DAY + rng.integers(9 * HOUR, 17 * HOUR, m)
    bat = np.minimum(np.maximum(bat, w.avail_at[pat] + MINUTE), sstart - 10 * MINUTE)
    dna = rng.random(m) < q.dna_p[pat]
    dna_at = np.where(dna, sstart + rng.integers(15 * MINUTE, 31 * MINUTE, m), -1)
    w.attended[pat[~dna]] = True
    if dna.any():
        _after_dna(rng, w, pat[dna], dna_at[dna], d)
    return pat, slot, bat, dna_at


def _after_dna(
    rng: np.random.Generator, w: _Waiting, dp: np.ndarray, dna_at: np.ndarray, d: int
) -> None:
    """Most patients who did not attend are rebooked (up to their third DNA); the rest are
    discharged within the week."""
    w.dna_count[dp] += 1
    rebook = (rng.random(dp.size) < REBOOK_AFTER_DNA) & (w.dna_count[dp] < 3)
    rp = dp[rebook]
    w.avail_at[rp] = dna_at[rebook] + MINUTE
    w.cancel_day[rp] = np.maximum(w.cancel_day[rp], d + 1)
    w.rebook_patient = np.concatenate([w.rebook_patient, rp])
    w.rebook_ready = np.concatenate([w.rebook_ready, d + 1 + rng.integers(0, 9, rp.size)])
    gone = dp[~rebook]
    w.cancel_day[gone] = d + rng.integers(1, 8, gone.size)


def one_patient_at_a_time(
    planned: np.ndarray, duration: np.ndarray, room: np.ndarray
) -> np.ndarray:
    """Start times when each room scans one patient at a time.

    An exam starts at its planned time or when the room's previous exam completes, whichever
    is later, so a list whose exams run longer than their slots runs late rather than putting
    two patients in one scanner. With D the room's running total of durations, the k-th exam
    completes at D_k + max over j <= k of (planned_j - D_(j-1)): one running maximum per room.
    """
    n = planned.size
    if n == 0:
        return planned.copy()
    order = np.lexsort((planned, room))
    p, d, r = planned[order], duration[order], room[order]
    first = np.ones(n, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    group = np.cumsum(first) - 1
    total = np.cumsum(d)
    before = total - d  # durations of earlier exams, over every room
    total_in_room = total - before[first][group]
    lead = p - (total_in_room - d)
    # rooms follow one another in `order`: lifting each room above the last keeps the running
    # maximum inside its room
    lift = np.int64(1) << 40
    base = group.astype(np.int64) * lift
    running = np.maximum.accumulate(lead - lead.min() + base) - base + lead.min()
    start = np.empty(n, dtype=planned.dtype)
    start[order] = running + total_in_room - d
    return start
