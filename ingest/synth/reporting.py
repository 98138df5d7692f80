"""Reporting with finite capacity: a daily budget of report units per trust.

Queue order: ed/inpatient, then suspected cancer/urgent, then routine/planned, FIFO by the day
the exam became reportable. US and IR are reported by the operator at the exam. While the
routine backlog is old, a share of new CT/MR goes to an outsourcing company (1-5 days).

Every random draw is made per exam before the queue runs, so a change of capacity (a scenario,
`capacity_factor`) changes only what the capacity decides: the reports before it stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.contract import MODALITIES

from .demand import DAY, HOUR, MINUTE
from .network import OPERATOR_REPORTED, REPORT_UNITS, Reference, TrustProfile, is_holiday, weekday

UNITS = np.array([REPORT_UNITS[m] for m in MODALITIES])
OPERATOR = np.array([m in OPERATOR_REPORTED for m in MODALITIES])
CT_MR = np.array([m in ("CT", "MR") for m in MODALITIES])
XR_LIKE = np.array([m in ("XR", "DEXA", "MG") for m in MODALITIES])
WEEKEND_CAPACITY = (0.35, 0.25)  # Saturday, Sunday (and bank holidays) vs a weekday

# reporter kinds
R_NONE, R_RAD, R_RGR, R_SON, R_OUT = -1, 0, 1, 2, 3


@dataclass
class Reports:
    verified_at: np.ndarray  # int64, -1 none
    verified_kind: np.ndarray  # int8 reporter kind
    prelim_at: np.ndarray  # int64, -1 none
    prelim_kind: np.ndarray
    addendum_at: np.ndarray


@dataclass(frozen=True)
class ExamsToReport:
    """Per exam, what the reporting queue needs."""

    modality: np.ndarray  # index into MODALITIES
    rclass: np.ndarray  # 0 ed/inpatient, 1 suspected cancer/urgent, 2 routine/planned
    is_ed: np.ndarray
    completed: np.ndarray  # int64 local seconds, -1 if the exam never happened


@dataclass(frozen=True)
class ReportingDays:
    """Days reported (first..last) and the last day of demand, which sizes the capacity."""

    first: int
    last: int
    demand_last: int

    @property
    def all(self) -> np.ndarray:
        return np.arange(self.first, self.last + 1, dtype=np.int64)


def report_exams(
    rng: np.random.Generator,
    profile: TrustProfile,
    ref: Reference,
    exams: ExamsToReport,
    days: ReportingDays,
    capacity_factor: np.ndarray | None = None,  # per day first..last (default 1)
) -> Reports:
    modality, completed = exams.modality, exams.completed
    n = completed.size
    # per-exam draws, whatever the queue does with the exam
    u_time, u_kind = rng.random(n), rng.random(n)
    short_wait = rng.integers(5 * MINUTE, 60 * MINUTE, n)
    verified = np.full(n, -1, dtype=np.int64)
    vkind = np.full(n, R_NONE, dtype=np.int8)
    done = completed >= 0

    # operator-reported at the exam
    op = done & OPERATOR[modality]
    verified[op] = completed[op] + rng.integers(5 * MINUTE, 90 * MINUTE, int(op.sum()))
    is_us = modality == MODALITIES.index("US")
    vkind[op] = np.where(is_us[op] & (rng.random(int(op.sum())) < 0.9), R_SON, R_RAD)

    # the queue
    qmask = done & ~OPERATOR[modality]
    t = completed + 20 * MINUTE
    elig = np.where((t % DAY) >= 19 * HOUR, t // DAY + 1, t // DAY)  # reportable from
    weekend = (weekday(days.all) >= 5) | is_holiday(days.all, ref)  # and bank holidays
    cap_day = _daily_capacity(profile, ref, exams, days, qmask & _in_demand(elig, days))
    if capacity_factor is not None:
        cap_day = cap_day * capacity_factor
    queue = _ReportQueue(exams, qmask, elig)
    # the CT/MR that may be outsourced, by the day they became reportable
    cand = np.flatnonzero(qmask & CT_MR[modality] & (exams.rclass > 0))
    cand = cand[np.argsort(elig[cand], kind="stable")]
    served, outsourced = _run_reporting_queue(rng, profile, queue, cand, days, cap_day)
    for i, s in served:
        d = days.first + i
        verified[s] = _report_times(d, bool(weekend[i]), completed[s], u_time[s], short_wait[s])
        xr = XR_LIKE[modality[s]]
        vkind[s] = np.where(xr & (u_kind[s] < 0.4), R_RGR, R_RAD)
    _outsourced_reports(rng, completed, outsourced, verified, vkind)
    prelim, pkind = _ed_prelims(rng, exams, qmask, verified)
    return Reports(verified, vkind, prelim, pkind, _addenda(rng, verified))


def _in_demand(elig: np.ndarray, days: ReportingDays) -> np.ndarray:
    return (elig >= days.first) & (elig <= days.demand_last)


def _weekday_factor(ref: Reference, days: ReportingDays) -> np.ndarray:
    """Each day's share of a weekday's capacity (weekends and bank holidays less)."""
    all_days = days.all
    wd = weekday(all_days)
    wfac = np.where(wd < 5, 1.0, np.where(wd == 5, WEEKEND_CAPACITY[0], WEEKEND_CAPACITY[1]))
    return np.where(is_holiday(all_days, ref), WEEKEND_CAPACITY[1], wfac)


def _daily_capacity(
    profile: TrustProfile,
    ref: Reference,
    exams: ExamsToReport,
    days: ReportingDays,
    in_demand: np.ndarray,
) -> np.ndarray:
    """Report units per day: the trust's reporting ratio of the mean daily demand, spread over
    the week by `_weekday_factor`."""
    units = UNITS[exams.modality]
    demand_days = max(1, days.demand_last - days.first + 1)
    mean_daily_units = float(units[in_demand].sum()) / demand_days
    week_units = 5 + WEEKEND_CAPACITY[0] + WEEKEND_CAPACITY[1]
    weekly = profile.reporting_ratio * mean_daily_units * 7.0 / week_units
    return weekly * _weekday_factor(ref, days)


class _ReportQueue:
    """The reporting queue: per class, the exams in order of the day they became reportable and
    the next one to report; each exam's report units (none once outsourced)."""

    def __init__(self, exams: ExamsToReport, qmask: np.ndarray, elig: np.ndarray) -> None:
        self.elig = elig  # per exam: the day it became reportable
        self.orders, self.eligs, self.heads = [], [], []
        for c in range(3):
            idx = np.flatnonzero(qmask & (exams.rclass == c))
            o = idx[np.lexsort((exams.completed[idx], elig[idx]))]
            self.orders.append(o)
            self.eligs.append(elig[o])
            self.heads.append(0)
        self.units = UNITS[exams.modality].astype(np.float64).copy()
        self.min_unit = max(0.5, float(UNITS[UNITS > 0].min()))

    def routine_backlog_age(self, d: int) -> int:
        """Days the oldest routine exam not yet reported has waited by day d."""
        o2, h2, e2 = self.orders[2], self.heads[2], self.eligs[2]
        return (d - e2[h2]) if h2 < o2.size and e2[h2] <= d else 0

    def serve_day(self, d: int, budget: float) -> tuple[list[np.ndarray], float]:
        """The exams reported on day d, class by class (a class waits until the one above it
        is cleared), and the budget left."""
        day_served: list[np.ndarray] = []
        for c in range(3):
            budget = self._serve_class(c, d, budget, day_served)
            if self.heads[c] < int(np.searchsorted(self.eligs[c], d, "right")):
                break  # lower classes wait until this class is cleared
        return day_served, budget

    def _serve_class(self, c: int, d: int, budget: float, day_served: list[np.ndarray]) -> float:
        o, heads = self.orders[c], self.heads
        end = int(np.searchsorted(self.eligs[c], d, "right"))
        while heads[c] < end and budget >= 0:
            h = heads[c]
            w = o[h : min(end, h + int(budget / self.min_unit) + 8)]
            cum = np.cumsum(self.units[w])
            k = int(np.searchsorted(cum, budget, "right"))
            if k == 0:
                break
            day_served.append(w[:k])
            budget -= float(cum[k - 1])
            heads[c] = h + k
            if k < w.size:
                break
        return budget


def _run_reporting_queue(
    rng: np.random.Generator,
    profile: TrustProfile,
    queue: _ReportQueue,
    candidates: np.ndarray,
    days: ReportingDays,
    cap_day: np.ndarray,
) -> tuple[list[tuple[int, np.ndarray]], np.ndarray]:
    """Serve the queue day by day within the day's budget (unspent budget partly carried).
    While the routine backlog is old, a share of the new CT/MR `candidates` (sorted by the day
    they became reportable) is outsourced. Returns (day's index, exams reported in-house that
    day) and the outsourced mask."""
    outsourced = np.zeros(queue.units.size, dtype=bool)
    cand_bounds = np.searchsorted(queue.elig[candidates], np.arange(days.first, days.last + 2))
    carry = 0.0
    out_rng_u = rng.random(candidates.size)
    served: list[tuple[int, np.ndarray]] = []
    for i, d in enumerate(range(days.first, days.last + 1)):
        if (
            profile.outsource_share > 0
            and queue.routine_backlog_age(d) > profile.outsource_trigger_days
        ):
            lo, hi = cand_bounds[i], cand_bounds[i + 1]
            sel = candidates[lo:hi][out_rng_u[lo:hi] < profile.outsource_share]
            outsourced[sel] = True
            queue.units[sel] = 0.0
        day_served, budget = queue.serve_day(d, cap_day[i] + carry)
        carry = min(max(budget, 0.0), 0.6 * cap_day[i] + queue.min_unit * 2)
        if day_served:
            s = np.concatenate(day_served)
            s = s[~outsourced[s]]
            if s.size:
                served.append((i, s))
    return served, outsourced


def _report_times(
    d: int, weekend: bool, completed: np.ndarray, u_time: np.ndarray, short_wait: np.ndarray
) -> np.ndarray:
    """When day d's reports are verified: spread over the reporting day (shorter at weekends
    and on bank holidays), never before 15 minutes after the exam."""
    start_h, end_h = (9, 17) if weekend else (8, 20)
    lo = np.maximum(d * DAY + start_h * HOUR, completed + 15 * MINUTE)
    hi = d * DAY + end_h * HOUR
    span_s = np.maximum(hi - lo, 0)
    tt = lo + (u_time * span_s).astype(np.int64)
    return np.where(span_s < 5 * MINUTE, lo + short_wait, tt)


def _outsourced_reports(
    rng: np.random.Generator,
    completed: np.ndarray,
    outsourced: np.ndarray,
    verified: np.ndarray,
    vkind: np.ndarray,
) -> None:
    """Outsourced reports come back in 1-5 days, reported 07:00-23:00."""
    n = completed.size
    out_days, out_tod = rng.integers(1, 6, n), rng.integers(7 * HOUR, 23 * HOUR, n)
    oi = np.flatnonzero(outsourced)
    if oi.size:
        back = completed[oi] + out_days[oi] * DAY
        tod = out_tod[oi]
        verified[oi] = np.maximum(back - back % DAY + tod, completed[oi] + HOUR)
        vkind[oi] = R_OUT


def _ed_prelims(
    rng: np.random.Generator, exams: ExamsToReport, qmask: np.ndarray, verified: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ED preliminary reports (registrar or reporting radiographer), 24/7."""
    completed = exams.completed
    n = completed.size
    prelim = np.full(n, -1, dtype=np.int64)
    pkind = np.full(n, R_NONE, dtype=np.int8)
    pm = qmask & exams.is_ed & (rng.random(n) < 0.65)
    delay = np.minimum(rng.lognormal(np.log(45 * 60), 0.8, n), 8 * HOUR).astype(np.int64)
    pt = completed + 5 * MINUTE + delay
    u_prelim_kind = rng.random(n)
    pm &= (verified < 0) | (pt < verified)
    prelim[pm] = pt[pm]
    pkind[pm] = np.where(XR_LIKE[exams.modality[pm]] & (u_prelim_kind[pm] < 0.5), R_RGR, R_RAD)
    return prelim, pkind


def _addenda(rng: np.random.Generator, verified: np.ndarray) -> np.ndarray:
    """Addenda to about 1% of reports, days after verification, in office hours."""
    n = verified.size
    addendum = np.full(n, -1, dtype=np.int64)
    am = (verified >= 0) & (rng.random(n) < 0.01)
    add_days, add_tod = rng.integers(1, 11, n), rng.integers(9 * HOUR, 18 * HOUR, n)
    base = verified[am] + add_days[am] * DAY
    addendum[am] = base - base % DAY + add_tod[am]
    addendum[am] = np.maximum(addendum[am], verified[am] + HOUR)
    return addendum
