"""Generate the synthetic network: ground truth in `home/truth`, deliveries in `home/landing`.

    generate_network(home, start, end, scale=0.05, scenarios=(parse_scenario(text), ...))

Simulates the network (ingest.synth.simulate), applies the trusts' local procedure codes and the
semantic defects to the truth, writes the truth (and the scenarios injected, if any, in
truth/scenarios.csv), then every delivery of every trust from its
feed spec, injecting the structural defects, and finally the list of defects. The same arguments
give byte-identical files.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.feeds.spec import HOME_FEEDS, FeedSpec, load_all_specs

from . import deliveries as dl
from .defects import (
    LATE_DELIVERY,
    ROW_DEFECTS,
    ROW_DEFECTS_BY_FORMAT,
    ROW_OUTCOME,
    DefectLog,
    DefectRates,
    RowDefect,
    extra_line_numbers,
    inject_semantic,
    line_numbers,
    plan_row_defects,
    withdraw_reports,
)
from .scenarios import Scenario, scenario_frame
from .writers import event_csv, excel, hl7v2, wide_csv
from .writers import slots as slot_writer
from .writers.base import LineText, assemble, line_keys

Progress = Callable[[str, int, int], None]
CHUNK_ROWS = 400_000
CORRECTION_DELAY = timedelta(hours=10)


@dataclass
class GenerateSummary:
    home: Path
    start: date
    end: date
    scale: float
    seed: int
    trusts: list[str]
    exams: int = 0
    events: int = 0
    slots: int = 0
    files: int = 0
    bytes: int = 0
    defects: int = 0
    seconds_simulate: float = 0.0
    seconds_total: float = 0.0
    files_by_trust: dict[str, int] = field(default_factory=dict)
    scenarios: list[str] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------------


def file_name(spec: FeedSpec, content: str, extract_at: pd.Timestamp, suffix: str = "") -> str:
    """A delivery file name matching `files.<content>` whose extract time is `extract_at`."""
    glob = spec.files.exams if content == "exams" or spec.family == "excel" else spec.files.slots
    local = extract_at.tz_convert(spec.timezone)
    stamp = local.strftime(spec.extract_time.format)
    head, _, tail = glob.partition("*")
    return f"{head}{stamp}{suffix}{tail}"


def _load_local_codes(seeds_dir: Path) -> pd.DataFrame:
    return pd.read_csv(seeds_dir / "local_procedure_codes.csv", dtype=str, keep_default_na=False)


def _procedure_names(seeds_dir: Path) -> dict[str, str]:
    p = pd.read_csv(seeds_dir / "procedures.csv", dtype=str, keep_default_na=False)
    return dict(zip(p["nicip_code"], p["procedure_name"], strict=True))


def apply_local_codes(exams: pd.DataFrame, specs: dict[str, FeedSpec], codes: pd.DataFrame
                      ) -> pd.DataFrame:  # fmt: skip
    """Truth `local_procedure_code`: the trust's own code for local-code trusts, else NICIP."""
    exams = exams.copy(deep=False)  # the column is replaced, not changed in place
    nic = exams["nicip_code"].astype(object)
    trust = exams["trust_code"].astype(object)
    out = nic.copy()
    for code, spec in specs.items():
        if spec.procedure_code_system != "local":
            continue
        m = codes[codes["trust_code"] == code]
        mapping = dict(zip(m["nicip_code"], m["local_code"], strict=True))
        sel = (trust == code).to_numpy()
        mapped = nic[sel].map(mapping)
        missing = mapped.isna()
        if missing.any():
            raise ValueError(
                f"{code}: no local code for NICIP {sorted(set(nic[sel][missing]))[:5]} "
                "in seeds/local_procedure_codes.csv"
            )
        out[sel] = mapped
    exams["local_procedure_code"] = pd.array(out.to_numpy(object), dtype="str")
    return exams


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


class _TrustFiles:
    """Writes one trust's files and records what it wrote."""

    def __init__(self, home: Path, spec: FeedSpec, log: DefectLog) -> None:
        self.home = home
        self.spec = spec
        self.dir = home / "landing" / spec.trust_code
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.files = 0
        self.bytes = 0

    def rel(self, name: str) -> str:
        return f"landing/{self.spec.trust_code}/{name}"

    def write(self, name: str, parts: list[bytes | memoryview]) -> None:
        with open(self.dir / name, "wb") as f:
            f.writelines(parts)
        self.files += 1
        self.bytes += sum(len(p) for p in parts)


def _cut_mid_line(data: bytes, header_len: int) -> int:
    """A byte offset in the middle of a line in the second half of the body (not at a newline)."""
    body = len(data) - header_len
    pos = header_len + int(body * 0.6)
    nl = data.rfind(b"\n", header_len, pos)
    start = nl + 1 if nl >= 0 else header_len
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    if end - start < 4:
        start, end = header_len, data.find(b"\n", header_len)
    return start + max(1, (end - start) // 2)


# --- main -------------------------------------------------------------------------------------------


def generate_network(home: Path, start: date, end: date, scale: float = 1.0, seed: int = 42,
                     rates: DefectRates | None = None, specs_dir: Path | None = None,
                     seeds_dir: Path | None = None, progress: Progress | None = None,
                     workers: int | None = None, scenarios: Sequence[Scenario] = (),
                     trusts: Sequence[str] | None = None) -> GenerateSummary:  # fmt: skip
    """Simulate the network and write truth, deliveries and the defect list under `home`.

    `workers` processes write the trusts' deliveries (default: up to 2); the output does not
    depend on it. `trusts` (default: every trust with a feed spec) generates part of the
    network; each trust's data is the same as in the whole network."""
    from .network import SYNTHETIC_FEEDS_DIR, TRUST_ORDER, default_seeds_dir
    from .simulate import simulate_network

    t0 = time.perf_counter()
    home = Path(home)
    rates = rates if rates is not None else DefectRates()
    seeds_dir = Path(seeds_dir) if seeds_dir is not None else default_seeds_dir()
    specs_dir = Path(specs_dir) if specs_dir is not None else SYNTHETIC_FEEDS_DIR
    specs = load_all_specs(specs_dir)
    if not specs:
        raise ValueError(f"no feed specs (*.yml) in {specs_dir}")
    foreign = sorted(set(specs) - set(TRUST_ORDER))
    if foreign:
        raise ValueError(
            f"{specs_dir}: feed spec(s) for {', '.join(foreign)}, which the synthetic "
            "network does not simulate (ingest/synth/network.py TRUST_ORDER); an "
            "onboarded trust's spec belongs in ingest/feeds/"
        )
    if trusts is not None:
        unknown = sorted(set(trusts) - set(specs))
        if unknown:
            raise ValueError(f"no feed spec for trust(s) {', '.join(unknown)}")
        specs = {code: spec for code, spec in specs.items() if code in trusts}
    trusts = sorted(specs)
    report = progress or (lambda stage, done, total: None)

    for sub in ("landing", "truth", HOME_FEEDS):
        shutil.rmtree(home / sub, ignore_errors=True)
    # the home is read with the specs its files are written with (ingest.feeds.spec.home_feeds_dir)
    (home / HOME_FEEDS).mkdir(parents=True)
    for code in trusts:
        shutil.copy(specs_dir / f"{code}.yml", home / HOME_FEEDS / f"{code}.yml")
    (home / "truth").mkdir(parents=True, exist_ok=True)
    (home / "landing").mkdir(parents=True, exist_ok=True)

    report("simulate", 0, 1)
    truth = simulate_network(
        start, end, scale=scale, seed=seed, seeds_dir=seeds_dir, trusts=trusts, scenarios=scenarios
    )
    t_sim = time.perf_counter() - t0
    report("simulate", 1, 1)

    exams = apply_local_codes(truth.exams, specs, _load_local_codes(seeds_dir))
    log = DefectLog()
    rng = np.random.default_rng([seed, 7_001])
    local_trusts = {c for c, s in specs.items() if s.procedure_code_system == "local"}
    exams, events, watch = inject_semantic(exams, truth.events, local_trusts, rates, rng, log)
    # feeds that can withdraw an event (a wide row, a snapshot); an rng of its own, so that the
    # other defects are drawn as before
    full_trusts = {
        c for c, s in specs.items() if s.family in ("wide_csv", "excel") or s.mode == "snapshot"
    }
    exams, events = withdraw_reports(
        exams,
        events,
        full_trusts,
        rates.withdrawn_report,
        pd.Timestamp(dl.local_instant_us(end), unit="us", tz="UTC"),
        np.random.default_rng([seed, 7_002]),
    )
    slots = truth.slots
    del truth  # only the defective truth is kept: the writer workers inherit what is alive

    report("truth", 0, 1)
    _write_parquet(exams, home / "truth" / "exams.parquet")
    _write_parquet(events, home / "truth" / "events.parquet")
    _write_parquet(slots, home / "truth" / "slots.parquet")
    if scenarios:
        scenario_frame(scenarios).to_csv(home / "truth" / "scenarios.csv", index=False)
    report("truth", 1, 1)

    targets = _file_defect_targets(specs, rates, rng)
    summary = GenerateSummary(home, start, end, scale, seed, trusts, exams=len(exams),
                              events=len(events), slots=len(slots),
                              scenarios=[str(s) for s in scenarios])  # fmt: skip
    _SHARED.clear()
    _SHARED.update(
        home=home, specs=specs, start=start, end=end, seed=seed, rates=rates, targets=targets,
        names=_procedure_names(seeds_dir), exams=exams, events=events, slots=slots,
        trusts=trusts, watch=watch,
        ex_idx=exams.groupby("trust_code", observed=True, sort=False).indices,
        ev_idx=events.groupby("trust_code", observed=True, sort=False).indices,
        sl_idx=slots.groupby("trust_code", observed=True, sort=False).indices,
    )  # fmt: skip
    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    # biggest trusts first so that the workers finish together
    order = sorted(trusts, key=lambda c: -len(_SHARED["ev_idx"].get(c, ())))
    results: dict[str, tuple[int, int, list[dict]]] = {}
    report("deliveries", 0, len(trusts))
    try:
        if n_workers > 1 and len(trusts) > 1:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(n_workers) as pool:
                for code, res in pool.imap_unordered(_trust_job, order):
                    results[code] = res
                    report("deliveries", len(results), len(trusts))
        else:
            for code in order:
                results[code] = _trust_job(code)[1]
                report("deliveries", len(results), len(trusts))
    finally:
        _SHARED.clear()
    for code in trusts:
        files, nbytes, rows = results[code]
        summary.files += files
        summary.bytes += nbytes
        summary.files_by_trust[code] = files
        log.rows.extend(rows)

    df = log.frame()
    summary.defects = len(df)
    df.to_csv(home / "truth" / "defects.csv", index=False)
    _write_parquet(df, home / "truth" / "defects.parquet")
    summary.seconds_simulate = t_sim
    summary.seconds_total = time.perf_counter() - t0
    return summary


_SHARED: dict = {}  # the run's state, inherited by forked workers


def _trust_job(code: str) -> tuple[str, tuple[int, int, list[dict]]]:
    g = _SHARED
    spec = g["specs"][code]
    empty = np.zeros(0, dtype=np.int64)
    sl = dl.trust_slice(g["exams"].iloc[g["ex_idx"].get(code, empty)],
                        g["events"].iloc[np.sort(g["ev_idx"].get(code, empty))],
                        g["slots"].iloc[g["sl_idx"].get(code, empty)], code, g["names"])  # fmt: skip
    log = DefectLog()
    tw = _TrustFiles(g["home"], spec, log)
    _write_trust(tw, sl, spec, g["start"], g["end"], g["seed"], g["trusts"].index(code),
                 g["rates"], g["targets"], [w for w in g["watch"] if w["trust"] == code])  # fmt: skip
    return code, (tw.files, tw.bytes, log.rows)


def _file_defect_targets(specs: dict[str, FeedSpec], rates: DefectRates,
                         rng: np.random.Generator) -> dict:  # fmt: skip
    """Which trust gets each file-level defect, and which trusts carry the forced row defects."""
    codes = sorted(specs)
    text_trusts = [c for c in codes if specs[c].family != "excel"]
    csv_trusts = [c for c in codes if specs[c].family in ("wide_csv", "event_csv")]
    nightly_delta = [c for c in codes if specs[c].delivery_every_days == 1
                     and specs[c].mode == "delta"]  # fmt: skip

    def pick(enabled: bool, wanted: str, pool: list[str], used: set[str]) -> str | None:
        if not enabled or not pool:
            return None
        if wanted in pool and wanted not in used:
            return wanted
        free = [c for c in pool if c not in used]
        return (free or pool)[0]

    used: set[str] = set()
    t = {}
    for key, enabled, wanted, pool in (
        ("truncated", rates.truncated_file, rates.truncated_trust, text_trusts),
        ("missing", rates.missing_night, rates.missing_night_trust, nightly_delta),
        ("identical", rates.identical_redelivery, rates.identical_redelivery_trust, codes),
        ("corrected", rates.corrected_redelivery, rates.corrected_redelivery_trust, csv_trusts),
    ):
        t[key] = pick(enabled, wanted, pool, used)
        if t[key]:
            used.add(t[key])
    forced: dict[str, list[str]] = {}
    if rates.min_each > 0:
        for kind in ROW_DEFECTS:
            pool = [c for c in codes if kind in ROW_DEFECTS_BY_FORMAT[_fmt(specs[c])]]
            if pool:
                for _ in range(rates.min_each):
                    c = pool[int(rng.integers(0, len(pool)))]
                    forced.setdefault(c, []).append(kind)
    t["forced"] = forced
    return t


def _fmt(spec: FeedSpec) -> str:
    return {"excel": "xlsx", "hl7v2": "hl7"}.get(spec.family, "csv")


def _write_trust(tw: _TrustFiles, sl: dl.TrustSlice, spec: FeedSpec, start: date, end: date,
                 seed: int, ti: int, rates: DefectRates, targets: dict, watch: list[dict]) -> None:  # fmt: skip
    code = spec.trust_code
    nights = dl.delivery_nights(start, end, spec.delivery_every_days)
    missing_night = None
    if targets.get("missing") == code and len(nights) >= 3:
        missing_night = nights[len(nights) // 2]
        nights = [n for n in nights if n != missing_night]
    dels = dl.make_deliveries(nights)
    nk = len(dels)
    if spec.family in ("wide_csv", "excel"):
        rows = dl.wide_rows(sl, dels, spec)
    else:
        rows = dl.event_rows(sl, dels, spec)
    srows = dl.slot_rows(sl, dels)
    mid = nk // 2
    special = {
        "truncated": max(0, nk // 3) if targets.get("truncated") == code else None,
        "identical": max(0, (2 * nk) // 3) if targets.get("identical") == code else None,
        "corrected": mid if targets.get("corrected") == code else None,
    }
    forced = targets["forced"].get(code, [])
    forced_k = min(max(0, mid - 1), nk - 1) if nk else 0
    plans: dict[int, list[RowDefect]] = {}
    where: dict[int, str] = {}  # delivery -> the complete exams file of it (for watch lines)

    if missing_night is not None:
        nxt = next((d for d in dels if d.night > missing_night), None)
        skipped_x = dl.make_deliveries([missing_night])[0].extract_at
        tw.log.add("missing_delivery", code, tw.rel(file_name(spec, "exams", skipped_x)), None,
                   None, None,
                   f"no delivery on the night of {missing_night}; its content arrives in "
                   f"{file_name(spec, 'exams', nxt.extract_at) if nxt else 'no later file'}",
                   LATE_DELIVERY)  # fmt: skip

    if spec.family == "excel":
        _write_excel(tw, sl, spec, dels, rows, srows, seed, ti, rates, forced, forced_k,
                     special, plans, where)  # fmt: skip
    else:
        _write_text(tw, sl, spec, dels, rows, seed, ti, rates, forced, forced_k, special, plans,
                    where)  # fmt: skip
        _write_slots_text(tw, sl, spec, dels, srows, seed, ti, rates)
    _record_watch(tw, sl, spec, rows, plans, where, watch)


def _rng(seed: int, ti: int, k: int, content: int) -> np.random.Generator:
    return np.random.default_rng([seed, 11, ti, k, content])


def _chunks(bounds: np.ndarray) -> list[tuple[int, int]]:
    """Groups of consecutive deliveries [k0, k1) holding about CHUNK_ROWS rows."""
    out = []
    k0 = 0
    nk = len(bounds) - 1
    while k0 < nk:
        k1 = k0 + 1
        while k1 < nk and bounds[k1 + 1] - bounds[k0] <= CHUNK_ROWS:
            k1 += 1
        out.append((k0, k1))
        k0 = k1
    return out


def _write_text(tw: _TrustFiles, sl: dl.TrustSlice, spec: FeedSpec, dels: list[dl.Delivery],
                rows: dl.Rows, seed: int, ti: int, rates: DefectRates, forced: list[str],
                forced_k: int, special: dict, plans: dict, where: dict) -> None:  # fmt: skip
    fam = {"wide_csv": wide_csv, "event_csv": event_csv, "hl7v2": hl7v2}[spec.family]
    rend = fam.renderer(spec)
    rend.prepare(sl)
    bounds = rows.bounds(len(dels))
    keys = line_keys(rows, spec.family)
    code = spec.trust_code
    header = rend.header
    enc = spec.encoding
    for k0, k1 in _chunks(bounds):
        a0, b0 = int(bounds[k0]), int(bounds[k1])
        # overlapping snapshots repeat rows: format each distinct line once
        if spec.mode == "snapshot":
            _, first, inv = np.unique(keys[a0:b0], return_index=True, return_inverse=True)
            sel = a0 + first
        else:
            sel, inv = slice(a0, b0), None
        fields = rend.fields(fam.canon(sl, rows, sel, rend.canon_names))
        lines = rend.lines(fields)
        if inv is not None:
            lines = lines.take(pa.array(inv.reshape(-1)))
        text = LineText(lines)
        for k in range(k0, k1):
            d = dels[k]
            a, b = int(bounds[k]) - a0, int(bounds[k + 1]) - a0
            n = b - a

            def at(row: int, a: int = a, inv: np.ndarray | None = inv) -> int:
                """Row of `fields` holding row `row` of this file."""
                return a + row if inv is None else int(inv[a + row])

            plan = plan_row_defects(_rng(seed, ti, k, 1), n, rates, rend.fmt,
                                    tuple(forced) if k == forced_k else ())  # fmt: skip
            plans[k] = plan
            extras = []
            injected = []
            for dfx, num in zip(plan, extra_line_numbers(rend.first_line, plan), strict=True):
                data, fld, detail = rend.extra(fields, replace(dfx, row=at(dfx.row)))
                extras.append((dfx.row, data))
                injected.append((dfx, num, fld, detail, _accession(rend, fields, at(dfx.row))))
            name = file_name(spec, "exams", d.extract_at)
            fix = None
            if special["corrected"] == k and n:
                fix, wrong_detail, wrong_row = _wrong_value(rend, fields, at, n, plan, spec)
            data = assemble(header, text, a, b, enc, extras, fix)
            final_name = name
            if special["truncated"] == k and sum(len(p) for p in data) > 0:
                data = [b"".join(data)]
                hdr_len = len(header.encode()) + (3 if enc == "utf-8-sig" else 0)
                cut = _cut_mid_line(data[0], hdr_len)
                tw.write(name, [data[0][:cut]])
                tw.log.add("truncated_file", code, tw.rel(name), None, None, None,
                           f"file cut after {cut} of {len(data[0])} bytes, mid-line; complete "
                           f"re-delivery in {file_name(spec, 'exams', d.extract_at, '_resent')}",
                           "quarantined:truncated_file")  # fmt: skip
                final_name = file_name(spec, "exams", d.extract_at, "_resent")
                tw.write(final_name, data)
            elif fix is not None:
                tw.write(name, data)
                fixed_x = d.extract_at + CORRECTION_DELAY
                fixed_name = file_name(spec, "exams", fixed_x)
                good = assemble(header, text, a, b, enc, extras, None)
                tw.write(fixed_name, good)
                line = int(line_numbers(np.array([wrong_row]), rend.first_line, plan)[0])
                acc = _accession(rend, fields, at(wrong_row))
                tw.log.add("corrected_redelivery", code, tw.rel(name), line, "priority",
                           acc, f"{wrong_detail}; corrected in {tw.rel(fixed_name)} "
                           f"(extract time {CORRECTION_DELAY} later)", "superseded")  # fmt: skip
                # the row defects of the corrected file repeat those of the first one
                for dfx, num, fld, detail, acc in injected:
                    tw.log.add(dfx.kind, code, tw.rel(fixed_name), num, fld, acc, detail,
                               ROW_OUTCOME[dfx.kind])  # fmt: skip
            else:
                tw.write(name, data)
            if special["identical"] == k:
                copy = file_name(spec, "exams", d.extract_at, "_copy")
                tw.write(copy, data)
                tw.log.add("identical_redelivery", code, tw.rel(copy), None, None, None,
                           f"same bytes as {tw.rel(name)}", "skipped_duplicate_file")  # fmt: skip
            where[k] = tw.rel(final_name)
            for dfx, num, fld, detail, acc in injected:
                tw.log.add(dfx.kind, code, tw.rel(final_name), num, fld, acc, detail,
                           ROW_OUTCOME[dfx.kind])  # fmt: skip


def _unquote(v: str | None) -> str | None:
    if v and len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1].replace('""', '"')
    return v


def _accession(rend, fields: dict, j: int) -> str | None:
    """The accession of row j of `fields`, as the defect list names it."""
    row = rend.row(fields, j)
    return _unquote(row["accession"][0].as_py()) or None if "accession" in row else None


def _wrong_value(rend, fields: dict, at: Callable[[int], int], n: int, plan: list[RowDefect],
                 spec: FeedSpec) -> tuple[dict, str, int]:  # fmt: skip
    """Replace one row's priority by another local word: {row: bytes}, detail, row."""
    busy = {d.row for d in plan}
    row = next((r for r in range(n) if r not in busy), 0)
    one = rend.row(fields, at(row))
    true_word = one["priority"][0].as_py()
    words = list(spec.value_maps.get("priority", {}) or
                 {p: p for p in ("ed", "inpatient", "suspected_cancer", "urgent", "routine",
                                 "planned")})  # fmt: skip
    wrong = next(w for w in words if w != true_word)
    one["priority"] = pa.array([wrong], pa.string())
    line = rend.lines(one)[0].as_py()
    enc = "cp1252" if spec.encoding == "cp1252" else "utf-8"
    return ({row: line.encode(enc)}, f"priority sent as {wrong!r} instead of {true_word!r}", row)


def _write_slots_text(tw: _TrustFiles, sl: dl.TrustSlice, spec: FeedSpec,
                      dels: list[dl.Delivery], srows: dl.Rows, seed: int, ti: int,
                      rates: DefectRates) -> None:  # fmt: skip
    if not spec.files.slots or not spec.slot_columns:
        return
    rend = slot_writer.renderer(spec)
    rend.prepare(sl)
    bounds = srows.bounds(len(dels))
    code = spec.trust_code
    for k0, k1 in _chunks(bounds):
        a0, b0 = int(bounds[k0]), int(bounds[k1])
        fields = rend.fields(slot_writer.canon(sl, srows, slice(a0, b0), rend.canon_names))
        text = LineText(rend.lines(fields))
        for k in range(k0, k1):
            a, b = int(bounds[k]) - a0, int(bounds[k + 1]) - a0
            n = b - a
            plan = plan_row_defects(_rng(seed, ti, k, 2), n, rates, "csv")
            plan = [p for p in plan if p.kind != "unparseable_date"]
            extras, injected = [], []
            for dfx, num in zip(plan, extra_line_numbers(rend.first_line, plan), strict=True):
                data, fld, detail = rend.extra(fields, replace(dfx, row=a + dfx.row))
                extras.append((dfx.row, data))
                injected.append((dfx, num, fld, detail))
            name = file_name(spec, "slots", dels[k].extract_at)
            tw.write(name, assemble(rend.header, text, a, b, spec.encoding, extras))
            for dfx, num, fld, detail in injected:
                tw.log.add(dfx.kind, code, tw.rel(name), num, fld, None, detail,
                           ROW_OUTCOME[dfx.kind])  # fmt: skip


def _write_excel(tw: _TrustFiles, sl: dl.TrustSlice, spec: FeedSpec, dels: list[dl.Delivery],
                 rows: dl.Rows, srows: dl.Rows, seed: int, ti: int, rates: DefectRates,
                 forced: list[str], forced_k: int, special: dict, plans: dict, where: dict
                 ) -> None:  # fmt: skip
    code = spec.trust_code
    er, sr = excel.exam_renderer(spec), excel.slot_renderer(spec)
    eb, sb = rows.bounds(len(dels)), srows.bounds(len(dels))
    for k, d in enumerate(dels):
        ecanon = wide_csv.canon(sl, rows, slice(int(eb[k]), int(eb[k + 1])))
        scanon = slot_writer.canon(sl, srows, slice(int(sb[k]), int(sb[k + 1])))
        ne, ns = int(eb[k + 1] - eb[k]), int(sb[k + 1] - sb[k])
        eplan = plan_row_defects(_rng(seed, ti, k, 1), ne, rates, "xlsx",
                                 tuple(forced) if k == forced_k else ())  # fmt: skip
        splan = [p for p in plan_row_defects(_rng(seed, ti, k, 2), ns, rates, "xlsx")
                 if p.kind != "unparseable_date"]  # fmt: skip
        plans[k] = eplan
        name = file_name(spec, "exams", d.extract_at)
        path = tw.dir / name
        res = excel.write_workbook(path, [(spec.exam_sheet, er, ecanon, eplan),
                                          (spec.slot_sheet, sr, scanon, splan)])  # fmt: skip
        data = path.read_bytes()
        tw.files += 1
        tw.bytes += len(data)
        rel = tw.rel(name)
        where[k] = rel
        for dfx, num, fld, detail in res[0]:
            acc = ecanon["accession"][dfx.row].as_py()
            tw.log.add(dfx.kind, code, rel, num, fld, acc, f"sheet {spec.exam_sheet!r}: {detail}",
                       ROW_OUTCOME[dfx.kind])  # fmt: skip
        for dfx, num, fld, detail in res[1]:
            tw.log.add(dfx.kind, code, rel, num, fld, None, f"sheet {spec.slot_sheet!r}: {detail}",
                       ROW_OUTCOME[dfx.kind])  # fmt: skip
        if special["identical"] == k:
            copy = file_name(spec, "exams", d.extract_at, "_copy")
            tw.write(copy, [data])
            tw.log.add("identical_redelivery", code, tw.rel(copy), None, None, None,
                       f"same bytes as {rel}", "skipped_duplicate_file")  # fmt: skip


def _record_watch(tw: _TrustFiles, sl: dl.TrustSlice, spec: FeedSpec, rows: dl.Rows,
                  plans: dict, where: dict, watch: list[dict]) -> None:  # fmt: skip
    """File and line of the first delivered row carrying each semantic defect."""
    code = spec.trust_code
    if not watch:
        return
    bounds = rows.bounds(len(plans) if plans else 0) if plans else None
    wide = spec.family in ("wide_csv", "excel")
    first_line = 2 if spec.family != "hl7v2" else 1
    acc_set = pa.array(sorted({w["accession"] for w in watch}), pa.string())
    pos_of = dict(zip(acc_set.to_pylist(),
                      pc.index_in(acc_set, value_set=sl.exams["accession"]).to_pylist(),
                      strict=True))  # fmt: skip
    row_exam = rows.ref if wide else sl.ev_exam[rows.ref]
    ev_ids = [w["event_id"] for w in watch if w["event_id"]]
    ev_row_of: dict[str, int] = {}
    if ev_ids:
        mask = pc.is_in(sl.ev_id, value_set=pa.array(ev_ids, pa.string())).to_numpy(
            zero_copy_only=False
        )
        for i in np.flatnonzero(mask).tolist():
            ev_row_of[sl.ev_id[i].as_py()] = i
    for w in watch:
        pos = pos_of.get(w["accession"])
        hit = np.zeros(0, dtype=np.int64)
        if pos is not None:
            if w["event_id"] and not wide:
                er = ev_row_of.get(w["event_id"])
                hit = np.flatnonzero(rows.ref == er) if er is not None else hit
            elif w["event_id"] and wide:
                hit = np.flatnonzero(
                    (row_exam == pos) & (rows.cols["report_verified_at"] != dl.NAT)
                )
            else:
                hit = np.flatnonzero(row_exam == pos)
        file, line = None, None
        if hit.size and bounds is not None:
            r = int(hit[0])
            k = int(rows.k[r])
            j = r - int(bounds[k])
            file = where.get(k)
            line = int(line_numbers(np.array([j]), first_line, plans.get(k, []))[0])
        tw.log.add(w["defect_type"], code, file, line, w["field"], w["accession"], w["detail"],
                   w["outcome"])  # fmt: skip
