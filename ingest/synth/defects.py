"""Data defects of the synthetic network, and the list of every defect injected.

Semantic defects change the truth itself before anything is written (the truth is what the RIS
holds): invalid NHS numbers, a report dated before its exam started, unknown local procedure
codes. Structural defects never destroy the only copy of true data: corrupted lines are extra
copies of real rows, a truncated file is followed by a complete re-delivery, a missed night rolls
into the next delivery, re-deliveries repeat or correct a file.

Every defect is a row of `home/truth/defects.parquet` (columns `DEFECT_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ingest.contract import DQ_FLAGS, FILE_QUARANTINE_REASONS, ROW_REJECT_REASONS

DEFECT_COLUMNS = ("defect_id", "defect_type", "trust_code", "file", "line", "field", "accession",
                  "detail", "expected_outcome")  # fmt: skip

# Row-level structural defects: an extra, corrupted copy of a real row.
ROW_DEFECTS = ("duplicate_row", "malformed_line", "wrong_column_count", "missing_key",
               "unparseable_timestamp", "unparseable_date")  # fmt: skip
ROW_OUTCOME = {
    "duplicate_row": "loaded_flagged:duplicate_row",
    "malformed_line": "rejected:malformed_line",
    "wrong_column_count": "rejected:wrong_column_count",
    "missing_key": "rejected:missing_key",
    "unparseable_timestamp": "rejected:unparseable_timestamp",
    "unparseable_date": "rejected:unparseable_date",
}
# Which row defects each kind of file can carry.
ROW_DEFECTS_BY_FORMAT = {
    "csv": ROW_DEFECTS,
    "hl7": ("duplicate_row", "malformed_line", "missing_key", "unparseable_timestamp",
            "unparseable_date"),
    "xlsx": ("duplicate_row", "missing_key", "unparseable_timestamp", "unparseable_date"),
}  # fmt: skip
BAD_TIMESTAMP = "31/13/2024 25:61"
BAD_HL7_TIMESTAMP = "20241332256100"
BAD_DATE = "31/13/1970"
BAD_HL7_DATE = "19701332"
LATE_DELIVERY = "late_delivery"  # the outcome of a missed night: its rows arrive the next night

assert {o.split(":")[1] for o in ROW_OUTCOME.values() if o.startswith("rejected:")} <= set(
    ROW_REJECT_REASONS
)
assert "duplicate_row" in DQ_FLAGS and "truncated_file" in FILE_QUARANTINE_REASONS


@dataclass(frozen=True)
class DefectRates:
    """How often each defect happens. Semantic rates are per exam (dates: per reported exam),
    row rates per delivered row; the file-level defects happen once each (for the named trust,
    or the first suitable trust of the run if it is absent). `min_each` forces at least that many
    of each row-level defect across the network so that small runs still exercise them."""

    nhs_number_invalid: float = 0.002
    dates_out_of_order: float = 0.001
    unknown_local_code: float = 0.001
    duplicate_row: float = 0.0003
    malformed_line: float = 0.0001
    wrong_column_count: float = 0.0001
    missing_key: float = 0.0001
    unparseable_timestamp: float = 0.0001
    unparseable_date: float = 0.00005
    min_each: int = 1
    truncated_file: bool = True
    missing_night: bool = True
    identical_redelivery: bool = True
    corrected_redelivery: bool = True
    truncated_trust: str = "RRK"
    missing_night_trust: str = "RNA"
    identical_redelivery_trust: str = "RWP"
    corrected_redelivery_trust: str = "RL1"
    # Not a defect but RIS behaviour the feeds must carry: a verified report taken back a few
    # hours later (per reported exam of a trust whose feed can withdraw: withdraw_reports)
    withdrawn_report: float = 0.001

    @classmethod
    def none(cls) -> DefectRates:
        """No defects at all (clean deliveries)."""
        return cls(nhs_number_invalid=0, dates_out_of_order=0, unknown_local_code=0,
                   duplicate_row=0, malformed_line=0, wrong_column_count=0, missing_key=0,
                   unparseable_timestamp=0, unparseable_date=0, min_each=0,
                   truncated_file=False, missing_night=False, identical_redelivery=False,
                   corrected_redelivery=False, withdrawn_report=0)  # fmt: skip

    def row_rate(self, kind: str) -> float:
        return float(getattr(self, kind))


@dataclass(frozen=True)
class RowDefect:
    row: int  # 0-based row of the file body; the corrupted copy follows it
    kind: str
    forced: bool = False


@dataclass
class DefectLog:
    rows: list[dict] = field(default_factory=list)

    def add(self, defect_type: str, trust_code: str, file: str | None, line: int | None,
            field_: str | None, accession: str | None, detail: str, outcome: str) -> None:  # fmt: skip
        self.rows.append({"defect_type": defect_type, "trust_code": trust_code, "file": file,
                              "line": line, "field": field_, "accession": accession, "detail": detail,
                              "expected_outcome": outcome})  # fmt: skip

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=[c for c in DEFECT_COLUMNS if c != "defect_id"])
        df = df.sort_values(["trust_code", "file", "line", "defect_type", "accession"],
                            kind="stable", na_position="first").reset_index(drop=True)  # fmt: skip
        df.insert(0, "defect_id", [f"D{i:06d}" for i in range(1, len(df) + 1)])
        df["line"] = df["line"].astype("Int64")
        for c in DEFECT_COLUMNS:
            if c not in ("line",):
                df[c] = df[c].astype("str").where(df[c].notna(), None) if len(df) else df[c]
        return df


def plan_row_defects(rng: np.random.Generator, n_rows: int, rates: DefectRates, fmt: str,
                     forced: tuple[str, ...] = ()) -> list[RowDefect]:  # fmt: skip
    """Rows of one file that get a corrupted extra copy (at most one per row)."""
    if n_rows == 0:
        return []
    kinds = ROW_DEFECTS_BY_FORMAT[fmt]
    out: dict[int, RowDefect] = {}
    for kind in kinds:
        n = int(rng.binomial(n_rows, rates.row_rate(kind))) if rates.row_rate(kind) > 0 else 0
        for r in rng.integers(0, n_rows, size=n).tolist():
            out.setdefault(int(r), RowDefect(int(r), kind))
    for kind in forced:
        if kind not in kinds:
            continue
        free = [r for r in range(min(n_rows, 64)) if r not in out] or list(range(n_rows))
        r = int(free[int(rng.integers(0, len(free)))])
        out[r] = RowDefect(r, kind, forced=True)
    return [out[r] for r in sorted(out)]


def line_numbers(rows: np.ndarray, first_line: int, plan: list[RowDefect]) -> np.ndarray:
    """Physical line (message / sheet row) of original body rows after extras are inserted."""
    after = np.array([d.row for d in plan], dtype=np.int64)
    return first_line + rows + np.searchsorted(after, rows, side="left")


def extra_line_numbers(first_line: int, plan: list[RowDefect]) -> list[int]:
    return [first_line + d.row + 1 + i for i, d in enumerate(plan)]


# --- semantic defects (applied to the truth) ------------------------------------------------------


def nhs_check_digit(first9: np.ndarray) -> np.ndarray:
    """Mod-11 check digit of 9-digit prefixes (10 = no valid number)."""
    w = np.arange(10, 1, -1)
    d = (first9[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    c = 11 - (d * w).sum(axis=1) % 11
    return np.where(c == 11, 0, c)


def nhs_valid(numbers: pd.Series) -> np.ndarray:
    s = numbers.astype(str).str.replace(" ", "", regex=False)
    ok = s.str.fullmatch(r"\d{10}").fillna(False).to_numpy(bool)
    out = np.zeros(len(s), dtype=bool)
    if ok.any():
        v = s[ok].astype(np.int64).to_numpy()
        out[ok] = nhs_check_digit(v // 10) == v % 10
    return out


def inject_semantic(exams: pd.DataFrame, events: pd.DataFrame, local_trusts: set[str],
                    rates: DefectRates, rng: np.random.Generator, log: DefectLog
                    ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:  # fmt: skip
    """Apply the semantic defects to the truth; returns (exams, events, watch list).

    The watch list names, per defect, the exam (and event) whose first delivered row the defect
    list should point at; generate fills in file and line once the files are written.
    """
    # shallow copies: columns are replaced, never changed in place (the caller's frames stay)
    exams = exams.copy(deep=False)
    events = events.copy(deep=False)
    watch: list[dict] = []
    _invalid_nhs_numbers(exams, rates, rng, watch)
    _unknown_local_codes(exams, local_trusts, rates, rng, watch)
    _reports_before_exams(events, rates, rng, watch)
    return exams, events, watch


def _invalid_nhs_numbers(
    exams: pd.DataFrame, rates: DefectRates, rng: np.random.Generator, watch: list[dict]
) -> None:
    """NHS numbers recorded with a wrong check digit."""
    n = len(exams)
    if rates.nhs_number_invalid > 0 and n:
        pick = np.flatnonzero(rng.random(n) < rates.nhs_number_invalid)
        if pick.size:
            nhs = exams["nhs_number"].iloc[pick].to_numpy(object)
            vals = np.array([int(x) for x in nhs], dtype=np.int64)
            check = nhs_check_digit(vals // 10)
            bump = rng.integers(1, 10, size=pick.size)
            new_last = np.where(check == 10, vals % 10, (check + bump) % 10)
            new_last = np.where(
                new_last == np.where(check == 10, -1, check), (new_last + 1) % 10, new_last
            )
            new = (vals // 10) * 10 + new_last
            new_s = [f"{v:010d}" for v in new.tolist()]
            col = exams["nhs_number"].copy()
            col.iloc[pick] = new_s
            exams["nhs_number"] = col
            nhs = np.array(nhs, dtype=object)
            pick_all = np.arange(pick.size)
            for i, old, nv in zip(pick.tolist(), nhs[pick_all].tolist(), new_s, strict=True):
                watch.append({"defect_type": "nhs_number_invalid", "trust": str(
                    exams["trust_code"].iat[i]), "accession": exams["accession"].iat[i],
                    "field": "nhs_number", "event_id": None,
                    "detail": f"NHS number {old} recorded as {nv} (fails the mod-11 check)",
                    "outcome": "loaded_flagged:nhs_number_invalid"})  # fmt: skip


def _unknown_local_codes(
    exams: pd.DataFrame,
    local_trusts: set[str],
    rates: DefectRates,
    rng: np.random.Generator,
    watch: list[dict],
) -> None:
    """Local procedure codes missing from the trust's code map."""
    n = len(exams)
    if rates.unknown_local_code > 0 and n and local_trusts:
        in_local = exams["trust_code"].isin(list(local_trusts)).to_numpy(bool)
        pick = np.flatnonzero(in_local & (rng.random(n) < rates.unknown_local_code))
        if pick.size:
            col = exams["local_procedure_code"].copy()
            olds = col.iloc[pick].to_numpy(object)
            news = [f"{o}Z9" for o in olds]
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


def _reports_before_exams(
    events: pd.DataFrame, rates: DefectRates, rng: np.random.Generator, watch: list[dict]
) -> None:
    """Reports verified before the exam started (same local day, so deliveries are unaffected)."""
    if rates.dates_out_of_order > 0 and len(events):
        ev = events
        typ = ev["event"]
        ver = np.flatnonzero((typ == "report_verified").to_numpy(bool))
        sta = np.flatnonzero((typ == "exam_started").to_numpy(bool))
        if ver.size and sta.size:
            exam = exam_numbers(ev["accession"])
            t = ev["event_at"]
            vdf = pd.DataFrame({"acc": exam[ver], "vi": ver}).drop_duplicates("acc", keep="first")
            sdf = pd.DataFrame({"acc": exam[sta], "si": sta}).drop_duplicates("acc", keep="last")
            del exam
            m = vdf.merge(sdf, on="acc")
            if len(m):
                from .writers._format import NAT, US_PER_DAY, to_local_us

                t_us = (
                    t.dt.tz_convert("UTC")
                    .dt.as_unit("us")
                    .to_numpy("datetime64[us]")
                    .astype(np.int64)
                )
                vi_all = m["vi"].to_numpy()
                si_all = m["si"].to_numpy()
                tv, ts = t_us[vi_all], t_us[si_all]
                new = ts - rng.integers(10, 120, size=len(m)) * 60_000_000

                def day(x: np.ndarray) -> np.ndarray:
                    return np.floor_divide(to_local_us(x, "Europe/London"), US_PER_DAY)

                ok = (tv != NAT) & (ts != NAT)
                same_day = ok & (day(tv) == day(ts)) & (day(new) == day(ts))
                cand = np.flatnonzero(same_day)
                pick = cand[rng.random(cand.size) < rates.dates_out_of_order]
                if pick.size:
                    vi = vi_all[pick]
                    t_us[vi] = new[pick]  # t_us is this function's own copy
                    events["event_at"] = pd.Series(
                        pd.DatetimeIndex(t_us.view("datetime64[us]")).tz_localize("UTC"),
                        index=events.index,
                    )
                    fmt = "%Y-%m-%d %H:%M"
                    for j, p in zip(vi.tolist(), pick.tolist(), strict=True):
                        acc_j = ev["accession"].iat[j]
                        newt = pd.Timestamp(int(new[p]), unit="us", tz="UTC")
                        oldt = pd.Timestamp(int(ts[p]), unit="us", tz="UTC")
                        watch.append({
                            "defect_type": "dates_out_of_order", "trust": str(ev["trust_code"].iat[j]),
                            "accession": acc_j, "field": "report_verified_at",
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
    from .deliveries import STATUS_OF_EVENT

    events = events.copy(deep=False)
    if rate <= 0 or not len(events):
        events["withdrawn_at"] = pd.Series(pd.NaT, index=events.index, dtype="datetime64[us, UTC]")
        return exams, events
    # an exam's events in frame order are in the RIS's recording order (deliveries.trust_slice)
    exam = exam_numbers(events["accession"])
    verified = (events["event"] == "report_verified").to_numpy(bool)
    order_in_exam, n_events = _order_in_group(exam)
    n_reports = np.bincount(exam[verified], minlength=n_events.size)[exam]
    n_events = n_events[exam]
    is_full = events["trust_code"].isin(list(full_trusts)).to_numpy(bool)
    cand = np.flatnonzero((order_in_exam == n_events - 1) & (n_events > 1) & is_full
                          & verified & (n_reports == 1))  # fmt: skip
    pick = cand[rng.random(cand.size) < rate]
    hours = rng.uniform(2, 30, size=pick.size)
    at = events["event_at"].iloc[pick].dt.tz_convert("UTC") + pd.to_timedelta(hours, unit="h")
    keep = (at < before).to_numpy()
    pick, at = pick[keep], at[keep]
    values = np.full(len(events), np.datetime64("NaT"), dtype="datetime64[us]")
    values[pick] = at.dt.floor("s").dt.tz_localize(None).to_numpy("datetime64[us]")
    events["withdrawn_at"] = pd.Series(
        pd.DatetimeIndex(values).tz_localize("UTC"), index=events.index
    )
    if pick.size:
        # the status the exam had before the report: that of its event before it
        before_last = np.flatnonzero(order_in_exam == n_events - 2)
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
        status = (
            exams["status"].astype(object).where(~accessions.isin(picked), accessions.map(prev))
        )
        exams = exams.copy(deep=False)
        exams["status"] = status.astype(exams["status"].dtype)
    return exams, events


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
