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
    n = q.ready_day.size
    cancel_day = q.cancel_day.copy()
    avail_at = q.avail_at.copy()
    attended = np.zeros(n, dtype=bool)
    dna_count = np.zeros(n, dtype=np.int8)
    orders, ready_sorted, heads = [], [], []
    for c in range(4):
        idx = np.flatnonzero(q.qclass == c)
        o = idx[np.argsort(q.ready_day[idx], kind="stable")]
        orders.append(o)
        ready_sorted.append(q.ready_day[o])
        heads.append(0)
    # available base slots grouped by day
    avail = np.flatnonzero(~slots.blocked)
    avail_day = slots.start[avail] // DAY
    days = np.arange(first_day, last_day + 2, dtype=np.int64)
    bounds = np.searchsorted(avail_day, days)
    weekly_base = avail.size / max(1.0, (last_day - first_day + 1) / 7.0)
    extra_start: list[np.ndarray] = []
    extra_site: list[np.ndarray] = []
    extra_room: list[np.ndarray] = []
    extra_by_day: dict[int, np.ndarray] = {}
    n_extra = 0
    rb_pat = np.empty(0, dtype=np.int64)
    rb_ready = np.empty(0, dtype=np.int64)
    b_pat, b_slot, b_at, b_dna = [], [], [], []
    all_start = slots.start
    ex_all = np.empty(0, dtype=np.int64)

    for i, d in enumerate(range(first_day, last_day + 1)):
        day_slots = avail[bounds[i] : bounds[i + 1]]
        ex = extra_by_day.pop(d, None)
        if ex is not None:
            day_slots = np.concatenate([day_slots, ex])
        if wli and (d + 3) % 7 == 0 and wli_rooms:
            o3, h3 = orders[3], heads[3]
            j = h3
            while j < o3.size and cancel_day[o3[j]] <= d:
                j += 1
            if (
                j < o3.size
                and q.ready_day[o3[j]] <= d
                and d - q.clock_day[o3[j]] > WLI_TRIGGER_DAYS
            ):
                want = int(np.ceil(WLI_BOOST * weekly_base))
                st, si, ro = [], [], []
                got = 0
                for site_i, room_i in wli_rooms:
                    for wd, a, b in WLI_SESSIONS:
                        if got >= want:
                            break
                        k = (b - a) // slot_minutes
                        s = (d + wd) * DAY + (a + np.arange(k) * slot_minutes) * MINUTE
                        st.append(s)
                        si.append(np.full(k, site_i, dtype=np.int16))
                        ro.append(np.full(k, room_i, dtype=np.int32))
                        got += k
                if st:
                    s_all = np.concatenate(st)
                    gidx = slots.size + n_extra + np.arange(s_all.size)
                    extra_start.append(s_all)
                    extra_site.append(np.concatenate(si))
                    extra_room.append(np.concatenate(ro))
                    n_extra += s_all.size
                    ex_all = np.concatenate(extra_start)
                    sday = s_all // DAY
                    for dd in np.unique(sday):
                        extra_by_day[int(dd)] = np.concatenate(
                            [extra_by_day.get(int(dd), np.empty(0, dtype=np.int64)),
                             gidx[sday == dd]]
                        )  # fmt: skip
        cap = day_slots.size
        if cap == 0:
            continue
        served: list[np.ndarray] = []
        k = cap
        # planned exams due
        got, heads[0] = _take(orders[0], heads[0], np.searchsorted(ready_sorted[0], d, "right"),
                              k, d, cancel_day)  # fmt: skip
        served += got
        k = cap - sum(x.size for x in served)
        # rebooks after a DNA
        if rb_pat.size and k > 0:
            due = rb_ready <= d
            alive = cancel_day[rb_pat] > d
            cand = np.flatnonzero(due & alive)[:k]
            served.append(rb_pat[cand])
            keep = np.ones(rb_pat.size, dtype=bool)
            keep[cand] = False
            keep &= alive
            rb_pat, rb_ready = rb_pat[keep], rb_ready[keep]
            k -= cand.size
        for c in (1, 2, 3):
            if k <= 0:
                break
            got, heads[c] = _take(
                orders[c], heads[c], np.searchsorted(ready_sorted[c], d, "right"), k, d, cancel_day
            )
            served += got
            k = cap - sum(x.size for x in served)
        if not served:
            continue
        pat = np.concatenate(served)
        m = pat.size
        if m == 0:
            continue
        slot = day_slots[rng.permutation(cap)[:m]]
        sidx = slot - slots.size
        sstart = np.where(slot < slots.size, all_start[np.minimum(slot, slots.size - 1)], 0)
        if (slot >= slots.size).any():
            sstart = np.where(slot < slots.size, sstart, ex_all[np.maximum(sidx, 0)])
        cls = q.qclass[pat]
        lo = np.array([LEAD_DAYS[c][0] for c in range(4)])[cls]
        hi = np.array([LEAD_DAYS[c][1] for c in range(4)])[cls]
        lead = rng.integers(lo, hi + 1)
        bday = (sstart // DAY) - lead
        bat = bday * DAY + rng.integers(9 * HOUR, 17 * HOUR, m)
        bat = np.minimum(np.maximum(bat, avail_at[pat] + MINUTE), sstart - 10 * MINUTE)
        dna = rng.random(m) < q.dna_p[pat]
        dna_at = np.where(dna, sstart + rng.integers(15 * MINUTE, 31 * MINUTE, m), -1)
        b_pat.append(pat)
        b_slot.append(slot)
        b_at.append(bat)
        b_dna.append(dna_at)
        attended[pat[~dna]] = True
        if dna.any():
            dp = pat[dna]
            dna_count[dp] += 1
            rebook = (rng.random(dp.size) < REBOOK_AFTER_DNA) & (dna_count[dp] < 3)
            rp = dp[rebook]
            avail_at[rp] = dna_at[dna][rebook] + MINUTE
            cancel_day[rp] = np.maximum(cancel_day[rp], d + 1)
            rb_pat = np.concatenate([rb_pat, rp])
            rb_ready = np.concatenate([rb_ready, d + 1 + rng.integers(0, 9, rp.size)])
            gone = dp[~rebook]
            cancel_day[gone] = d + rng.integers(1, 8, gone.size)
    if extra_start:
        es = np.concatenate(extra_start)
        extra = Slots(es, np.full(es.size, slot_minutes, dtype=np.int32),
                      np.concatenate(extra_site), np.concatenate(extra_room),
                      np.zeros(es.size, dtype=bool))  # fmt: skip
    else:
        extra = Slots(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int16),
                      np.empty(0, np.int32), np.empty(0, bool))  # fmt: skip

    def cat(xs, dt):
        return np.concatenate(xs).astype(dt) if xs else np.empty(0, dtype=dt)

    return BookingResult(
        patient=cat(b_pat, np.int64),
        slot=cat(b_slot, np.int64),
        booked_at=cat(b_at, np.int64),
        dna_at=cat(b_dna, np.int64),
        cancel_day=cancel_day,
        attended=attended,
        extra=extra,
    )


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
