"""One trust's simulation: its requests, appointment books and queues, exams, reports and
actors, and the exams, events and slots of the truth (ingest/synth/simulate.py says how the
network is run). Each concern draws from its own random stream, in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.contract import MODALITIES

from .actors import draw_actors
from .capacity import (
    NEVER,
    BookingResult,
    Queue,
    Slots,
    base_slots,
    one_patient_at_a_time,
    run_queue,
)
from .demand import CAT_UNSCHEDULED, DAY, HOUR, MINUTE, PRIO, Requests, generate_requests
from .demand import stream_volumes as _stream_volumes
from .network import (
    CANCEL_WHILE_WAITING,
    DNA_RATE,
    PROFILES,
    Reference,
    session_templates,
    trust_sites,
)
from .reporting import ExamsToReport, ReportingDays, Reports, report_exams
from .scenarios import Scenario, demand_factor_by_day, reporting_factor_by_day
from .trust_state import Bookings, Rooms, Selection, SimDays, Streams, Times, TrustRun
from .truth_rows import (
    event_rows,
    exam_columns,
    place_at_latest_booking,
    slots_in_window,
    status_at_end,
)

ENTERED_IN_ERROR_SHARE = 0.3  # of the requests leaving the list unseen (some 0.3% of all requests)


@dataclass
class TrustResult:
    code: str
    exams: dict  # column -> numpy codes/values or pyarrow string arrays
    events: dict  # compact arrays, already in output order
    slots: dict
    rooms: list[str]
    sites: list[str]


def _durations(rng: np.random.Generator, typical_min: np.ndarray) -> np.ndarray:
    d = rng.lognormal(np.log(typical_min), 0.25)
    return (np.clip(d, 0.4 * typical_min, 3 * typical_min) * MINUTE).astype(np.int64)


def simulate_trust(
    code: str,
    seq: np.random.SeedSequence,
    ref: Reference,
    scale: float,
    days: SimDays,
    scenarios: Sequence[Scenario] = (),
) -> TrustResult:
    profile = PROFILES[code]
    rng = Streams(*(np.random.default_rng(s) for s in seq.spawn(6)))
    req = _requests(rng.demand, code, ref, scale, days, scenarios)
    t = TrustRun(code, profile, ref, scale, days, trust_sites(ref, code), Rooms(), req)
    typical = ref.procedures["typical_duration_minutes"].to_numpy()[req.proc]
    unsched = req.category == CAT_UNSCHEDULED
    ready = np.maximum(req.received, req.vetted)  # a request can be booked once vetted
    times = Times.none(req.size)
    _unscheduled_exams(rng.exam, t, unsched, typical, ready, times)
    book = _elective_bookings(rng.capacity, t, unsched, ready, times)
    _attended_exams(rng.exam, book, typical, len(t.rooms.names), times)
    _enter_some_in_error(seq, times)
    rep = _reports(rng.reporting, t, unsched, times.completed, scenarios)
    actors = draw_actors(rng.actors, profile, req, times.started, rep)
    chosen = _select(t, times, rep, book)
    events = event_rows(t, times, rep, actors, book, chosen)
    status = status_at_end(req.size, times, rep, book, days.end_cut)
    place_at_latest_booking(book, days.end_cut, times)
    exams = exam_columns(rng.patients, t, chosen, times, status)
    slots_out = slots_in_window(book, chosen, days)
    return TrustResult(code, exams, events, slots_out, t.rooms.names, t.sites)


def _requests(
    r_dem: np.random.Generator,
    code: str,
    ref: Reference,
    scale: float,
    days: SimDays,
    scenarios: Sequence[Scenario],
) -> Requests:
    surge = None
    if any(s.trust == code and s.demand_factor != 1.0 for s in scenarios):
        surge = demand_factor_by_day(scenarios, code, np.arange(days.first, days.end + 1))
    return generate_requests(r_dem, PROFILES[code], ref, scale, days.first, days.end, days.start,
                             surge)  # fmt: skip


def _unscheduled_exams(
    r_exam: np.random.Generator,
    t: TrustRun,
    unsched: np.ndarray,
    typical: np.ndarray,
    ready: np.ndarray,
    times: Times,
) -> None:
    """ED exams 24/7 within hours, inpatients' within 0-2 days in the day, in acute rooms."""
    req = t.req
    ui = np.flatnonzero(unsched)
    is_ed = req.priority == PRIO["ed"]
    med = np.array([40, 120, 50, 180, 120, 180, 180, 60, 60, 120])[req.modality[ui]] * MINUTE
    ed_u = is_ed[ui]
    wait = np.minimum(r_exam.lognormal(np.log(med), 0.6), 12 * HOUR).astype(np.int64)
    st = req.requested[ui] + np.maximum(wait, 10 * MINUTE)
    ip_off = r_exam.choice(3, ui.size, p=[0.55, 0.35, 0.10])
    ip_same = req.requested[ui] + np.minimum(r_exam.lognormal(np.log(3 * HOUR), 0.6),
                                             20 * HOUR).astype(np.int64)  # fmt: skip
    ip_day = (req.requested[ui] // DAY + ip_off) * DAY + r_exam.integers(8 * HOUR, 19 * HOUR,
                                                                         ui.size)  # fmt: skip
    st = np.where(ed_u, st, np.where(ip_off == 0, ip_same, ip_day))
    st = np.maximum(st, ready[ui] + 10 * MINUTE)
    times.started[ui] = st
    times.arrived[ui] = np.maximum(st - r_exam.integers(2 * MINUTE, 11 * MINUTE, ui.size),
                                   ready[ui] + MINUTE)  # fmt: skip
    times.completed[ui] = st + _durations(r_exam, typical[ui])
    acute_tab = _acute_rooms(t.rooms)
    times.room[ui] = acute_tab[req.modality[ui], ed_u.astype(np.int64)]


def _acute_rooms(rooms: Rooms) -> np.ndarray:
    """Room per modality and [not ED, ED]: X-ray has an ED room of its own."""
    acute = {}
    for mi, m in enumerate(MODALITIES):
        acute[(mi, True)] = rooms.id(f"{m}-ED" if m == "XR" else f"{m}-ACUTE")
        acute[(mi, False)] = rooms.id(f"{m}-ACUTE")
    return np.array(
        [[acute[(mi, False)], acute[(mi, True)]] for mi in range(len(MODALITIES))], dtype=np.int32
    )


def _elective_bookings(
    r_cap: np.random.Generator, t: TrustRun, unsched: np.ndarray, ready: np.ndarray, times: Times
) -> Bookings:
    """Appointment books and waiting-list queues, modality by modality; patients who cancel
    while still waiting get their `cancelled` time."""
    vols = _stream_volumes(t.profile, t.ref, t.scale)
    hols = t.ref.holidays
    holidays = np.fromiter(hols, dtype=np.int64) if hols else np.empty(0, np.int64)
    site_index = {s: i for i, s in enumerate(t.sites)}
    slot_parts: list[tuple[int, Slots]] = []
    n_slots = 0
    bk_exam, bk_slot, bk_at, bk_dna = [], [], [], []
    for mi, m in enumerate(MODALITIES):
        ei = np.flatnonzero(~unsched & (t.req.modality == mi))
        slots = _base_slots(r_cap, t, m, vols, site_index, holidays)
        if ei.size == 0 or slots.size == 0:
            if slots.size:
                slot_parts.append((mi, slots))
                n_slots += slots.size
            continue
        res = _run_queue(r_cap, t, m, ei, ready, slots)
        all_slots = Slots(
            np.concatenate([slots.start, res.extra.start]),
            np.concatenate([slots.minutes, res.extra.minutes]),
            np.concatenate([slots.site, res.extra.site]),
            np.concatenate([slots.room, res.extra.room]),
            np.concatenate([slots.blocked, res.extra.blocked]),
        )
        slot_parts.append((mi, all_slots))
        bk_exam.append(ei[res.patient])
        bk_slot.append(res.slot + n_slots)
        bk_at.append(res.booked_at)
        bk_dna.append(res.dna_at)
        n_slots += all_slots.size
        _cancel_never_seen(r_cap, res, ei, ready, t.days.horizon, times)
    return Bookings(
        Slots(*(np.concatenate([getattr(s, f) for _, s in slot_parts])
                for f in ("start", "minutes", "site", "room", "blocked"))),
        np.concatenate([np.full(s.size, mi, dtype=np.int8) for mi, s in slot_parts]),
        np.concatenate(bk_exam), np.concatenate(bk_slot), np.concatenate(bk_at),
        np.concatenate(bk_dna),
    )  # fmt: skip


def _base_slots(
    r_cap: np.random.Generator,
    t: TrustRun,
    m: str,
    vols: dict,
    site_index: dict[str, int],
    holidays: np.ndarray,
) -> Slots:
    """The modality's sessions, sized to its demand and the trust's capacity ratio, as slots."""
    ratio = t.profile.capacity_ratio(m)
    weekly = vols[m][2] / 365.0 * 7.0 * 1.05 * 1.03  # DNA rebooks, bank holidays
    sessions = session_templates(
        t.sites, m, ratio * weekly / (1 - 0.03), t.ref.slot_minutes[m], strained=ratio < 0.95
    )
    for s in sessions:
        t.rooms.id(s.room)
    return base_slots(r_cap, sessions, site_index, t.rooms.index, t.ref.slot_minutes[m],
                      t.days.first, t.days.horizon, holidays)  # fmt: skip


def _run_queue(
    r_cap: np.random.Generator,
    t: TrustRun,
    m: str,
    ei: np.ndarray,
    ready: np.ndarray,
    slots: Slots,
) -> BookingResult:
    """The modality's elective requests `ei` queued for its slots by priority."""
    req = t.req
    prio = req.priority[ei]
    qclass = np.select(
        [prio == PRIO["planned"], prio == PRIO["suspected_cancer"], prio == PRIO["urgent"]],
        [0, 1, 2],
        default=3,
    ).astype(np.int8)
    cancel = np.where(
        r_cap.random(ei.size) < CANCEL_WHILE_WAITING,
        req.ready_day[ei] + r_cap.integers(1, 45, ei.size),
        NEVER,
    )
    src_u, src_inv = np.unique(req.source[ei], return_inverse=True)
    dna_p = np.array([DNA_RATE.get(str(x), 0.05) for x in src_u])[src_inv]
    q = Queue(
        ready_day=req.ready_day[ei],
        qclass=qclass,
        clock_day=req.requested[ei] // DAY,
        avail_at=ready[ei],
        cancel_day=cancel,
        dna_p=dna_p,
    )
    wli_rooms = sorted({(int(a), int(b)) for a, b in zip(slots.site, slots.room, strict=True)})
    return run_queue(r_cap, q, slots, t.days.first, t.days.horizon, t.profile.wli, wli_rooms,
                     t.ref.slot_minutes[m])  # fmt: skip


def _cancel_never_seen(
    r_cap: np.random.Generator,
    res: BookingResult,
    ei: np.ndarray,
    ready: np.ndarray,
    horizon_day: int,
    times: Times,
) -> None:
    never = ~res.attended & (res.cancel_day <= horizon_day)
    cd = res.cancel_day[never]
    times.cancelled[ei[never]] = np.maximum(
        cd * DAY + r_cap.integers(9 * HOUR, 17 * HOUR, cd.size), ready[ei[never]] + MINUTE
    )


def _attended_exams(
    r_exam: np.random.Generator, book: Bookings, typical: np.ndarray, n_rooms: int, times: Times
) -> None:
    """Arrival, start and end of the exams whose patient came to the booked slot."""
    att = book.dna < 0
    ae, a_start, a_at = book.exam[att], book.start[att], book.at[att]
    na = ae.size
    st = a_start + np.maximum(r_exam.normal(3, 4, na), 0).astype(np.int64) * MINUTE
    times.arrived[ae] = np.maximum(a_start - r_exam.integers(5 * MINUTE, 21 * MINUTE, na),
                                   a_at + MINUTE)  # fmt: skip
    took = _durations(r_exam, typical[ae])
    # a scanner holds one patient: an exam longer than its slot delays the room's next one
    a_slot = book.slot[att]
    a_room = book.slots.site[a_slot].astype(np.int64) * n_rooms + book.slots.room[a_slot]
    st = one_patient_at_a_time(st, took, a_room)
    times.started[ae] = st
    times.completed[ae] = st + took


def _enter_some_in_error(seq: np.random.SeedSequence, times: Times) -> None:
    """A few requests that leave the list unseen were entered in error (a duplicate order, the
    wrong patient): withdrawn at the same moment, as another event and status. Drawn from a
    stream of their own so that every other draw of the trust stays as it was."""
    r_eie = np.random.default_rng(seq.spawn(1)[0])
    n = times.cancelled.size
    entered_in_error = (times.cancelled >= 0) & (r_eie.random(n) < ENTERED_IN_ERROR_SHARE)
    times.withdrawn = np.where(entered_in_error, times.cancelled, -1)
    times.cancelled = np.where(entered_in_error, -1, times.cancelled)


def _reports(
    r_rep: np.random.Generator,
    t: TrustRun,
    unsched: np.ndarray,
    completed: np.ndarray,
    scenarios: Sequence[Scenario],
) -> Reports:
    req = t.req
    rclass = np.select(
        [unsched, np.isin(req.priority, [PRIO["suspected_cancer"], PRIO["urgent"]])], [0, 1], 2
    ).astype(np.int8)
    factor = reporting_factor_by_day(scenarios, t.code, t.days.first, t.days.horizon)
    is_ed = req.priority == PRIO["ed"]
    exams = ExamsToReport(req.modality.astype(np.int64), rclass, is_ed, completed)
    days = ReportingDays(first=t.days.first, last=t.days.horizon, demand_last=t.days.end)
    return report_exams(r_rep, t.profile, t.ref, exams, days, factor)


def _select(t: TrustRun, times: Times, rep: Reports, book: Bookings) -> Selection:
    req = t.req
    start_cut = t.days.start * DAY
    last_t = np.max(
        np.stack([req.requested, req.received, req.vetted, times.arrived, times.started,
                  times.completed, rep.prelim_at, rep.verified_at, rep.addendum_at,
                  times.cancelled, times.withdrawn]), axis=0
    )  # fmt: skip
    if book.exam.size:
        np.maximum.at(last_t, book.exam, np.maximum(book.at, book.dna))
    open_ = (rep.verified_at < 0) & (times.cancelled < 0) & (times.withdrawn < 0)
    include = (req.requested < t.days.end_cut) & ((last_t >= start_cut) | open_)
    del last_t
    rows = np.flatnonzero(include)
    row_of = np.full(req.size, -1, dtype=np.int64)
    row_of[rows] = np.arange(rows.size)
    return Selection(include, rows, row_of)
