"""The defects that change the truth itself, and the reports the RIS takes back, trust by trust.

Each kind draws from one random stream over the network's rows in trust order (invalid NHS
numbers and unknown local codes: one number an exam; reports dated before their exam: one an
exam with both; withdrawals: one a candidate report), so a trust's share depends on the trusts
before it. The generator therefore collects, trust by trust, the little each draw needs
(`TruthPart`), draws for the whole network at once (`draw_truth_defects`), and then applies
each trust's share to that trust's truth alone (`apply_truth_defects`): the network's truth is
never held whole, and the draws are those of one pass over the network's frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .defects import DefectRates, nhs_check_digit

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class TruthPart:
    """What the network's draws need of one trust's truth (or of any frame of exams/events)."""

    n_exams: int
    n_events: int
    local: bool  # its procedure codes are local: it can get unknown local codes
    pair_report: np.ndarray  # event row of each exam's first verified report, if it started
    pair_report_at: np.ndarray  # that report's time, UTC microseconds
    pair_start_at: np.ndarray  # the exam's last start, UTC microseconds
    withdrawable: np.ndarray  # event rows of the reports the RIS may take back


@dataclass
class TruthDraws:
    """One part's share of the network's draws."""

    nhs_rows: np.ndarray  # exam rows whose NHS number gets a wrong check digit
    nhs_bump: np.ndarray
    local_rows: np.ndarray  # exam rows whose local code is unknown
    date_pairs: np.ndarray  # indices into the part's pairs: reports dated before the start
    date_minutes: np.ndarray  # how long before the start
    withdrawn_rows: np.ndarray  # event rows the RIS takes back
    withdrawn_hours: np.ndarray  # how long after the report


def truth_part(exams: pd.DataFrame, events: pd.DataFrame, local: bool,
               withdrawable_rows: np.ndarray | bool) -> TruthPart:  # fmt: skip
    """`withdrawable_rows`: per event row (or for all), whether its feed can withdraw it."""
    report, report_at, start_at = _report_start_pairs(events)
    return TruthPart(len(exams), len(events), local, report, report_at, start_at,
                     _withdrawal_candidates(events, withdrawable_rows))  # fmt: skip


def draw_truth_defects(parts: Sequence[TruthPart], rates: DefectRates,
                       semantic_rng: np.random.Generator, withdrawal_rng: np.random.Generator
                       ) -> list[TruthDraws]:  # fmt: skip
    """Every part's share of the network's draws (parts in the network's row order)."""
    n_exams = np.array([p.n_exams for p in parts], dtype=np.int64)
    n_pairs = np.array([p.pair_report.size for p in parts], dtype=np.int64)
    n_cand = np.array([p.withdrawable.size for p in parts], dtype=np.int64)
    has_events = sum(p.n_events for p in parts) > 0
    n = int(n_exams.sum())
    nhs_rows, nhs_bump = _EMPTY, _EMPTY
    if rates.nhs_number_invalid > 0 and n:
        nhs_rows = np.flatnonzero(semantic_rng.random(n) < rates.nhs_number_invalid)
        if nhs_rows.size:
            nhs_bump = semantic_rng.integers(1, 10, size=nhs_rows.size)
    local_rows = _EMPTY
    if rates.unknown_local_code > 0 and n and any(p.local for p in parts):
        in_local = np.repeat([p.local for p in parts], n_exams)
        local_rows = np.flatnonzero(in_local & (semantic_rng.random(n) < rates.unknown_local_code))
    date_pairs, date_minutes = _EMPTY, _EMPTY
    if rates.dates_out_of_order > 0 and has_events and n_pairs.sum():
        date_pairs, date_minutes = _draw_dates(parts, rates.dates_out_of_order, semantic_rng)
    withdrawn, hours = _EMPTY, np.zeros(0)
    if rates.withdrawn_report > 0 and has_events:
        withdrawn = np.flatnonzero(
            withdrawal_rng.random(int(n_cand.sum())) < rates.withdrawn_report
        )
        hours = withdrawal_rng.uniform(2, 30, size=withdrawn.size)
    cand_all = np.concatenate([p.withdrawable for p in parts]) if parts else _EMPTY
    out = []
    for i in range(len(parts)):
        e0, e1 = int(n_exams[:i].sum()), int(n_exams[: i + 1].sum())
        p0, p1 = int(n_pairs[:i].sum()), int(n_pairs[: i + 1].sum())
        c0, c1 = int(n_cand[:i].sum()), int(n_cand[: i + 1].sum())
        nhs = (nhs_rows >= e0) & (nhs_rows < e1)
        loc = (local_rows >= e0) & (local_rows < e1)
        dat = (date_pairs >= p0) & (date_pairs < p1)
        wdr = (withdrawn >= c0) & (withdrawn < c1)
        out.append(TruthDraws(nhs_rows[nhs] - e0, nhs_bump[nhs],
                              local_rows[loc] - e0, date_pairs[dat] - p0, date_minutes[dat],
                              cand_all[withdrawn[wdr]], hours[wdr]))  # fmt: skip
    return out


def _draw_dates(parts: Sequence[TruthPart], rate: float, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Pairs (network-wide indices) whose report is dated before the start, and by how much: only
    where the report, the start and the new time fall on one local day (deliveries unchanged)."""
    from .writers._format import NAT, US_PER_DAY, to_local_us

    tv = np.concatenate([p.pair_report_at for p in parts])
    ts = np.concatenate([p.pair_start_at for p in parts])
    minutes = rng.integers(10, 120, size=tv.size)
    new = ts - minutes * 60_000_000

    def day(x: np.ndarray) -> np.ndarray:
        return np.floor_divide(to_local_us(x, "Europe/London"), US_PER_DAY)

    ok = (tv != NAT) & (ts != NAT)
    same_day = ok & (day(tv) == day(ts)) & (day(new) == day(ts))
    cand = np.flatnonzero(same_day)
    pick = cand[rng.random(cand.size) < rate]
    return pick, minutes[pick]


def apply_truth_defects(exams: pd.DataFrame, events: pd.DataFrame, part: TruthPart,
                        draws: TruthDraws, before: pd.Timestamp
                        ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:  # fmt: skip
    """One part's semantic defects and withdrawals; returns (exams, events, watch list).

    The watch list names, per defect, the exam (and event) whose first delivered row the defect
    list should point at; the writers fill in file and line once the files are written.
    """
    # shallow copies: columns are replaced, never changed in place (the caller's frames stay)
    exams = exams.copy(deep=False)
    events = events.copy(deep=False)
    watch: list[dict] = []
    _invalid_nhs_numbers(exams, draws, watch)
    _unknown_local_codes(exams, draws, watch)
    _reports_before_exams(events, part, draws, watch)
    exams, events = _withdraw(exams, events, draws, before)
    return exams, events, watch


def _invalid_nhs_numbers(exams: pd.DataFrame, draws: TruthDraws, watch: list[dict]) -> None:
    """NHS numbers recorded with a wrong check digit."""
    pick = draws.nhs_rows
    if not pick.size:
        return
    nhs = exams["nhs_number"].iloc[pick].to_numpy(object)
    vals = np.array([int(x) for x in nhs], dtype=np.int64)
    check = nhs_check_digit(vals // 10)
    new_last = np.where(check == 10, vals % 10, (check + draws.nhs_bump) % 10)
    new_last = np.where(new_last == np.where(check == 10, -1, check), (new_last + 1) % 10, new_last)
    new_s = [f"{v:010d}" for v in ((vals // 10) * 10 + new_last).tolist()]
    col = exams["nhs_number"].copy()
    col.iloc[pick] = new_s
    exams["nhs_number"] = col
    trusts = exams["trust_code"].iloc[pick].astype(object).tolist()
    accessions = exams["accession"].iloc[pick].tolist()
    for trust, acc, old, nv in zip(trusts, accessions, nhs.tolist(), new_s, strict=True):
        watch.append({"defect_type": "nhs_number_invalid", "trust": str(trust),
                      "accession": acc, "field": "nhs_number", "event_id": None,
                      "detail": f"NHS number {old} recorded as {nv} (fails the mod-11 check)",
                      "outcome": "loaded_flagged:nhs_number_invalid"})  # fmt: skip


def _unknown_local_codes(exams: pd.DataFrame, draws: TruthDraws, watch: list[dict]) -> None:
    """Local procedure codes missing from the trust's code map."""
    pick = draws.local_rows
    if not pick.size:
        return
    col = exams["local_procedure_code"].copy()
    news = [f"{o}Z9" for o in col.iloc[pick].to_numpy(object)]
    col.iloc[pick] = news
    nic = exams["nicip_code"].iloc[pick].to_numpy(object)
    trs = exams["trust_code"].iloc[pick].to_numpy(object)
    accs = exams["accession"].iloc[pick].to_numpy(object)
    for j in range(pick.size):
        watch.append({"defect_type": "unknown_local_code", "trust": str(trs[j]),
                      "accession": accs[j], "field": "procedure_code", "event_id": None,
                      "detail": f"local code {news[j]} is not in the trust's code map "
                      f"(true procedure {nic[j]})",
                      "outcome": "loaded_flagged:unknown_local_code"})  # fmt: skip
    exams["local_procedure_code"] = col


def _event_us(events: pd.DataFrame) -> np.ndarray:
    """The events' times as UTC microseconds (NaT: int64 min), a copy of their own."""
    t = events["event_at"].dt.tz_convert("UTC").dt.as_unit("us")
    return t.to_numpy("datetime64[us]").astype(np.int64)


def _report_start_pairs(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each exam's first verified report (event row, time) with its exam's last start time."""
    typ = events["event"]
    ver = np.flatnonzero((typ == "report_verified").to_numpy(bool))
    sta = np.flatnonzero((typ == "exam_started").to_numpy(bool))
    if not (ver.size and sta.size):
        return _EMPTY, _EMPTY, _EMPTY
    exam = exam_numbers(events["accession"])
    vdf = pd.DataFrame({"acc": exam[ver], "vi": ver}).drop_duplicates("acc", keep="first")
    sdf = pd.DataFrame({"acc": exam[sta], "si": sta}).drop_duplicates("acc", keep="last")
    del exam
    m = vdf.merge(sdf, on="acc")  # in the reports' order
    vi, si = m["vi"].to_numpy(np.int64), m["si"].to_numpy(np.int64)
    t_us = _event_us(events)
    return vi, t_us[vi], t_us[si]


def _reports_before_exams(events: pd.DataFrame, part: TruthPart, draws: TruthDraws,
                          watch: list[dict]) -> None:  # fmt: skip
    """Reports verified before the exam started (same local day, so deliveries are unaffected)."""
    pick = draws.date_pairs
    if not pick.size:
        return
    vi = part.pair_report[pick]
    ts = part.pair_start_at[pick]
    new = ts - draws.date_minutes * 60_000_000
    ev = events
    t_us = _event_us(ev)
    t_us[vi] = new
    events["event_at"] = pd.Series(
        pd.DatetimeIndex(t_us.view("datetime64[us]")).tz_localize("UTC"), index=events.index
    )
    fmt = "%Y-%m-%d %H:%M"
    for j, newt_us, oldt_us in zip(vi.tolist(), new.tolist(), ts.tolist(), strict=True):
        newt = pd.Timestamp(int(newt_us), unit="us", tz="UTC")
        oldt = pd.Timestamp(int(oldt_us), unit="us", tz="UTC")
        watch.append({
            "defect_type": "dates_out_of_order", "trust": str(ev["trust_code"].iat[j]),
            "accession": ev["accession"].iat[j], "field": "report_verified_at",
            "event_id": ev["event_id"].iat[j],
            "detail": (f"report verified at {newt.strftime(fmt)} UTC, before the "
                       f"exam started at {oldt.strftime(fmt)} UTC"),
            "outcome": "loaded_flagged:dates_out_of_order"})  # fmt: skip


# --- withdrawals (RIS behaviour, recorded in the truth's events.withdrawn_at) --------------------


def withdraw_reports(exams: pd.DataFrame, events: pd.DataFrame, full_trusts: set[str],
                     rate: float, before: pd.Timestamp, rng: np.random.Generator
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The RIS takes back some verified reports 2-30 hours after verification: the truth's
    events get `withdrawn_at` (null for every other event) and those exams the status of the
    event before the report. Only trusts whose feed can say so (`full_trusts`: a wide family,
    or a snapshot; a delta event log cannot), only an exam's last event (its only verified
    report, nothing after it), and only before `before` (so that a later delivery carries it)."""
    is_full = events["trust_code"].isin(list(full_trusts)).to_numpy(bool)
    part = TruthPart(len(exams), len(events), False, _EMPTY, _EMPTY, _EMPTY,
                     _withdrawal_candidates(events, is_full))  # fmt: skip
    rates = replace(DefectRates.none(), withdrawn_report=rate)
    (draws,) = draw_truth_defects([part], rates, np.random.default_rng(0), rng)
    return _withdraw(exams, events, draws, before)


def _withdrawal_candidates(events: pd.DataFrame, withdrawable: np.ndarray | bool) -> np.ndarray:
    """Event rows that may be withdrawn: an exam's last event, its only verified report."""
    if not len(events) or not np.any(withdrawable):
        return _EMPTY
    # an exam's events in frame order are in the RIS's recording order (deliveries.trust_slice)
    exam = exam_numbers(events["accession"])
    verified = (events["event"] == "report_verified").to_numpy(bool)
    order_in_exam, n_events = _order_in_group(exam)
    n_reports = np.bincount(exam[verified], minlength=n_events.size)[exam]
    n_events = n_events[exam]
    return np.flatnonzero((order_in_exam == n_events - 1) & (n_events > 1) & withdrawable
                          & verified & (n_reports == 1))  # fmt: skip


def _withdraw(exams: pd.DataFrame, events: pd.DataFrame, draws: TruthDraws, before: pd.Timestamp
              ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    events = events.copy(deep=False)
    pick = draws.withdrawn_rows
    at = events["event_at"].iloc[pick].dt.tz_convert("UTC") + pd.to_timedelta(
        draws.withdrawn_hours, unit="h"
    )
    keep = (at < before).to_numpy()
    pick, at = pick[keep], at[keep]
    values = np.full(len(events), np.datetime64("NaT"), dtype="datetime64[us]")
    values[pick] = at.dt.floor("s").dt.tz_localize(None).to_numpy("datetime64[us]")
    events["withdrawn_at"] = pd.Series(
        pd.DatetimeIndex(values).tz_localize("UTC"), index=events.index
    )
    if pick.size:
        exams = _status_before_withdrawal(exams, events, pick)
    return exams, events


def _status_before_withdrawal(exams: pd.DataFrame, events: pd.DataFrame, pick: np.ndarray
                              ) -> pd.DataFrame:  # fmt: skip
    """The status each exam had before its withdrawn report: that of its event before it."""
    from .deliveries import STATUS_OF_EVENT

    exam = exam_numbers(events["accession"])
    order_in_exam, n_events = _order_in_group(exam)
    before_last = np.flatnonzero(order_in_exam == n_events[exam] - 2)
    before_last = before_last[np.isin(exam[before_last], exam[pick])]
    picked = set(events["accession"].iloc[pick].astype(object))
    prev = dict(
        zip(
            events["accession"].iloc[before_last].astype(object),
            events["event"].iloc[before_last].astype(object).map(STATUS_OF_EVENT),
            strict=True,
        )
    )
    accessions = exams["accession"].astype(object)
    status = exams["status"].astype(object).where(~accessions.isin(picked), accessions.map(prev))
    exams = exams.copy(deep=False)
    exams["status"] = status.astype(exams["status"].dtype)
    return exams


def exam_numbers(accession: pd.Series) -> np.ndarray:
    """Each row's exam as an integer: grouping tens of millions of events on integers rather
    than on their accession strings keeps the generator's memory near the truth's own size."""
    if isinstance(accession.dtype, pd.CategoricalDtype):
        return accession.cat.codes.to_numpy().astype(np.int64)
    return pd.factorize(accession)[0]


def _order_in_group(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's position among its group's rows in frame order, and every group's size."""
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group)
    starts = np.cumsum(sizes) - sizes
    position = np.empty(group.size, dtype=np.int64)
    position[order] = np.arange(group.size) - np.repeat(starts, sizes)
    return position, sizes
