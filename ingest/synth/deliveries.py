"""What each trust sends, night by night, computed from the ground truth.

A trust delivers at 02:00 local on the mornings from `start + 1` to `end + 1` (weekly trusts every
`delivery_every_days`, with a last delivery on `end + 1`). A delivery covers everything up to the
end of the previous local day; the first one also carries the history of exams open at `start`.

- delta mode: what happened since the previous extract (a skipped night rolls into the next);
- snapshot mode: every exam with activity in the last `snapshot_days` days (overlapping), with
  all its events (an event log's snapshot too: a snapshot is authoritative for its exams).

An event the RIS withdrew (truth `withdrawn_at`, e.g. a report taken back) is in the deliveries
extracted before it was withdrawn and in none after; the withdrawal is activity on its exam, so
a wide feed re-sends the exam with the cell empty (delta or snapshot) and a snapshot re-sends
the exam without the event. Only feeds that can say so get withdrawals (defects.py).

Wide families (wide CSV, Excel) get one row per exam touched in the period with its state as at
the extract; the event log and HL7 one row / message per event. Slot extracts hold the slots that
entered the 42-day booking horizon, were booked, or took place in the period (latest state wins).

Everything here is vectorised over a whole trust: rows carry the index `k` of their delivery and
are sorted by it, so each delivery is a contiguous slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.contract import EVENTS
from ingest.feeds.spec import FeedSpec

from .writers._format import NAT, US_PER_DAY

LONDON = "Europe/London"
HORIZON_DAYS = 42
EXTRACT_HOUR = 2
EV = {e: i for i, e in enumerate(EVENTS)}

# Exam status implied by the last event recorded (in the RIS's own order).
STATUS_OF_EVENT = {
    "requested": "requested", "request_received": "requested", "vetted": "requested",
    "booked": "booked", "arrived": "completed", "exam_started": "completed",
    "exam_completed": "completed", "reported_prelim": "completed",
    "report_verified": "reported", "addendum": "reported", "cancelled": "cancelled",
    "did_not_attend": "did_not_attend", "entered_in_error": "entered_in_error",
}  # fmt: skip
STATUS_TABLE = pa.array([STATUS_OF_EVENT[e] for e in EVENTS], pa.string())

# Wide columns holding the latest timestamp of an event type (report_verified: the first).
WIDE_TS = {
    "requested_at": "requested", "request_received_at": "request_received",
    "vetted_at": "vetted", "booked_at": "booked", "arrived_at": "arrived",
    "exam_started_at": "exam_started", "exam_completed_at": "exam_completed",
    "reported_prelim_at": "reported_prelim", "report_verified_at": "report_verified",
    "cancelled_at": "cancelled", "did_not_attend_at": "did_not_attend",
    "addendum_at": "addendum",
}  # fmt: skip


# --- delivery calendar ------------------------------------------------------------------------


def local_instant_us(d: date, hour: int = 0, tz: str = LONDON) -> int:
    """UTC microseconds of wall-clock `hour`:00 on local date `d`."""
    ts = pd.Timestamp(datetime.combine(d, time(hour))).tz_localize(
        tz, ambiguous=True, nonexistent="shift_forward"
    )
    return int(ts.value) // 1000  # .value is always nanoseconds


@dataclass(frozen=True)
class Delivery:
    k: int
    night: date  # the delivery morning; it covers local days before this date
    extract_at: pd.Timestamp  # 02:00 local on `night`, tz-aware UTC
    cutoff_us: int  # UTC microseconds of local midnight starting `night`


def delivery_nights(start: date, end: date, every_days: int = 1,
                    skip: Iterable[date] = ()) -> list[date]:  # fmt: skip
    """Delivery mornings: start+every, start+2*every, ... <= end+1, and always end+1."""
    last = end + timedelta(days=1)
    nights = []
    d = start + timedelta(days=every_days)
    while d <= last:
        nights.append(d)
        d += timedelta(days=every_days)
    if not nights or nights[-1] != last:
        nights.append(last)
    skip = set(skip)
    return [n for n in nights if n not in skip]


def make_deliveries(nights: list[date]) -> list[Delivery]:
    out = []
    for k, n in enumerate(nights):
        x = pd.Timestamp(local_instant_us(n, EXTRACT_HOUR), unit="us", tz="UTC")
        out.append(Delivery(k, n, x, local_instant_us(n)))
    return out


# --- one trust's truth as arrays ----------------------------------------------------------------


def _ts_us(s: pd.Series) -> np.ndarray:
    v = s.dt.tz_convert("UTC").dt.as_unit("us") if s.dt.tz is not None else s.dt.as_unit("us")
    arr = v.to_numpy(dtype="datetime64[us]").astype(np.int64)
    arr[pd.isna(s).to_numpy()] = NAT
    return arr


def _days(s: pd.Series) -> np.ndarray:
    a = pa.array(s)
    if pa.types.is_timestamp(a.type):
        a = a.cast(pa.date32())
    v = a.cast(pa.int32()).to_numpy(zero_copy_only=False)
    v = np.asarray(v, dtype=np.float64)
    return np.where(np.isnan(v), NAT, v).astype(np.int64)


def _strs(s: pd.Series) -> pa.Array:
    a = pa.array(s, from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if pa.types.is_dictionary(a.type):
        a = a.dictionary_decode()
    if a.type != pa.string():
        a = a.cast(pa.string())
    return a


@dataclass
class TrustSlice:
    code: str
    exams: dict  # canonical exam attribute columns (pa string arrays / int64 days), by position
    n_exams: int
    ev_exam: np.ndarray  # exam position of each event, events sorted by (exam, RIS order)
    ev_type: np.ndarray  # index into EVENTS
    ev_t: np.ndarray  # UTC us
    ev_appt: np.ndarray
    ev_actor: pa.Array
    ev_out: np.ndarray  # int8, -1 unknown
    ev_id: pa.Array
    ev_withdrawn: np.ndarray  # UTC us the RIS withdrew the event, NAT if never
    slots: pd.DataFrame
    slot_text: dict  # slot_id, site_code, room, modality as pa string arrays
    sl_start: np.ndarray
    exam_first: np.ndarray = field(default=None)  # first event row of each exam (or -1)
    wide_marks: dict = field(default_factory=dict)  # wide column -> its events' rows (_marked)


def trust_slice(exams: pd.DataFrame, events: pd.DataFrame, slots: pd.DataFrame, code: str,
                procedure_names: dict[str, str]) -> TrustSlice:  # fmt: skip
    """Arrays of one trust's truth; `events` rows must be in the RIS's recording order."""
    ex = exams.sort_values("accession", kind="stable").reset_index(drop=True)
    cols: dict = {}
    cols["accession"] = _strs(ex["accession"])
    cols["procedure_code"] = _strs(ex["local_procedure_code"])
    nic = ex["nicip_code"].astype(object)
    cols["nicip_code"] = _strs(nic)
    cols["procedure_name"] = _strs(nic.map(procedure_names))
    for c in ("modality", "site_code", "room", "priority", "patient_source_setting",
              "activity_category", "referrer_code", "referring_org_code", "gp_practice_code",
              "nhs_number", "nhs_number_status", "sex", "postcode", "ethnicity", "status"):  # fmt: skip
        cols[c] = _strs(ex[c])
    cols["birth_date"] = _days(ex["birth_date"])
    cols["clock_start_date"] = _days(ex["clock_start_date"])

    import pyarrow.compute as pc

    ev_exam = pc.index_in(_strs(events["accession"]), value_set=cols["accession"])
    ev_exam = pc.fill_null(ev_exam, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = ev_exam >= 0
    order = np.argsort(ev_exam[keep], kind="stable")
    sel = np.flatnonzero(keep)[order]
    ev_exam = ev_exam[sel].astype(np.int64)
    # each column is taken in exam order on its own: the frame is not copied whole
    pick = pa.array(sel)
    evcol = events["event"]
    if isinstance(evcol.dtype, pd.CategoricalDtype):
        etype = evcol.cat.set_categories(list(EVENTS)).cat.codes.to_numpy().astype(np.int8)
    else:
        etype = pd.Categorical(evcol.astype(object), categories=list(EVENTS)).codes.astype(np.int8)
    out = events["actor_outsourced"]
    out_i8 = np.where(
        out.isna().to_numpy(), -1, out.fillna(False).astype(bool).to_numpy().astype(np.int8)
    ).astype(np.int8)
    first = np.full(len(ex), -1, dtype=np.int64)
    if ev_exam.size:
        starts = np.r_[0, np.flatnonzero(ev_exam[1:] != ev_exam[:-1]) + 1]
        first[ev_exam[starts]] = starts
    sl = slots.reset_index(drop=True)
    return TrustSlice(
        code=code, exams=cols, n_exams=len(ex), ev_exam=ev_exam, ev_type=etype[sel],
        ev_t=_ts_us(events["event_at"])[sel], ev_appt=_ts_us(events["appointment_at"])[sel],
        ev_actor=_strs(events["actor_id"]).take(pick), ev_out=out_i8[sel],
        ev_id=_strs(events["event_id"]).take(pick),
        ev_withdrawn=(_ts_us(events["withdrawn_at"])[sel] if "withdrawn_at" in events
                      else np.full(sel.size, NAT, dtype=np.int64)),
        slots=sl, slot_text={f: _strs(sl[f]) for f in ("slot_id", "site_code", "room", "modality")},
        sl_start=_ts_us(sl["slot_start"]), exam_first=first,
    )  # fmt: skip


# --- rows of every delivery of a trust ------------------------------------------------------------


@dataclass
class Rows:
    """Rows of all of a trust's deliveries, sorted by delivery index `k`."""

    k: np.ndarray
    ref: np.ndarray  # exam position (wide), event row (event/hl7) or slot row (slots)
    cols: dict  # extra per-row columns computed here (wide event columns, slot state...)

    def bounds(self, n_deliveries: int) -> np.ndarray:
        """bounds[k]..bounds[k+1] are the rows of delivery k."""
        return np.searchsorted(self.k, np.arange(n_deliveries + 1), side="left")

    def __len__(self) -> int:
        return int(self.k.size)

    def of(self, ks: range) -> Rows:
        """The rows of the deliveries `ks` (a contiguous run of them, rows being sorted by k)."""
        a, b = (int(x) for x in np.searchsorted(self.k, [ks.start, ks.stop], side="left"))
        cols = {n: v[a:b] if isinstance(v, np.ndarray) else v.slice(a, b - a)
                for n, v in self.cols.items()}  # fmt: skip
        return Rows(k=self.k[a:b], ref=self.ref[a:b], cols=cols)


def _event_deliveries(t: np.ndarray, deliveries: list[Delivery], spec: FeedSpec,
                      ks: range | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(event index, delivery k) pairs of the deliveries `ks` (default all): one per delta
    delivery, several for snapshots. Only the pairs of `ks` are made: a month's deliveries
    never expand a year's events into their snapshots."""
    n = len(deliveries)
    k_lo, k_hi = (0, n) if ks is None else (max(ks.start, 0), min(ks.stop, n))
    cut = np.array([d.cutoff_us for d in deliveries], dtype=np.int64)
    k0 = np.searchsorted(cut, t, side="right")
    ok = (k0 < n) & (t != NAT)
    if spec.mode != "snapshot":
        idx = np.flatnonzero(ok & (k0 >= k_lo) & (k0 < k_hi))
        return idx, k0[idx]
    w = int(spec.snapshot_days)
    wstart = np.array(
        [local_instant_us(d.night - timedelta(days=w)) for d in deliveries], dtype=np.int64
    )
    wstart[0] = np.iinfo(np.int64).min + 1  # the first delivery carries the whole history
    k1 = np.searchsorted(wstart, t, side="right") - 1
    k1 = np.maximum(k1, k0)
    first, last = np.maximum(k0, k_lo), np.minimum(k1, k_hi - 1)  # the snapshots of ks
    idx = np.flatnonzero(ok & (last >= first))
    cnt = (last[idx] - first[idx] + 1).astype(np.int64)
    rep = np.repeat(idx, cnt)
    starts = np.repeat(np.cumsum(cnt) - cnt, cnt)
    kk = first[rep] + (np.arange(rep.size) - starts)
    return rep, kk


def _withdrawal_touches(sl: TrustSlice, deliveries: list[Delivery], spec: FeedSpec,
                        ks: range | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(event index, delivery k) pairs of the withdrawals: activity on the event's exam."""
    j = np.flatnonzero(sl.ev_withdrawn != NAT)
    if not j.size:
        return j, j
    i, k = _event_deliveries(sl.ev_withdrawn[j], deliveries, spec, ks)
    return j[i], k


def _withdrawn_by(sl: TrustSlice, i: np.ndarray, k: np.ndarray, deliveries: list[Delivery]
                  ) -> np.ndarray:  # fmt: skip
    """For (event, delivery) pairs: the event was withdrawn before the delivery's cutoff."""
    cut = np.array([d.cutoff_us for d in deliveries], dtype=np.int64)
    wd = sl.ev_withdrawn[i]
    return (wd != NAT) & (wd < cut[k])


def _touched_exams(sl: TrustSlice, deliveries: list[Delivery], spec: FeedSpec,
                   ks: range | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(exam, delivery k, latest event index in it) of every exam with activity in a delivery
    (of `ks`, default all), sorted by exam, then delivery."""
    i, k = _event_deliveries(sl.ev_t, deliveries, spec, ks)
    wi, wk = _withdrawal_touches(sl, deliveries, spec, ks)
    i, k = np.r_[i, wi].astype(np.int64), np.r_[k, wk].astype(np.int64)
    ex = sl.ev_exam[i]
    o = np.lexsort((i, k, ex))
    i, k, ex = i[o], k[o], ex[o]
    last = np.r_[(ex[1:] != ex[:-1]) | (k[1:] != k[:-1]), True] if i.size else np.zeros(0, bool)
    return ex[last], k[last], i[last]


def event_rows(sl: TrustSlice, deliveries: list[Delivery], spec: FeedSpec,
               ks: range | None = None) -> Rows:  # fmt: skip
    """One row per (event, delivery) of the deliveries `ks` (default all), ordered by delivery,
    then event time. A snapshot carries every event (up to its cutoff) of each exam with
    activity in its window."""
    if spec.mode == "snapshot":
        ex, k, _ = _touched_exams(sl, deliveries, spec, ks)
        i, k = _events_of_exams(sl, ex, k, deliveries)
    else:
        i, k = _event_deliveries(sl.ev_t, deliveries, spec, ks)
    keep = ~_withdrawn_by(sl, i, k, deliveries)
    i, k = i[keep], k[keep]
    o = np.lexsort((i, sl.ev_t[i], k))
    return Rows(k=k[o], ref=i[o], cols={})


def _events_of_exams(sl: TrustSlice, ex: np.ndarray, k: np.ndarray, deliveries: list[Delivery]
                     ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(event index, delivery k) of every event of exam `ex[n]` before delivery `k[n]`'s cutoff."""
    # events are sorted by exam: an exam's events end where the next exam with events starts
    first = sl.exam_first
    ends = np.full(first.size, sl.ev_exam.size, dtype=np.int64)
    has = np.flatnonzero(first >= 0)
    if has.size:
        ends[has[:-1]] = first[has[1:]]
    start = first[ex]
    cnt = ends[ex] - start
    rep = np.repeat(np.arange(ex.size), cnt)
    offs = np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    i = start[rep] + offs
    kk = k[rep]
    cut = np.array([d.cutoff_us for d in deliveries], dtype=np.int64)
    t = sl.ev_t[i]
    ok = (t != NAT) & (t < cut[kk])
    return i[ok], kk[ok]


def _latest(marked: np.ndarray, at: np.ndarray, sl: TrustSlice) -> tuple[np.ndarray, np.ndarray]:
    """For event rows `at`: index of the latest of the `marked` event rows (ascending) up to it
    in the same exam."""
    j = np.searchsorted(marked, at, side="right") - 1
    c = marked[np.maximum(j, 0)] if marked.size else np.zeros(at.size, dtype=np.int64)
    c = np.where(j >= 0, c, -1)
    valid = (c >= 0) & (c >= sl.exam_first[sl.ev_exam[at]])
    return np.where(valid, c, 0), valid


def _marked(sl: TrustSlice, name: str) -> np.ndarray:
    """The event rows wide column `name` takes its time from (report_verified_at: each exam's
    first verified report), found once a trust: the trust's deliveries are made a month at a
    time."""
    if name in sl.wide_marks:
        return sl.wide_marks[name]
    ev = WIDE_TS[name]
    mask = sl.ev_type == EV[ev]
    if ev == "cancelled":  # a withdrawal as entered in error too (its status says which)
        mask |= sl.ev_type == EV["entered_in_error"]
    rows = np.flatnonzero(mask)
    if ev == "report_verified" and rows.size:  # the first verified report
        rows = rows[np.r_[True, sl.ev_exam[rows][1:] != sl.ev_exam[rows][:-1]]]
    sl.wide_marks[name] = rows
    return rows


def wide_rows(sl: TrustSlice, deliveries: list[Delivery], spec: FeedSpec,
              ks: range | None = None) -> Rows:  # fmt: skip
    """One row per (exam, delivery of `ks`, default all) touched, with the exam's state as at
    the extract."""
    ex, k, at = _touched_exams(sl, deliveries, spec, ks)
    cols: dict = {}
    for name, ev in WIDE_TS.items():
        c, valid = _latest(_marked(sl, name), at, sl)
        cols[name] = np.where(valid, sl.ev_t[c], NAT)
        if ev == "booked":
            cols["appointment_at"] = np.where(valid, sl.ev_appt[c], NAT)
        elif ev == "reported_prelim":
            cols["prelim_reporter_id"] = _mask_null(sl.ev_actor.take(pa.array(c)), valid)
        elif ev == "report_verified":
            cols["verified_reporter_id"] = _mask_null(sl.ev_actor.take(pa.array(c)), valid)
            cols["verified_outsourced"] = np.where(valid, sl.ev_out[c], -1).astype(np.int8)
    cols["status"] = STATUS_TABLE.take(pa.array(sl.ev_type[at].astype(np.int64)))
    cols["last_event"] = at
    _empty_withdrawn_cells(sl, cols, at, k, deliveries)
    o = np.lexsort((ex, k))
    return Rows(k=k[o], ref=ex[o], cols={n: _take_col(v, o) for n, v in cols.items()})


# Wide columns to empty when an event of the type is withdrawn, besides its timestamp.
WIDE_WITHDRAWN_EXTRAS = {
    "booked": {"appointment_at": NAT}, "reported_prelim": {"prelim_reporter_id": None},
    "report_verified": {"verified_reporter_id": None, "verified_outsourced": -1},
}  # fmt: skip


def _empty_withdrawn_cells(sl: TrustSlice, cols: dict, at: np.ndarray, k: np.ndarray,
                           deliveries: list[Delivery]) -> None:  # fmt: skip
    """Wide rows extracted after an exam's last event was withdrawn: that event's cells empty and
    the status of the event before it (defects.py only withdraws an exam's last event)."""
    import pyarrow.compute as pc

    gone = np.flatnonzero(_withdrawn_by(sl, at, k, deliveries))
    if not gone.size:
        return
    ts_name = {ev: name for name, ev in WIDE_TS.items()}
    j = at[gone]
    gone_type = sl.ev_type[j]
    for t in np.unique(gone_type).tolist():
        ev = EVENTS[t]
        rows = gone[gone_type == t]
        cols[ts_name[ev]][rows] = NAT
        for name, empty in WIDE_WITHDRAWN_EXTRAS.get(ev, {}).items():
            if isinstance(cols[name], np.ndarray):
                cols[name][rows] = empty
            else:
                emptied = np.zeros(len(cols[name]), dtype=bool)
                emptied[rows] = True
                cols[name] = pc.if_else(pa.array(emptied), pa.scalar(empty, pa.string()),
                                        cols[name])  # fmt: skip
    prev = np.maximum(j - 1, 0)
    before = np.where((j > 0) & (sl.ev_exam[prev] == sl.ev_exam[j]), prev, j)
    status = sl.ev_type[at].astype(np.int64)
    status[gone] = sl.ev_type[before]
    cols["status"] = STATUS_TABLE.take(pa.array(status))
    cols["last_event"][gone] = -(j + 1)  # another line than the rows before the withdrawal


def _mask_null(arr: pa.Array, valid: np.ndarray) -> pa.Array:
    import pyarrow.compute as pc

    return pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.string()))


def _take_col(v, o: np.ndarray):
    if isinstance(v, pa.Array | pa.ChunkedArray):
        return v.take(pa.array(o))
    return v[o]


def slot_rows(sl: TrustSlice, deliveries: list[Delivery], events: pd.DataFrame | None = None,
              ks: range | None = None) -> Rows:  # fmt: skip
    """Slots that entered the horizon, were booked, or took place, per delivery (of `ks`,
    default all; latest wins)."""
    s = sl.slots
    n = len(s)
    if n == 0 or not deliveries:
        return Rows(k=np.zeros(0, np.int64), ref=np.zeros(0, np.int64), cols={})
    local_day = _local_days(sl.sl_start)
    state = s["state"].astype(object).to_numpy()
    acc = s["accession"].astype(object).where(s["accession"].notna(), None).to_numpy(object)
    booked = (state == "booked") & (acc != None)  # noqa: E711 - elementwise over an object array
    enter_day = local_day - HORIZON_DAYS
    # booking time: the booked event of the slot's exam pointing at this slot
    book_day = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    bi = np.flatnonzero(booked)
    if bi.size:
        bev = sl.ev_type == EV["booked"]
        acc_ev = (
            sl.exams["accession"].take(pa.array(sl.ev_exam[bev])).to_numpy(zero_copy_only=False)
        )
        bt = pd.DataFrame({"accession": acc_ev, "appt": sl.ev_appt[bev], "t": sl.ev_t[bev]})
        bt = bt.groupby(["accession", "appt"], sort=False)["t"].max()
        key = pd.MultiIndex.from_arrays([acc[bi], sl.sl_start[bi]])
        found = bt.reindex(key).to_numpy()
        has = ~pd.isna(found)
        tday = np.full(bi.size, np.iinfo(np.int64).min, dtype=np.int64)
        if has.any():
            tday[has] = _local_days(found[has].astype(np.int64))
        book_day[bi] = tday
    book_day = np.where(booked, np.maximum(book_day, enter_day), book_day)
    nights = np.array([(d.night - date(1970, 1, 1)).days for d in deliveries], dtype=np.int64)
    S_FREE, S_BOOKED, S_BLOCKED = 0, 1, 2
    st_code = np.where(state == "blocked", S_BLOCKED, np.where(booked, S_BOOKED, S_FREE))
    enter_state = np.where(state == "blocked", S_BLOCKED, S_FREE)
    rows_slot, rows_day, rows_stage, rows_state, rows_acc = [], [], [], [], []
    all_idx = np.arange(n)
    for stage, idx, day, st, with_acc in (
        (0, all_idx, enter_day, enter_state, False),
        (1, bi, book_day[bi], np.full(bi.size, S_BOOKED), True),
        (2, all_idx, local_day, st_code, True),
    ):
        rows_slot.append(idx)
        rows_day.append(day)
        rows_stage.append(np.full(idx.size, stage, dtype=np.int8))
        rows_state.append(st)
        rows_acc.append(np.full(idx.size, with_acc))
    slot = np.concatenate(rows_slot)
    day = np.concatenate(rows_day)
    stage = np.concatenate(rows_stage)
    st = np.concatenate(rows_state)
    wacc = np.concatenate(rows_acc)
    k = np.searchsorted(nights, day, side="right")
    ok = k < len(deliveries) if ks is None else (k >= ks.start) & (k < ks.stop)
    slot, day, stage, st, wacc, k = slot[ok], day[ok], stage[ok], st[ok], wacc[ok], k[ok]
    # latest emission per (slot, delivery)
    o = np.lexsort((stage, k, slot))
    slot, stage, st, wacc, k = slot[o], stage[o], st[o], wacc[o], k[o]
    last = np.r_[(slot[1:] != slot[:-1]) | (k[1:] != k[:-1]), True]
    slot, st, wacc, k = slot[last], st[last], wacc[last], k[last]
    o = np.lexsort((slot, k))
    slot, st, wacc, k = slot[o], st[o], wacc[o], k[o]
    states = pa.array(["free", "booked", "blocked"], pa.string()).take(
        pa.array(st.astype(np.int64))
    )
    acc_col = pa.array(
        np.where(wacc & (st == S_BOOKED), acc[slot], None).astype(object), pa.string()
    )
    return Rows(k=k, ref=slot, cols={"state": states, "accession": acc_col})


def _local_days(utc_us: np.ndarray) -> np.ndarray:
    from .writers._format import to_local_us

    loc = to_local_us(np.asarray(utc_us, dtype=np.int64), LONDON)
    return np.floor_divide(loc, US_PER_DAY)
