"""One trust's simulation turned into the truth's rows (compact arrays): its events in output
order, each exam's status, site and room at the end of the window, its patient and referrer,
and the slots of the window."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import EVENTS, MODALITIES, STATUSES

from .actors import actor_codes
from .demand import DAY
from .local_time import local_to_utc
from .network import TRUST_ORDER
from .patients import choose_patients, make_pool
from .reporting import R_OUT, Reports
from .trust_state import Actors, Bookings, Selection, SimDays, Times, TrustRun

EV = {e: i for i, e in enumerate(EVENTS)}


def event_rows(
    t: TrustRun, times: Times, rep: Reports, actors: Actors, book: Bookings, chosen: Selection
) -> dict:
    """The truth's events, compact, in output order: event_at (UTC), then event_id."""
    parts = _event_parts(t, times, rep, actors, book, chosen)
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
    appt = e_appt[oo]
    appt_pos = np.flatnonzero(appt >= 0)
    return {
        "row": e_row[o2], "type": e_type[o2], "t": e_utc[o2], "appt_pos": appt_pos,
        "appt_utc": local_to_utc(appt[appt_pos]), "actor": actor_codes(e_actor[oo]),
        "out": e_out[oo], "seq": e_seq_sorted[o2],
    }  # fmt: skip


def _event_parts(
    t: TrustRun, times: Times, rep: Reports, actors: Actors, book: Bookings, chosen: Selection
) -> list[tuple]:
    """Per event type: (exam row, type, local time, appointment, actor, outsourced)."""
    req, include, row_of = t.req, chosen.include, chosen.row_of
    n = req.size
    end_cut = t.days.end_cut
    parts = []

    def add(tt: np.ndarray, etype: int, actor: np.ndarray | None = None,
            outsourced: np.ndarray | None = None) -> None:  # fmt: skip
        m = (tt >= 0) & (tt < end_cut) & include
        k = int(m.sum())
        parts.append((
            row_of[m].astype(np.int32), np.full(k, etype, dtype=np.int8), tt[m],
            np.full(k, -1, dtype=np.int64),
            actor[m].astype(np.int16) if actor is not None else np.full(k, -1, dtype=np.int16),
            outsourced[m] if outsourced is not None else np.full(k, -1, dtype=np.int8),
        ))  # fmt: skip

    add(req.requested, EV["requested"])
    add(req.received, EV["request_received"])
    add(req.vetted, EV["vetted"])
    b_exam, b_at, b_dna = book.exam, book.at, book.dna
    bm = (b_at < end_cut) & include[b_exam]
    kb = int(bm.sum())
    parts.append((row_of[b_exam[bm]].astype(np.int32), np.full(kb, EV["booked"], dtype=np.int8),
                  b_at[bm], book.start[bm], np.full(kb, -1, dtype=np.int16),
                  np.full(kb, -1, dtype=np.int8)))  # fmt: skip
    dm = (b_dna >= 0) & (b_dna < end_cut) & include[b_exam]
    kd = int(dm.sum())
    parts.append((row_of[b_exam[dm]].astype(np.int32),
                  np.full(kd, EV["did_not_attend"], dtype=np.int8), b_dna[dm],
                  np.full(kd, -1, dtype=np.int64), np.full(kd, -1, dtype=np.int16),
                  np.full(kd, -1, dtype=np.int8)))  # fmt: skip
    add(times.arrived, EV["arrived"])
    add(times.started, EV["exam_started"], actors.started)
    add(times.completed, EV["exam_completed"])
    is_out = (rep.verified_kind == R_OUT).astype(np.int8)
    zeros8 = np.zeros(n, dtype=np.int8)
    add(rep.prelim_at, EV["reported_prelim"], actors.prelim, zeros8)
    add(rep.verified_at, EV["report_verified"], actors.verified, is_out)
    add(times.cancelled, EV["cancelled"])
    add(times.withdrawn, EV["entered_in_error"])
    add(rep.addendum_at, EV["addendum"], actors.addendum, zeros8)
    return parts


def status_at_end(n: int, times: Times, rep: Reports, book: Bookings, end_cut: int) -> np.ndarray:
    """Each request's status at the end of the window."""
    vis_b = book.at < end_cut
    last_b = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_b, book.exam[vis_b], book.at[vis_b])
    last_dna = np.full(n, -1, dtype=np.int64)
    vd = (book.dna >= 0) & (book.dna < end_cut)
    np.maximum.at(last_dna, book.exam[vd], book.dna[vd])

    def in_win(t: np.ndarray) -> np.ndarray:
        return (t >= 0) & (t < end_cut)

    return np.select(
        [in_win(times.withdrawn), in_win(times.cancelled), in_win(rep.verified_at),
         in_win(times.completed) | in_win(times.started) | in_win(times.arrived),
         (last_dna >= 0) & (last_dna > last_b), last_b >= 0],
        [STATUSES.index(s) for s in ("entered_in_error", "cancelled", "reported", "completed",
                                     "did_not_attend", "booked")],
        STATUSES.index("requested"),
    ).astype(np.int8)  # fmt: skip


def place_at_latest_booking(book: Bookings, end_cut: int, times: Times) -> None:
    """Site and room: those of the latest booking visible at the end of the window."""
    n = times.site.size
    vis_b = book.at < end_cut
    bo = np.lexsort((book.at, book.exam))
    bv = bo[vis_b[bo]]
    exam_site_b = np.full(n, -1, dtype=np.int64)
    exam_room_b = np.full(n, -1, dtype=np.int64)
    exam_site_b[book.exam[bv]] = book.slots.site[book.slot[bv]]  # later bookings overwrite
    exam_room_b[book.exam[bv]] = book.slots.room[book.slot[bv]]
    has_b = exam_site_b >= 0
    times.site = np.where(has_b, exam_site_b, times.site).astype(np.int16)
    times.room = np.where(has_b, exam_room_b, times.room).astype(np.int32)


def exam_columns(
    r_pat: np.random.Generator, t: TrustRun, chosen: Selection, times: Times, status: np.ndarray
) -> dict:
    """The truth's exams, compact: patients and referrers are drawn for these exams only."""
    req, sel = t.req, chosen.rows
    pool = make_pool(r_pat, t.code, int(req.size * 0.55), t.days.first, t.days.end,
                     t.profile.kind == "children")  # fmt: skip
    pat = _patients(r_pat, t, sel, pool)
    referrers = _referrers(r_pat, t.code, pool, pat, req.source[sel])
    acc = pc.binary_join_element_wise(t.code, pa.array(10_000_001 + sel).cast(pa.string()), "")
    return {
        "accession": acc,
        "site": times.site[sel],
        "room": times.room[sel],
        "modality": req.modality[sel],
        "proc": req.proc[sel],
        "priority": req.priority[sel],
        "source_code": np.searchsorted(
            np.array(["01", "02", "03", "04", "05", "06", "07"]), req.source[sel]
        ),
        "category": req.category[sel],
        **referrers,
        "nhs": pa.array(pool.nhs_number[pat]).cast(pa.string()),
        "nhs_status": np.searchsorted(
            np.array([f"0{i}" for i in range(1, 9)]), pool.nhs_status[pat]
        ),
        "birth": pool.birth_day[pat],
        "sex": np.searchsorted(np.array(["0", "1", "2", "9"]), pool.sex[pat]),
        "postcode": pa.array(pool.postcode.tolist(), pa.string()).take(pa.array(pat)),
        "ethnicity": np.searchsorted(np.array(list("ABCDEFGHJKLMNPRSZ")), pool.ethnicity[pat]),
        "clock": req.requested[sel] // DAY,
        "status": status[sel],
    }


def _patients(r_pat: np.random.Generator, t: TrustRun, sel: np.ndarray, pool) -> np.ndarray:
    """A patient from the pool for each of the truth's exams, modality by modality."""
    req = t.req
    m_sel = req.modality[sel]
    pat = np.zeros(sel.size, dtype=np.int64)
    obstetric = t.ref.procedures["nicip_code"].str.startswith(("UOB", "UPELT")).to_numpy()
    obst = obstetric[req.proc[sel]]
    rday = req.requested[sel] // DAY
    for mi, m in enumerate(MODALITIES):
        w = np.flatnonzero(m_sel == mi)
        if w.size:
            pat[w] = choose_patients(r_pat, pool, m, rday[w], t.profile.kind == "children",
                                     obst[w])  # fmt: skip
    return pat


def _referrers(
    r_pat: np.random.Generator, code: str, pool, pat: np.ndarray, src: np.ndarray
) -> dict[str, pa.Array]:
    """Referrer, referring organisation and GP practice: a GP of the patient's practice for a
    GP referral (source 04), else a consultant; another trust for source 06, else this one."""
    k = pat.size
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
    return {
        "referrer": ref_tab.take(pa.array(np.where(gp, gp_pick, cons_pick))),
        "ref_org": org_tab.take(pa.array(org_pick)),
        "gp": prac_tab.take(pa.array(prac)),
    }


def slots_in_window(book: Bookings, chosen: Selection, days: SimDays) -> dict:
    """The slots from the window's start to the end of the book, by start, site and room."""
    S = book.slots
    vis_b = book.at < days.end_cut
    s_day = S.start // DAY
    s_keep = (s_day >= days.start) & (s_day <= days.horizon)
    s_exam = np.full(S.size, -1, dtype=np.int64)
    s_exam[book.slot[vis_b]] = chosen.row_of[book.exam[vis_b]]
    s_state = np.where(S.blocked, 2, np.where(s_exam >= 0, 1, 0)).astype(np.int8)
    so = np.flatnonzero(s_keep)
    so = so[np.lexsort((S.room[so], S.site[so], S.start[so]))]
    return {
        "start": S.start[so], "minutes": S.minutes[so], "site": S.site[so], "room": S.room[so],
        "modality": book.slot_modality[so], "state": s_state[so], "exam": s_exam[so],
    }  # fmt: skip
