"""Generate the synthetic network: ground truth in `home/truth`, deliveries in `home/landing`.

    generate_network(home, start, end, scale=0.05, scenarios=(parse_scenario(text), ...))

Simulates the network, applies the trusts' local procedure codes and the semantic defects to
the truth and writes it, a trust at a time (ingest.synth.network_truth; the scenarios injected,
if any, in truth/scenarios.csv), then every delivery of every trust from its feed spec,
injecting the structural defects, and finally the list of defects. The same arguments give the
same files.

Memory: the network's truth is never held whole; each trust's writer reads its own rows back
from the truth files (ingest/synth/memory.py hands freed memory back between stages).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.feeds.spec import HOME_FEEDS, FeedSpec, load_all_specs

from . import deliveries as dl
from .defects import ROW_DEFECTS, ROW_DEFECTS_BY_FORMAT, DefectLog, DefectRates
from .memory import map_large_blocks_apart, release_freed_memory
from .network_truth import write_network_truth
from .scenarios import Scenario, scenario_frame
from .trust_files import Run, TrustFiles, write_trust

Progress = Callable[[str, int, int], None]


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


def _procedure_names(seeds_dir: Path) -> dict[str, str]:
    p = pd.read_csv(seeds_dir / "procedures.csv", dtype=str, keep_default_na=False)
    return dict(zip(p["nicip_code"], p["procedure_name"], strict=True))


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


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
    from .network import SYNTHETIC_FEEDS_DIR, default_seeds_dir

    t0 = time.perf_counter()
    home = Path(home)
    rates = rates if rates is not None else DefectRates()
    seeds_dir = Path(seeds_dir) if seeds_dir is not None else default_seeds_dir()
    specs_dir = Path(specs_dir) if specs_dir is not None else SYNTHETIC_FEEDS_DIR
    specs = _simulated_specs(specs_dir, trusts)
    trusts = sorted(specs)
    report = progress or (lambda stage, done, total: None)
    _fresh_home(home, specs_dir, trusts)

    map_large_blocks_apart()
    report("simulate", 0, 1)

    def simulated() -> None:
        summary.seconds_simulate = time.perf_counter() - t0
        report("simulate", 1, 1)
        report("truth", 0, 1)

    summary = GenerateSummary(home, start, end, scale, seed, trusts,
                              scenarios=[str(s) for s in scenarios])  # fmt: skip
    rng = np.random.default_rng([seed, 7_001])
    before = pd.Timestamp(dl.local_instant_us(end), unit="us", tz="UTC")
    truth = write_network_truth(home, start, end, scale, seed, rates, specs, seeds_dir,
                                scenarios, rng, before, simulated)  # fmt: skip
    if scenarios:
        scenario_frame(scenarios).to_csv(home / "truth" / "scenarios.csv", index=False)
    report("truth", 1, 1)
    summary.exams, summary.events, summary.slots = truth.exams, truth.events, truth.slots
    run = Run(start, end, seed, rates, _file_defect_targets(specs, rates, rng))
    log = DefectLog()
    # each trust's writer reads its own rows back from the truth files
    _SHARED.clear()
    _SHARED.update(
        home=home, specs=specs, run=run, names=_procedure_names(seeds_dir), trusts=trusts,
        watch=truth.watch, events_by_trust=truth.events_by_trust,
    )  # fmt: skip
    try:
        results = _run_trust_jobs(trusts, workers, report)
    finally:
        _SHARED.clear()
    for code in trusts:
        files, nbytes, rows = results[code]
        summary.files += files
        summary.bytes += nbytes
        summary.files_by_trust[code] = files
        log.rows.extend(rows)
    summary.defects = _write_defect_list(home, log)
    summary.seconds_total = time.perf_counter() - t0
    return summary


def _simulated_specs(specs_dir: Path, trusts: Sequence[str] | None) -> dict[str, FeedSpec]:
    """The feed specs of the trusts to generate; every one must be a simulated trust's."""
    from .network import TRUST_ORDER

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
    return specs


def _fresh_home(home: Path, specs_dir: Path, trusts: list[str]) -> None:
    for sub in ("landing", "truth", HOME_FEEDS):
        shutil.rmtree(home / sub, ignore_errors=True)
    # the home is read with the specs its files are written with (ingest.feeds.spec.home_feeds_dir)
    (home / HOME_FEEDS).mkdir(parents=True)
    for code in trusts:
        shutil.copy(specs_dir / f"{code}.yml", home / HOME_FEEDS / f"{code}.yml")
    (home / "truth").mkdir(parents=True, exist_ok=True)
    (home / "landing").mkdir(parents=True, exist_ok=True)


def _write_defect_list(home: Path, log: DefectLog) -> int:
    df = log.frame()
    df.to_csv(home / "truth" / "defects.csv", index=False)
    _write_parquet(df, home / "truth" / "defects.parquet")
    return len(df)


_SHARED: dict = {}  # the run's state, inherited by forked workers


def _run_trust_jobs(
    trusts: list[str], workers: int | None, report: Progress
) -> dict[str, tuple[int, int, list[dict]]]:
    """Each trust's deliveries, by `workers` forked processes (default up to 2)."""
    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    order = write_order(trusts, _SHARED["events_by_trust"])
    results: dict[str, tuple[int, int, list[dict]]] = {}
    report("deliveries", 0, len(trusts))
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
    return results


def write_order(trusts: Sequence[str], size: dict[str, int]) -> list[str]:
    """The order the workers take trusts in: the biggest first, then the rest smallest first.
    A writer's memory grows with its trust, so the two biggest must not write at the same time:
    the second biggest comes last, when the biggest has long finished beside the small ones."""
    by_size = sorted(trusts, key=lambda c: (-size.get(c, 0), c))
    return by_size[:1] + by_size[1:][::-1]


def _trust_job(code: str) -> tuple[str, tuple[int, int, list[dict]]]:
    g = _SHARED
    spec = g["specs"][code]
    truth = g["home"] / "truth"
    sl = dl.trust_slice(_trust_rows(truth / "exams.parquet", code),
                        _trust_rows(truth / "events.parquet", code),
                        _trust_rows(truth / "slots.parquet", code), code, g["names"])  # fmt: skip
    log = DefectLog()
    tw = TrustFiles(g["home"], spec, log)
    write_trust(tw, sl, g["run"], g["trusts"].index(code),
                [w for w in g["watch"] if w["trust"] == code])  # fmt: skip
    del sl
    release_freed_memory()
    return code, (tw.files, tw.bytes, log.rows)


def _trust_rows(path: Path, code: str) -> pd.DataFrame:
    """One trust's rows of a truth file, in the file's order.

    The truth is appended a trust at a time, so a trust's rows are whole row groups; they are
    found by the trust code's statistics. A filter on the (dictionary-typed) trust code is not
    pruned by those statistics: it would read every trust's rows for each trust."""
    file = pq.ParquetFile(path)
    groups = _trust_row_groups(file.metadata, code)
    if groups is None:
        return pq.read_table(path, filters=[("trust_code", "==", code)]).to_pandas()
    return file.read_row_groups(groups).to_pandas()


def _trust_row_groups(meta: pq.FileMetaData, code: str) -> list[int] | None:
    """The row groups holding `code`'s rows; None unless every row group holds one trust."""
    col = meta.schema.to_arrow_schema().get_field_index("trust_code")
    groups = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        if group.num_rows == 0:
            continue
        stats = group.column(col).statistics
        if stats is None or not stats.has_min_max or stats.min != stats.max:
            return None
        if stats.min == code:
            groups.append(i)
    return groups


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
