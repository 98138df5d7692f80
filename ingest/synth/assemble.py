"""The trusts' results assembled into the network's truth: frames with exactly the columns of
`ingest.contract` (TRUTH_EXAMS, TRUTH_EVENTS, TRUTH_SLOTS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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

from .actors import actor_table
from .local_time import local_to_utc
from .network import Reference
from .trust import TrustResult


@dataclass(frozen=True)
class Truth:
    exams: pd.DataFrame  # columns exactly ingest.contract.TRUTH_EXAMS, in order
    events: pd.DataFrame  # columns exactly TRUTH_EVENTS, sorted by trust_code, event_at, event_id
    slots: pd.DataFrame  # columns exactly TRUTH_SLOTS
    start: date
    end: date
    horizon_end: date


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


def _take_cols(results: list[TrustResult], part: str, name: str, dtype=None):
    """Concatenate one column over trusts, dropping the per-trust pieces as it goes."""
    pieces = [getattr(r, part).pop(name) for r in results]
    if pieces and isinstance(pieces[0], (pa.Array, pa.ChunkedArray)):
        return pa.chunked_array(pieces, type=pa.string())
    out = np.concatenate(pieces) if pieces else np.empty(0)
    return out.astype(dtype, copy=False) if dtype is not None else out


@dataclass(frozen=True)
class _Network:
    """The network's code lists: trusts in result order, sites and rooms sorted."""

    trusts: list[str]
    sites: list[str]
    rooms: list[str]

    def trust_of_each(self, sizes: list[int]) -> np.ndarray:
        """Each row's trust (index into `trusts`), for per-trust pieces of these sizes."""
        return np.repeat(np.arange(len(self.trusts), dtype=np.int32), sizes)


def assemble(
    results: list[TrustResult], ref: Reference, start: date, end: date, horizon_end: date
) -> Truth:
    net = _Network(
        [r.code for r in results],
        sorted({s for r in results for s in r.sites}),
        sorted({x for r in results for x in r.rooms}),
    )
    _number_across_the_network(results, net)
    exams, acc_all = _exams_frame(results, net, ref)
    events = _events_frame(results, net, acc_all)
    slots = _slots_frame(results, net, acc_all)
    return Truth(exams=exams, events=events, slots=slots, start=start, end=end,
                 horizon_end=horizon_end)  # fmt: skip


def _number_across_the_network(results: list[TrustResult], net: _Network) -> None:
    """Per-trust site and room indices -> the network's; exam rows and appointment positions
    offset by the trusts before."""
    offsets = np.cumsum([0] + [r.exams["site"].size for r in results])
    for r in results:
        site_map = np.array([net.sites.index(s) for s in r.sites], dtype=np.int32)
        room_map = np.array([net.rooms.index(x) for x in r.rooms] + [-1], dtype=np.int32)
        for part in (r.exams, r.slots):
            part["site"] = site_map[part["site"]]
            part["room"] = room_map[part["room"]]
    ev_off = np.cumsum([0] + [r.events["row"].size for r in results])
    for r, off, eoff in zip(results, offsets, ev_off, strict=False):
        r.events["row"] = r.events["row"].astype(np.int64) + off
        r.events["appt_pos"] = r.events["appt_pos"] + eoff
        r.slots["exam"] = np.where(r.slots["exam"] >= 0, r.slots["exam"] + off, -1)


def _exams_frame(
    results: list[TrustResult], net: _Network, ref: Reference
) -> tuple[pd.DataFrame, pa.Array]:
    """The truth's exams, and their accessions as one Arrow array (events and slots use it)."""
    nicip = ref.procedures["nicip_code"].tolist()
    trust_ex = net.trust_of_each([r.exams["site"].size for r in results])

    def X(name, dtype=None):
        return _take_cols(results, "exams", name, dtype)

    acc_all = X("accession").combine_chunks()
    nic = X("proc", np.int64)
    exams = pd.DataFrame(
        {
            "trust_code": _cat(trust_ex, net.trusts),
            "accession": _str(acc_all),
            "site_code": _cat(X("site"), net.sites),
            "room": _cat(X("room"), net.rooms),
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
    return exams, acc_all


def _event_ids(results: list[TrustResult], acc_all: pa.Array) -> pa.ChunkedArray:
    """accession-sequence, trust by trust (keeps the temporary accession strings small)."""
    id_chunks = []
    for r in results:
        acc_t = pc.take(acc_all, pa.array(r.events["row"]))
        seq_t = pc.utf8_lpad(pa.array(r.events.pop("seq")).cast(pa.string()), 2, "0")
        id_chunks.append(pc.binary_join_element_wise(acc_t, seq_t, "-"))
        del acc_t, seq_t
    return pa.chunked_array(id_chunks, type=pa.string())


def _events_frame(results: list[TrustResult], net: _Network, acc_all: pa.Array) -> pd.DataFrame:
    def E(name, dtype=None):
        return _take_cols(results, "events", name, dtype)

    trust_ev = net.trust_of_each([r.events["row"].size for r in results])
    ev_id = _event_ids(results, acc_all)
    row = E("row", np.int64)
    events = pd.DataFrame({"trust_code": _cat(trust_ev, net.trusts)})
    del trust_ev
    # accession as a categorical over the exams' accessions: a code per row, each text once
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
    events["actor_id"] = _cat(E("actor"), actor_table()[0])
    out = E("out", np.int8)
    flag = pd.array(out == 1, dtype="boolean")
    flag[out < 0] = pd.NA
    events["actor_outsourced"] = flag
    del out, flag
    # the simulation withdraws nothing; the generator may (defects.withdraw_reports)
    events["withdrawn_at"] = _ts(np.full(len(events), -1, dtype=np.int64))
    assert list(events.columns) == list(TRUTH_EVENTS)
    return events


def _slots_frame(results: list[TrustResult], net: _Network, acc_all: pa.Array) -> pd.DataFrame:
    def L(name, dtype=None):
        return _take_cols(results, "slots", name, dtype)

    trust_sl = net.trust_of_each([r.slots["start"].size for r in results])
    s_site = L("site", np.int32)
    s_room = L("room", np.int32)
    s_start = L("start", np.int64)
    site_str = pc.take(pa.array(net.sites, pa.string()), pa.array(s_site))
    room_str = pc.take(pa.array(net.rooms, pa.string()), pa.array(s_room))
    slot_id = pc.binary_join_element_wise(site_str, room_str, _slot_stamp(s_start), "-")
    acc_row = L("exam", np.int64)
    s_acc = pc.take(acc_all, pa.array(np.where(acc_row >= 0, acc_row, 0)))
    s_acc = pc.if_else(pa.array(acc_row >= 0), s_acc, pa.scalar(None, pa.string()))
    slots = pd.DataFrame(
        {
            "trust_code": _cat(trust_sl, net.trusts),
            "slot_id": _str(slot_id),
            "site_code": _cat(s_site, net.sites),
            "room": _cat(s_room, net.rooms),
            "modality": _cat(L("modality"), MODALITIES),
            "slot_start": _ts(local_to_utc(s_start)),
            "slot_minutes": L("minutes", np.int32),
            "state": _cat(L("state"), SLOT_STATES),
            "accession": _str(s_acc),
        }
    )
    assert list(slots.columns) == list(TRUTH_SLOTS)
    return slots
