"""Our ingest against a bare DuckDB script on the real feed mix: the same landing files, per
family and for the whole month, the two sides taking turns.

    .venv/bin/python bench/mix_bench.py --home var_month [--repeats 3] [--json PATH]

`--home` is a generated network (`wmin synth --start 2026-03-01 --end 2026-03-31 --scale 0.3`);
nothing in it is written but quarantine reports, should a file be quarantined.

Ours: `ingest_landing` (what `wmin ingest` runs: reader processes, validation, pseudonyms,
manifest) of the chosen trusts into a new database. Bare: one DuckDB connection that reads each
of the same files into a table of its own, no mapping, no checks:
- CSV deliveries (wide, event, slots): `read_csv(all_varchar=true)`, DuckDB's sniffer choosing
  the dialect;
- HL7 v2 batches: the file read whole (`read_text`), split into segments on the segment
  separator and each segment into its fields with DuckDB string functions, one row per segment.
  There is no HL7 reader in DuckDB, so this is the fairest bare equivalent: the engine's own
  string splitting over the same bytes, without the mapping of fields to columns;
- Excel workbooks are left out of both sides (DuckDB's Excel reader is an extension this
  project does not install).

Each figure is the best of `--repeats` runs per side, after one run of the small-files trust that
warms both sides (imports, compute kernels) and is not counted. Ratio = bare seconds / ours.
Beside the wall times, each side's CPU seconds (ours with its reader processes'): on a machine
shared with other work the wall times measure the machine, the CPU seconds still the work.
Per-file overhead is measured on the trust with the fewest bytes a file among those with the
most files (the many-small-files case): milliseconds per file on each side, and the CPU seconds
of our side's own process (on a busy machine the wall times measure the machine more).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.memory import keep_freed_memory

keep_freed_memory()  # as `wmin ingest` does, before pyarrow loads

import duckdb

from ingest.feeds.spec import load_all_specs
from ingest.loader import discover, ingest_landing
from ingest.synth.network import SYNTHETIC_FEEDS_DIR, default_seeds_dir
from pipeline.settings import DEMO_PSEUDONYM_KEY

FAMILIES = ("wide_csv", "event_csv", "hl7v2")


def landing_files(home: Path, specs: dict) -> dict[str, list[tuple[str, str, Path]]]:
    """(trust, content, path) of every delivery, by trust."""
    return {
        code: [(code, content, path) for _, content, path, _ in discover(home, spec)]
        for code, spec in sorted(specs.items())
        if spec.family in FAMILIES
    }


def cpu_seconds() -> float:
    """CPU seconds of this process (all its threads) and of its children that have ended (our
    reader processes, once the ingest has shut its pool down)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bare_load(db: Path, files: list[tuple[str, str, Path]], specs: dict) -> tuple[float, float]:
    """Seconds (wall, CPU) for a plain DuckDB script to read every file into a table of its own."""
    with duckdb.connect(str(db)) as con:
        t, cpu = time.perf_counter(), cpu_seconds()
        for i, (code, content, path) in enumerate(files):
            try:
                con.execute(f"create table f{i} as {bare_source(specs[code], content, path)}")
            except duckdb.Error:  # a defect DuckDB refuses (e.g. bytes not in the encoding)
                pass  # a file our side quarantines: the bare side just moves on
        return time.perf_counter() - t, cpu_seconds() - cpu


def bare_source(spec, content: str, path: Path) -> str:
    """The query a plain script would write for one delivery, knowing its feed's dialect."""
    if spec.family == "hl7v2" and content == "exams":
        return (
            "select s.seg, string_split(s.seg, '|') as fields from ("
            "select unnest(string_split(replace(content, chr(10), chr(13)), chr(13))) "
            f"as seg from read_text('{path}')) s where s.seg <> ''"
        )
    csv = spec.family != "hl7v2"  # an HL7 trust's slots are plain comma-separated files
    delim = spec.delimiter if csv else ","
    quote = spec.quotechar if csv else '"'
    enc = "latin-1" if spec.encoding == "cp1252" else "utf-8"
    return (
        f"select * from read_csv('{path}', all_varchar=true, header=true, delim='{delim}', "
        f"quote='{quote}', encoding='{enc}', null_padding=true, strict_mode=false)"
    )


def ours_load(db: Path, home: Path, specs: dict, trusts: list[str]) -> tuple[float, float, int]:
    """Seconds (wall, CPU with the reader processes') for our ingest of the trusts' files into a
    new database, and files loaded."""
    t, cpu, all_cpu = time.perf_counter(), time.process_time(), cpu_seconds()
    summary = ingest_landing(
        db,
        home,
        specs,
        DEMO_PSEUDONYM_KEY.encode(),
        trusts=trusts,
        seeds_dir=default_seeds_dir(),
    )
    secs = time.perf_counter() - t
    tot = summary.totals
    print(
        f"  ours: {secs:.2f} s, {time.process_time() - cpu:.2f} s CPU in this process, "
        f"{cpu_seconds() - all_cpu:.2f} s with the readers'",
        flush=True,
    )
    if tot.quarantined:
        print(f"  note: {tot.quarantined} file(s) quarantined by our ingest", flush=True)
    return secs, cpu_seconds() - all_cpu, tot.loaded


def turns(name, home, specs, trusts, files, tmp: Path, repeats: int) -> dict:
    """Best of `repeats` runs per side, bare then ours, each into a new database file."""
    bare_runs, ours_runs, bare_cpu, ours_cpu, loaded = [], [], [], [], 0
    for i in range(repeats):
        db = tmp / f"bare_{name}_{i}.duckdb"
        secs, cpu = bare_load(db, files, specs)
        bare_runs.append(secs)
        bare_cpu.append(cpu)
        db.unlink()
        db = tmp / f"ours_{name}_{i}.duckdb"
        secs, cpu, loaded = ours_load(db, home, specs, trusts)
        ours_runs.append(secs)
        ours_cpu.append(cpu)
        db.unlink()
    bare, ours = min(bare_runs), min(ours_runs)
    size = sum(p.stat().st_size for _, _, p in files)
    out = {
        "trusts": trusts,
        "files": len(files),
        "files_loaded": loaded,
        "mb": round(size / 1e6, 1),
        "bare_seconds": round(bare, 3),
        "ours_seconds": round(ours, 3),
        "ratio": round(bare / ours, 3),
        "bare_ms_per_file": round(1000 * bare / len(files), 1),
        "ours_ms_per_file": round(1000 * ours / len(files), 1),
        "bare_runs": [round(s, 3) for s in bare_runs],
        "ours_runs": [round(s, 3) for s in ours_runs],
        # CPU seconds (ours: with the reader processes'): the work done, which a busy machine
        # moves less than the wall time
        "bare_cpu_seconds": round(min(bare_cpu), 3),
        "ours_cpu_seconds": round(min(ours_cpu), 3),
        "cpu_ratio": round(min(bare_cpu) / min(ours_cpu), 3),
    }
    print(
        f"{name:<14} {len(files):>4} files {out['mb']:>7} MB  bare {bare:6.2f}s  ours {ours:6.2f}s"
        f"  ratio {bare / ours:.2f}x  ms/file bare {out['bare_ms_per_file']} ours "
        f"{out['ours_ms_per_file']}  (runs bare {out['bare_runs']} ours {out['ours_runs']})"
        f"  CPU bare {out['bare_cpu_seconds']}s ours {out['ours_cpu_seconds']}s"
        f" ratio {out['cpu_ratio']:.2f}x",
        flush=True,
    )
    return out


def small_files_trust(by_trust: dict) -> str:
    """The trust with the smallest bytes a file among those with the most files."""

    def per_file(code: str) -> float:
        return sum(p.stat().st_size for _, _, p in by_trust[code]) / len(by_trust[code])

    most = max(len(f) for f in by_trust.values())
    many = [c for c, f in by_trust.items() if len(f) >= most / 2]
    return min(many, key=per_file)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", type=Path, required=True, help="a generated network home")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per side")
    ap.add_argument("--only", choices=("families", "month", "small"), help="one part only")
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    a = ap.parse_args()
    specs = load_all_specs(SYNTHETIC_FEEDS_DIR)
    by_trust = landing_files(a.home, specs)
    small = small_files_trust(by_trust)
    tmp = Path(tempfile.mkdtemp(prefix="mix_bench_"))
    figures: dict = {"home": str(a.home), "repeats": a.repeats, "small_files_trust": small}
    try:
        # warm-up, not counted: both sides' first run pays for imports and fresh memory
        turns("warm-up", a.home, specs, [small], by_trust[small], tmp, 1)
        parts = {}
        if a.only in (None, "small"):
            parts[f"small files {small}"] = [small]
        if a.only in (None, "families"):
            fam = defaultdict(list)
            for code in by_trust:
                fam[specs[code].family].append(code)
            parts.update({f: fam[f] for f in FAMILIES})
        if a.only in (None, "month"):
            parts["whole month"] = list(by_trust)
        for name, trusts in parts.items():
            files = [f for code in trusts for f in by_trust[code]]
            figures[name] = turns(name, a.home, specs, trusts, files, tmp, a.repeats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
