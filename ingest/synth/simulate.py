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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import (
    ACTIVITY_CATEGORIES,
    EVENTS,
    MODALITIES,
    PRIORITIES,
    SLOT_STATES,
    STATUSES,
    TRUTH_EVENTS,
    TRUTH_EXAMS,
    TRUTH_SLOTS,
)

from .capacity import NEVER, Queue, Slots, base_slots, one_patient_at_a_time, run_queue
from .demand import CAT_UNSCHEDULED, DAY, HOUR, MINUTE, PRIO, Requests, generate_requests
from .demand import stream_volumes as _stream_volumes
from .network import (
    CANCEL_WHILE_WAITING,
    DNA_RATE,
    PROFILES,
    TRUST_ORDER,
    Reference,
    load_reference,
    session_templates,
    trust_sites,
)
from .patients import choose_patients, make_pool
from .reporting import R_OUT, R_RAD, R_RGR, R_SON, report_exams
from .scenarios import Scenario, reporting_factor_by_day

WARMUP_DAYS = 730
HORIZON_DAYS = 42
N_OUTSOURCED = 60
ENTERED_IN_ERROR_SHARE = 0.3  # of the requests leaving the list unseen (some 0.3% of all requests)
EV = {e: i for i, e in enumerate(EVENTS)}


@dataclass(frozen=True)
class Truth:
    exams: pd.DataFrame  # columns exactly ingest.contract.TRUTH_EXAMS, in order
    events: pd.DataFrame  # columns exactly TRUTH_EVENTS, sorted by trust_code, event_at, event_id
    slots: pd.DataFrame  # columns exactly TRUTH_SLOTS
    start: date
    end: date
    horizon_end: date


# --- time ------------------------------------------------------------------------------------


def _last_sunday(year: np.ndarray, month: int) -> np.ndarray:
    last = (
        (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(month, "M")
    ).astype("datetime64[D]").astype(np.int64) - 1
    wd = (last + 3) % 7  # Monday = 0
    return last - (wd + 1) % 7


def local_to_utc(t: np.ndarray) -> np.ndarray:
    """Local Europe/London wall-clock seconds -> UTC seconds (monotone non-decreasing).

    Ambiguous autumn times take the first (BST) reading; times in the missing spring hour
    collapse onto the instant the clocks went forward.
    """
    t = np.asarray(t, dtype=np.int64)
    valid = t >= 0
    years = (np.where(valid, t, 0) // DAY).astype("datetime64[D]").astype("datetime64[Y]")
    year = years.astype(np.int64) + 1970
    y0 = int(year.min()) if year.size else 1970
    ys = np.arange(y0, (int(year.max()) if year.size else 1970) + 1)
    yi = year - y0
    bst_on = (_last_sunday(ys, 3) * DAY + HOUR)[yi]
    bst_off = (_last_sunday(ys, 10) * DAY + 2 * HOUR)[yi]
    bst = (t >= bst_on) & (t < bst_off)
    out = t - np.where(bst, HOUR, 0)
    gap = (t >= bst_on) & (t < bst_on + HOUR)
    out = np.where(gap, bst_on, out)
    return np.where(valid, out, -1)


# --- one trust ---------------------------------------------------------------------------------


@dataclass
class TrustResult:
    code: str
    exams: dict  # column -> numpy codes/values or pyarrow string arrays
    events: dict  # compact arrays, already in output order
    slots: dict
    rooms: list[str]
    sites: list[str]


def _actor_counts(profile) -> tuple[int, int, int, int]:
    """Radiologists, reporting radiographers, sonographers, radiographers of a trust."""
    return (
        max(4, profile.annual_exams // 15_000),
        max(2, profile.annual_exams // 50_000),
        max(3, int(profile.annual_exams * profile.mix["US"]) // 5_000),
        max(5, profile.annual_exams // 8_000),
    )


def _actor_table() -> tuple[list[str], np.ndarray]:
    """Network-wide actor id vocabulary and the offset of each kind (RAD, RGR, SON, RGP, OUT)."""
    counts = np.array([_actor_counts(p) for p in PROFILES.values()]).max(axis=0)
    names: list[str] = []
    offsets = []
    for prefix, k in zip(("RAD", "RGR", "SON", "RGP", "OUT"), [*counts, N_OUTSOURCED],
                         strict=True):  # fmt: skip
        offsets.append(len(names))
        names += [f"{prefix}{i:03d}" for i in range(1, int(k) + 1)]
    return names, np.array(offsets, dtype=np.int64)


def _durations(rng: np.random.Generator, typical_min: np.ndarray) -> np.ndarray:
    d = rng.lognormal(np.log(typical_min), 0.25)
    return (np.clip(d, 0.4 * typical_min, 3 * typical_min) * MINUTE).astype(np.int64)


def _simulate_trust(
    code: str,
    seq: np.random.SeedSequence,
    ref: Reference,
    scale: float,
    first_day: int,
    start_day: int,
    end_day: int,
    horizon_day: int,
    scenarios: Sequence[Scenario] = (),
) -> TrustResult:
    profile = PROFILES[code]
    r_dem, r_cap, r_exam, r_rep, r_pat, r_misc = (np.random.default_rng(s) for s in seq.spawn(6))
    sites = trust_sites(ref, code)
    site_index = {s: i for i, s in enumerate(sites)}
    rooms: list[str] = []
    room_index: dict[str, int] = {}

    def room_id(name: str) -> int:
        if name not in room_index:
            room_index[name] = len(rooms)
            rooms.append(name)
        return room_index[name]

    req: Requests = generate_requests(r_dem, profile, ref, scale, first_day, end_day, start_day)
    n = req.size
    proc = ref.procedures
    typical = proc["typical_duration_minutes"].to_numpy()[req.proc]
    unsched = req.category == CAT_UNSCHEDULED
    holidays = np.fromiter(ref.holidays, dtype=np.int64) if ref.holidays else np.empty(0, np.int64)

    exam_site = np.zeros(n, dtype=np.int16)
    exam_room = np.full(n, -1, dtype=np.int32)
    arrived = np.full(n, -1, dtype=np.int64)
    started = np.full(n, -1, dtype=np.int64)
    completed = np.full(n, -1, dtype=np.int64)
    cancelled = np.full(n, -1, dtype=np.int64)
    pre_t = np.maximum(req.received, req.vetted)

    # --- unscheduled: ED 24/7 within hours, inpatients within 0-2 days in the day
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
    st = np.maximum(st, pre_t[ui] + 10 * MINUTE)
    started[ui] = st
    arrived[ui] = np.maximum(st - r_exam.integers(2 * MINUTE, 11 * MINUTE, ui.size),
                             pre_t[ui] + MINUTE)  # fmt: skip
    completed[ui] = st + _durations(r_exam, typical[ui])
    acute = {}
    for mi, m in enumerate(MODALITIES):
        acute[(mi, True)] = room_id(f"{m}-ED" if m == "XR" else f"{m}-ACUTE")
        acute[(mi, False)] = room_id(f"{m}-ACUTE")
    acute_tab = np.array(
        [[acute[(mi, False)], acute[(mi, True)]] for mi in range(len(MODALITIES))], dtype=np.int32
    )
    exam_room[ui] = acute_tab[req.modality[ui], ed_u.astype(np.int64)]

    # --- elective: appointment books and queues per modality
    vols = _stream_volumes(profile, ref, scale)
    slot_parts: list[tuple[int, Slots]] = []
    n_slots = 0
    bk_exam, bk_slot, bk_at, bk_dna = [], [], [], []
    for mi, m in enumerate(MODALITIES):
        ei = np.flatnonzero(~unsched & (req.modality == mi))
        ratio = profile.capacity_ratio(m)
        weekly = vols[m][2] / 365.0 * 7.0 * 1.05 * 1.03  # DNA rebooks, bank holidays
        sessions = session_templates(
            sites, m, ratio * weekly / (1 - 0.03), ref.slot_minutes[m], strained=ratio < 0.95
        )
        for s in sessions:
            room_id(s.room)
        slots = base_slots(r_cap, sessions, site_index, room_index, ref.slot_minutes[m],
                           first_day, horizon_day, holidays)  # fmt: skip
        if ei.size == 0 or slots.size == 0:
            if slots.size:
                slot_parts.append((mi, slots))
                n_slots += slots.size
            continue
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
            avail_at=pre_t[ei],
            cancel_day=cancel,
            dna_p=dna_p,
        )
        wli_rooms = sorted({(int(a), int(b)) for a, b in zip(slots.site, slots.room, strict=True)})
        res = run_queue(r_cap, q, slots, first_day, horizon_day, profile.wli, wli_rooms,
                        ref.slot_minutes[m])  # fmt: skip
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
        # cancellations of patients never seen
        never = ~res.attended & (res.cancel_day <= horizon_day)
        cd = res.cancel_day[never]
        cancelled[ei[never]] = np.maximum(
            cd * DAY + r_cap.integers(9 * HOUR, 17 * HOUR, cd.size), pre_t[ei[never]] + MINUTE
        )

    slot_mod = np.concatenate([np.full(s.size, mi, dtype=np.int8) for mi, s in slot_parts])
    S = Slots(*(np.concatenate([getattr(s, f) for _, s in slot_parts])
                for f in ("start", "minutes", "site", "room", "blocked")))  # fmt: skip
    b_exam = np.concatenate(bk_exam)
    b_slot = np.concatenate(bk_slot)
    b_at = np.concatenate(bk_at)
    b_dna = np.concatenate(bk_dna)
    b_start = S.start[b_slot]
    # attended bookings -> exam times
    att = b_dna < 0
    ae, a_start, a_at = b_exam[att], b_start[att], b_at[att]
    na = ae.size
    st = a_start + np.maximum(r_exam.normal(3, 4, na), 0).astype(np.int64) * MINUTE
    arrived[ae] = np.maximum(a_start - r_exam.integers(5 * MINUTE, 21 * MINUTE, na), a_at + MINUTE)
    took = _durations(r_exam, typical[ae])
    # a scanner holds one patient: an exam longer than its slot delays the room's next one
    a_room = S.site[b_slot[att]].astype(np.int64) * len(rooms) + S.room[b_slot[att]]
    st = one_patient_at_a_time(st, took, a_room)
    started[ae] = st
    completed[ae] = st + took

    # a few requests that leave the list unseen were entered in error (a duplicate order, the
    # wrong patient): withdrawn at the same moment, as another event and status. Drawn from a
    # stream of their own so that every other draw of the trust stays as it was.
    r_eie = np.random.default_rng(seq.spawn(1)[0])
    entered_in_error = (cancelled >= 0) & (r_eie.random(n) < ENTERED_IN_ERROR_SHARE)
    withdrawn = np.where(entered_in_error, cancelled, -1)
    cancelled = np.where(entered_in_error, -1, cancelled)

    # --- reporting
    rclass = np.select(
        [unsched, np.isin(req.priority, [PRIO["suspected_cancer"], PRIO["urgent"]])], [0, 1], 2
    ).astype(np.int8)
    factor = reporting_factor_by_day(scenarios, code, first_day, horizon_day)
    rep = report_exams(r_rep, profile, ref, req.modality.astype(np.int64), rclass, is_ed,
                       completed, first_day, horizon_day, end_day, factor)  # fmt: skip

    # --- actors: kind * 1000 + number (1-based); -1 none
    n_rad, n_rgr, n_son, n_rgp = _actor_counts(profile)
    is_us = req.modality == MODALITIES.index("US")
    is_ir = req.modality == MODALITIES.index("IR")
    op_rad = r_misc.integers(1, n_rad + 1, n)
    st_actor = np.where(
        is_us, 2000 + r_misc.integers(1, n_son + 1, n),
        np.where(is_ir, op_rad, 3000 + r_misc.integers(1, n_rgp + 1, n))
    )  # fmt: skip
    st_actor = np.where(started >= 0, st_actor, -1)

    def kind_actor(kind: np.ndarray) -> np.ndarray:
        a = np.full(n, -1, dtype=np.int64)
        a = np.where(kind == R_RAD, r_misc.integers(1, n_rad + 1, n), a)
        a = np.where(kind == R_RGR, 1000 + r_misc.integers(1, n_rgr + 1, n), a)
        a = np.where(kind == R_SON, 2000 + r_misc.integers(1, n_son + 1, n), a)
        a = np.where(kind == R_OUT, 4000 + r_misc.integers(1, N_OUTSOURCED + 1, n), a)
        return a

    v_actor = kind_actor(rep.verified_kind)
    same = ((rep.verified_kind == R_SON) & is_us) | (is_ir & (rep.verified_kind == R_RAD))
    v_actor = np.where(same & (st_actor > 0), st_actor, v_actor)
    p_actor = kind_actor(rep.prelim_kind)
    ad_actor = np.where(rep.verified_kind == R_OUT, r_misc.integers(1, n_rad + 1, n), v_actor)

    # --- which exams belong to the truth: requested by the end, active or open at the start
    end_cut = (end_day + 1) * DAY
    start_cut = start_day * DAY
    last_t = np.max(
        np.stack([req.requested, req.received, req.vetted, arrived, started, completed,
                  rep.prelim_at, rep.verified_at, rep.addendum_at, cancelled, withdrawn]), axis=0
    )  # fmt: skip
    if b_exam.size:
        np.maximum.at(last_t, b_exam, np.maximum(b_at, b_dna))
    open_ = (rep.verified_at < 0) & (cancelled < 0) & (withdrawn < 0)
    include = (req.requested < end_cut) & ((last_t >= start_cut) | open_)
    del last_t
    sel = np.flatnonzero(include)
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[sel] = np.arange(sel.size)

    # --- events: (exam row, type, local time, appointment, actor, outsourced)
    parts = []

    def add(t: np.ndarray, etype: int, actor: np.ndarray | None = None,
            outsourced: np.ndarray | None = None) -> None:  # fmt: skip
        m = (t >= 0) & (t < end_cut) & include
        k = int(m.sum())
        parts.append((
            row_of[m].astype(np.int32), np.full(k, etype, dtype=np.int8), t[m],
            np.full(k, -1, dtype=np.int64),
            actor[m].astype(np.int16) if actor is not None else np.full(k, -1, dtype=np.int16),
            outsourced[m] if outsourced is not None else np.full(k, -1, dtype=np.int8),
        ))  # fmt: skip

    add(req.requested, EV["requested"])
    add(req.received, EV["request_received"])
    add(req.vetted, EV["vetted"])
    bm = (b_at < end_cut) & include[b_exam]
    kb = int(bm.sum())
    parts.append((row_of[b_exam[bm]].astype(np.int32), np.full(kb, EV["booked"], dtype=np.int8),
                  b_at[bm], b_start[bm], np.full(kb, -1, dtype=np.int16),
                  np.full(kb, -1, dtype=np.int8)))  # fmt: skip
    dm = (b_dna >= 0) & (b_dna < end_cut) & include[b_exam]
    kd = int(dm.sum())
    parts.append((row_of[b_exam[dm]].astype(np.int32),
                  np.full(kd, EV["did_not_attend"], dtype=np.int8), b_dna[dm],
                  np.full(kd, -1, dtype=np.int64), np.full(kd, -1, dtype=np.int16),
                  np.full(kd, -1, dtype=np.int8)))  # fmt: skip
    add(arrived, EV["arrived"])
    add(started, EV["exam_started"], st_actor)
    add(completed, EV["exam_completed"])
    is_out = (rep.verified_kind == R_OUT).astype(np.int8)
    zeros8 = np.zeros(n, dtype=np.int8)
    add(rep.prelim_at, EV["reported_prelim"], p_actor, zeros8)
    add(rep.verified_at, EV["report_verified"], v_actor, is_out)
    add(cancelled, EV["cancelled"])
    add(withdrawn, EV["entered_in_error"])
    add(rep.addendum_at, EV["addendum"], ad_actor, zeros8)
    e_row, e_type, e_t, e_appt, e_actor, e_out = (np.concatenate([p[i] for p in parts])
                                                  for i in range(6))  # fmt: skip
    parts.clear()
    # sequence number per exam in time order
    o = np.lexsort((e_type, e_t, e_row))
    e_row, e_type, e_t = e_row[o], e_type[o], e_t[o]
    first = np.r_[True, e_row[1:] != e_row[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(e_row.size), 0))
    e_seq_sorted = (np.arange(e_row.size) - grp_start + 1).astype(np.int8)
    del first, grp_start
    e_utc = local_to_utc(e_t)
    del e_t
    # output order: event_at (UTC), then event_id (= exam row, sequence)
    o2 = np.lexsort((e_seq_sorted, e_row, e_utc))
    oo = o[o2]
    del o
    actor = e_actor[oo].astype(np.int64)
    kind = np.where(actor >= 0, actor // 1000, 0)
    _, a_off = _actor_table()
    acode = np.where(actor >= 0, a_off[kind] + actor % 1000 - 1, -1).astype(np.int16)
    del actor, kind
    appt = e_appt[oo]
    appt_pos = np.flatnonzero(appt >= 0)
    events = {
        "row": e_row[o2], "type": e_type[o2], "t": e_utc[o2], "appt_pos": appt_pos,
        "appt_utc": local_to_utc(appt[appt_pos]), "actor": acode, "out": e_out[oo], "seq": e_seq_sorted[o2],
    }  # fmt: skip
    del appt
    del e_row, e_type, e_utc, e_appt, e_actor, e_out, e_seq_sorted, o2, oo

    # --- status at the end of the window
    vis_b = b_at < end_cut
    last_b = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_b, b_exam[vis_b], b_at[vis_b])
    last_dna = np.full(n, -1, dtype=np.int64)
    vd = (b_dna >= 0) & (b_dna < end_cut)
    np.maximum.at(last_dna, b_exam[vd], b_dna[vd])

    def in_win(t: np.ndarray) -> np.ndarray:
        return (t >= 0) & (t < end_cut)

    status = np.select(
        [in_win(withdrawn), in_win(cancelled), in_win(rep.verified_at),
         in_win(completed) | in_win(started) | in_win(arrived),
         (last_dna >= 0) & (last_dna > last_b), last_b >= 0],
        [STATUSES.index(s) for s in ("entered_in_error", "cancelled", "reported", "completed",
                                     "did_not_attend", "booked")],
        STATUSES.index("requested"),
    ).astype(np.int8)  # fmt: skip
    # site/room: the latest booking visible at the end of the window
    bo = np.lexsort((b_at, b_exam))
    bv = bo[vis_b[bo]]
    exam_site_b = np.full(n, -1, dtype=np.int64)
    exam_room_b = np.full(n, -1, dtype=np.int64)
    exam_site_b[b_exam[bv]] = S.site[b_slot[bv]]  # later bookings overwrite earlier ones
    exam_room_b[b_exam[bv]] = S.room[b_slot[bv]]
    has_b = exam_site_b >= 0
    exam_site = np.where(has_b, exam_site_b, exam_site).astype(np.int16)
    exam_room = np.where(has_b, exam_room_b, exam_room).astype(np.int32)

    # --- patients and referrers (only for the exams in the truth)
    m_sel = req.modality[sel]
    pool = make_pool(r_pat, code, int(n * 0.55), first_day, end_day, profile.kind == "children")
    pat = np.zeros(sel.size, dtype=np.int64)
    obst = proc["nicip_code"].str.startswith(("UOB", "UPELT")).to_numpy()[req.proc[sel]]
    rday = req.requested[sel] // DAY
    for mi, m in enumerate(MODALITIES):
        w = np.flatnonzero(m_sel == mi)
        if w.size:
            pat[w] = choose_patients(r_pat, pool, m, rday[w], profile.kind == "children",
                                     obst[w])  # fmt: skip
    k = sel.size
    src = req.source[sel]
    gp = src == "04"
    prac = pool.gp_practice[pat]
    ref_tab = pa.array(np.concatenate([pool.gp_referrers, pool.consultants]).tolist(), pa.string())
    gp_pick = prac * pool.gp_per_practice + r_pat.integers(0, pool.gp_per_practice, k)
    cons_pick = pool.gp_referrers.size + r_pat.integers(0, pool.consultants.size, k)
    org_tab = pa.array(list(pool.practices) + list(TRUST_ORDER), pa.string())
    other = pool.practices.size + r_pat.integers(0, len(TRUST_ORDER), k)
    own = pool.practices.size + TRUST_ORDER.index(code)
    org_pick = np.where(gp, prac, np.where(src == "06", other, own))
    prac_tab = pa.array(pool.practices.tolist(), pa.string())
    acc = pc.binary_join_element_wise(code, pa.array(10_000_001 + sel).cast(pa.string()), "")
    exams = {
        "accession": acc,
        "site": exam_site[sel],
        "room": exam_room[sel],
        "modality": m_sel,
        "proc": req.proc[sel],
        "priority": req.priority[sel],
        "source_code": np.searchsorted(np.array(["01", "02", "03", "04", "05", "06", "07"]), src),
        "category": req.category[sel],
        "referrer": ref_tab.take(pa.array(np.where(gp, gp_pick, cons_pick))),
        "ref_org": org_tab.take(pa.array(org_pick)),
        "gp": prac_tab.take(pa.array(prac)),
        "nhs": pa.array(pool.nhs_number[pat]).cast(pa.string()),
        "nhs_status": np.searchsorted(
            np.array([f"0{i}" for i in range(1, 9)]), pool.nhs_status[pat]
        ),
        "birth": pool.birth_day[pat],
        "sex": np.searchsorted(np.array(["0", "1", "2", "9"]), pool.sex[pat]),
        "postcode": pa.array(pool.postcode.tolist(), pa.string()).take(pa.array(pat)),
        "ethnicity": np.searchsorted(np.array(list("ABCDEFGHJKLMNPRSZ")), pool.ethnicity[pat]),
        "clock": rday,
        "status": status[sel],
    }
    # slots in the published window: start .. horizon end
    s_day = S.start // DAY
    s_keep = (s_day >= start_day) & (s_day <= horizon_day)
    s_exam = np.full(S.size, -1, dtype=np.int64)
    s_exam[b_slot[vis_b]] = row_of[b_exam[vis_b]]
    s_state = np.where(S.blocked, 2, np.where(s_exam >= 0, 1, 0)).astype(np.int8)
    so = np.flatnonzero(s_keep)
    so = so[np.lexsort((S.room[so], S.site[so], S.start[so]))]
    slots_out = {
        "start": S.start[so], "minutes": S.minutes[so], "site": S.site[so], "room": S.room[so],
        "modality": slot_mod[so], "state": s_state[so], "exam": s_exam[so],
    }  # fmt: skip
    return TrustResult(code, exams, events, slots_out, rooms, sites)


# --- assembly ----------------------------------------------------------------------------------


def _cat(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=list(categories))


def _ts(utc: np.ndarray) -> pd.Series:
    """UTC seconds (-1 = none) -> datetime64[us, UTC]; reuses the input buffer."""
    us = np.asarray(utc, dtype=np.int64)
    missing = us < 0
    us *= 1_000_000
    us[missing] = np.iinfo(np.int64).min
    return pd.Series(pd.DatetimeIndex(us.view("datetime64[us]")).tz_localize("UTC"))


def _date32(days: np.ndarray) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(days.astype(np.int32), pa.date32())))


def _str(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(arr, dtype="str")


def _slot_stamp(local: np.ndarray) -> pa.Array:
    m = (local // 60).astype("datetime64[m]")
    d = m.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    mins = (m - d.astype("datetime64[m]")).astype(np.int64)
    num = y * 100_000_000 + mo * 1_000_000 + dd * 10_000 + (mins // 60) * 100 + mins % 60
    return pa.array(num).cast(pa.string())


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
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    wanted = list(TRUST_ORDER) if trusts is None else list(dict.fromkeys(trusts))
    unknown = [t for t in wanted if t not in PROFILES]
    if unknown:
        raise ValueError(f"unknown trust code(s): {', '.join(unknown)}")
    ref = load_reference(seeds_dir)
    horizon_end = end + timedelta(days=HORIZON_DAYS)
    first = start - timedelta(days=WARMUP_DAYS)
    day0 = int(np.datetime64(first, "D").astype(np.int64))
    d_start = int(np.datetime64(start, "D").astype(np.int64))
    d_end = int(np.datetime64(end, "D").astype(np.int64))
    d_hor = int(np.datetime64(horizon_end, "D").astype(np.int64))
    children = dict(zip(TRUST_ORDER, np.random.SeedSequence(seed).spawn(len(TRUST_ORDER)),
                        strict=True))  # fmt: skip
    results = [
        _simulate_trust(t, children[t], ref, scale, day0, d_start, d_end, d_hor, scenarios)
        for t in sorted(wanted)
    ]
    return _assemble(results, ref, start, end, horizon_end)


def _take_cols(results: list[TrustResult], part: str, name: str, dtype=None):
    """Concatenate one column over trusts, dropping the per-trust pieces as it goes."""
    pieces = [getattr(r, part).pop(name) for r in results]
    if pieces and isinstance(pieces[0], (pa.Array, pa.ChunkedArray)):
        return pa.chunked_array(pieces, type=pa.string())
    out = np.concatenate(pieces) if pieces else np.empty(0)
    return out.astype(dtype, copy=False) if dtype is not None else out


def _assemble(
    results: list[TrustResult], ref: Reference, start: date, end: date, horizon_end: date
) -> Truth:
    trusts = [r.code for r in results]
    all_sites = sorted({s for r in results for s in r.sites})
    all_rooms = sorted({x for r in results for x in r.rooms})
    nicip = ref.procedures["nicip_code"].tolist()
    actors, _ = _actor_table()
    # per-trust site/room codes -> network codes; exam row offsets
    offsets = np.cumsum([0] + [r.exams["site"].size for r in results])
    for r in results:
        site_map = np.array([all_sites.index(s) for s in r.sites], dtype=np.int32)
        room_map = np.array([all_rooms.index(x) for x in r.rooms] + [-1], dtype=np.int32)
        for part in (r.exams, r.slots):
            part["site"] = site_map[part["site"]]
            part["room"] = room_map[part["room"]]
    ex_n = [r.exams["site"].size for r in results]
    ev_n = [r.events["row"].size for r in results]
    sl_n = [r.slots["start"].size for r in results]
    trust_ex = np.repeat(np.arange(len(results), dtype=np.int32), ex_n)
    trust_ev = np.repeat(np.arange(len(results), dtype=np.int32), ev_n)
    trust_sl = np.repeat(np.arange(len(results), dtype=np.int32), sl_n)
    ev_off = np.cumsum([0] + ev_n)
    for r, off, eoff in zip(results, offsets, ev_off, strict=False):
        r.events["row"] = r.events["row"].astype(np.int64) + off
        r.events["appt_pos"] = r.events["appt_pos"] + eoff
        r.slots["exam"] = np.where(r.slots["exam"] >= 0, r.slots["exam"] + off, -1)

    def X(name, dtype=None):
        return _take_cols(results, "exams", name, dtype)

    acc_all = X("accession").combine_chunks()
    nic = X("proc", np.int64)
    exams = pd.DataFrame(
        {
            "trust_code": _cat(trust_ex, trusts),
            "accession": _str(acc_all),
            "site_code": _cat(X("site"), all_sites),
            "room": _cat(X("room"), all_rooms),
            "modality": _cat(X("modality"), MODALITIES),
            "nicip_code": _cat(nic, nicip),
            "local_procedure_code": _cat(nic, nicip),
            "priority": _cat(X("priority"), PRIORITIES),
            "patient_source_setting": _cat(
                X("source_code"), ("01", "02", "03", "04", "05", "06", "07")
            ),
            "activity_category": _cat(X("category"), ACTIVITY_CATEGORIES),
            "referrer_code": _str(X("referrer")),
            "referring_org_code": _str(X("ref_org")),
            "gp_practice_code": _str(X("gp")),
            "nhs_number": _str(X("nhs")),
            "nhs_number_status": _cat(X("nhs_status"), [f"0{i}" for i in range(1, 9)]),
            "birth_date": _date32(X("birth", np.int64)),
            "sex": _cat(X("sex"), ["0", "1", "2", "9"]),
            "postcode": _str(X("postcode")),
            "ethnicity": _cat(X("ethnicity"), list("ABCDEFGHJKLMNPRSZ")),
            "clock_start_date": _date32(X("clock", np.int64)),
            "status": _cat(X("status"), STATUSES),
        }
    )
    assert list(exams.columns) == list(TRUTH_EXAMS)

    # --- events
    def E(name, dtype=None):
        return _take_cols(results, "events", name, dtype)

    # event ids trust by trust (keeps the temporary accession strings small)
    id_chunks = []
    for r in results:
        acc_t = pc.take(acc_all, pa.array(r.events["row"]))
        seq_t = pc.utf8_lpad(pa.array(r.events.pop("seq")).cast(pa.string()), 2, "0")
        id_chunks.append(pc.binary_join_element_wise(acc_t, seq_t, "-"))
        del acc_t, seq_t
    ev_id = pa.chunked_array(id_chunks, type=pa.string())
    del id_chunks
    row = E("row", np.int64)
    events = pd.DataFrame({"trust_code": _cat(trust_ev, trusts)})
    del trust_ev
    # accession as a categorical over the exams' accessions (lean: 35M rows, 5M values)
    events["accession"] = pd.Categorical.from_codes(
        row.astype(np.int32), dtype=pd.CategoricalDtype(pd.Index(_str(acc_all)), ordered=False)
    )
    del row
    events["event_id"] = _str(ev_id)
    del ev_id
    events["event"] = _cat(E("type"), EVENTS)
    events["event_at"] = _ts(E("t", np.int64))
    appt = np.full(len(events), -1, dtype=np.int64)
    appt[E("appt_pos", np.int64)] = E("appt_utc", np.int64)
    events["appointment_at"] = _ts(appt)
    del appt
    events["actor_id"] = _cat(E("actor"), actors)
    out = E("out", np.int8)
    flag = pd.array(out == 1, dtype="boolean")
    flag[out < 0] = pd.NA
    events["actor_outsourced"] = flag
    del out, flag
    # the simulation withdraws nothing; the generator may (defects.withdraw_reports)
    events["withdrawn_at"] = _ts(np.full(len(events), -1, dtype=np.int64))
    assert list(events.columns) == list(TRUTH_EVENTS)

    # --- slots
    def L(name, dtype=None):
        return _take_cols(results, "slots", name, dtype)

    s_site = L("site", np.int32)
    s_room = L("room", np.int32)
    s_start = L("start", np.int64)
    site_str = pc.take(pa.array(all_sites, pa.string()), pa.array(s_site))
    room_str = pc.take(pa.array(all_rooms, pa.string()), pa.array(s_room))
    slot_id = pc.binary_join_element_wise(site_str, room_str, _slot_stamp(s_start), "-")
    acc_row = L("exam", np.int64)
    s_acc = pc.take(acc_all, pa.array(np.where(acc_row >= 0, acc_row, 0)))
    s_acc = pc.if_else(pa.array(acc_row >= 0), s_acc, pa.scalar(None, pa.string()))
    slots = pd.DataFrame(
        {
            "trust_code": _cat(trust_sl, trusts),
            "slot_id": _str(slot_id),
            "site_code": _cat(s_site, all_sites),
            "room": _cat(s_room, all_rooms),
            "modality": _cat(L("modality"), MODALITIES),
            "slot_start": _ts(local_to_utc(s_start)),
            "slot_minutes": L("minutes", np.int32),
            "state": _cat(L("state"), SLOT_STATES),
            "accession": _str(s_acc),
        }
    )
    assert list(slots.columns) == list(TRUTH_SLOTS)
    return Truth(exams=exams, events=events, slots=slots, start=start, end=end,
                 horizon_end=horizon_end)  # fmt: skip
