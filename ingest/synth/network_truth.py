"""The network's truth, made and written a trust at a time (`write_network_truth`).

The truth of a network year at full scale is tens of millions of rows; holding it whole, with
the work of damaging it, took most of the generator's memory. Each trust is simulated, given
its local procedure codes and set aside on disk (`_Spill`) with the little the network's draws
need of it (`truth_defects.TruthPart`); the draws are made for the network; then each trust is
read back, damaged and appended to the truth's Parquet files. The rows, their order and the
values are those of the whole network made at once.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.feeds.spec import FeedSpec

from .defects import DefectRates
from .memory import release_freed_memory
from .scenarios import Scenario
from .truth_defects import (
    TruthDraws,
    TruthPart,
    apply_truth_defects,
    draw_truth_defects,
    truth_part,
)

TRUTH_FILES = ("exams", "events", "slots")


@dataclass
class NetworkTruth:
    """What the rest of the run needs of the truth once it is written."""

    exams: int = 0
    events: int = 0
    slots: int = 0
    events_by_trust: dict[str, int] = field(default_factory=dict)
    watch: list[dict] = field(default_factory=list)  # the semantic defects (truth_defects)


def write_network_truth(home: Path, start: date, end: date, scale: float, seed: int,
                        rates: DefectRates, specs: dict[str, FeedSpec], seeds_dir: Path,
                        scenarios: Sequence[Scenario], semantic_rng: np.random.Generator,
                        withdraw_before: pd.Timestamp, on_simulated: Callable[[], None]
                        ) -> NetworkTruth:  # fmt: skip
    """Simulate, damage and write the truth of the trusts of `specs` into `home/truth`.

    `semantic_rng` draws the semantic defects (the caller's later draws continue its stream);
    `on_simulated` is called once every trust is simulated."""
    spill = _Spill(home)
    try:
        parts, lists = _simulate_and_set_aside(spill, start, end, scale, seed, specs, seeds_dir,
                                               scenarios)  # fmt: skip
        on_simulated()
        withdrawal_rng = np.random.default_rng([seed, 7_002])  # its own: the others draw as before
        draws = draw_truth_defects(parts, rates, semantic_rng, withdrawal_rng)
        return _damage_and_write(home, spill, lists, parts, draws, withdraw_before)
    finally:
        spill.remove()


def _simulate_and_set_aside(spill: _Spill, start: date, end: date, scale: float, seed: int,
                            specs: dict[str, FeedSpec], seeds_dir: Path,
                            scenarios: Sequence[Scenario]
                            ) -> tuple[list[TruthPart], _NetworkLists]:  # fmt: skip
    """Each trust simulated, given its local codes and set aside; what the draws need of it."""
    from .simulate import simulate_each_trust

    codes = load_local_codes(seeds_dir)
    local = {c for c, s in specs.items() if s.procedure_code_system == "local"}
    # the feeds that can withdraw an event: a wide row, a snapshot
    full = {
        c for c, s in specs.items() if s.family in ("wide_csv", "excel") or s.mode == "snapshot"
    }
    parts, sites, rooms = [], set(), set()
    trusts = sorted(specs)
    each = simulate_each_trust(start, end, scale=scale, seed=seed, seeds_dir=seeds_dir,
                               trusts=trusts, scenarios=scenarios)  # fmt: skip
    for code, (truth, t_sites, t_rooms) in zip(trusts, each, strict=True):
        exams = apply_local_codes(truth.exams, specs, codes)
        parts.append(truth_part(exams, truth.events, code in local, code in full))
        spill.put(code, (exams, truth.events, truth.slots))
        sites.update(t_sites)
        rooms.update(t_rooms)
        del truth, exams
        release_freed_memory()
    return parts, _NetworkLists(trusts, sorted(sites), sorted(rooms))


def _damage_and_write(home: Path, spill: _Spill, lists: _NetworkLists, parts: list[TruthPart],
                      draws: list[TruthDraws], withdraw_before: pd.Timestamp
                      ) -> NetworkTruth:  # fmt: skip
    """Each trust read back, given its share of the draws and appended to the truth files."""
    out = NetworkTruth()
    files = _TruthFiles(home / "truth", sum(p.n_exams for p in parts))
    for code, part, draw in zip(lists.trusts, parts, draws, strict=True):
        exams, events, slots = (lists.recode(f) for f in spill.take(code))
        exams, events, watch = apply_truth_defects(exams, events, part, draw, withdraw_before)
        files.write(exams=exams, events=events, slots=slots)
        out.exams += len(exams)
        out.events += len(events)
        out.slots += len(slots)
        out.events_by_trust[code] = len(events)
        out.watch.extend(watch)
        del exams, events, slots
        release_freed_memory()
    files.close()
    return out


def load_local_codes(seeds_dir: Path) -> pd.DataFrame:
    return pd.read_csv(seeds_dir / "local_procedure_codes.csv", dtype=str, keep_default_na=False)


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


@dataclass(frozen=True)
class _NetworkLists:
    """The network's trusts, sites and rooms: the categories of the truth's columns."""

    trusts: list[str]
    sites: list[str]
    rooms: list[str]

    def recode(self, df: pd.DataFrame) -> pd.DataFrame:
        """A trust's frame with the network's categories (its values unchanged)."""
        df = df.copy(deep=False)
        for col, cats in (("trust_code", self.trusts), ("site_code", self.sites),
                          ("room", self.rooms)):  # fmt: skip
            if col in df:
                df[col] = df[col].cat.set_categories(cats)
        return df


class _Spill:
    """Each trust's truth set aside on disk between simulating it and damaging it."""

    def __init__(self, home: Path) -> None:
        # under truth/, which the next run clears should this one be killed
        self.dir = Path(tempfile.mkdtemp(prefix=".set-aside-", dir=home / "truth"))

    def put(self, code: str, frames: tuple) -> None:
        with open(self.dir / f"{code}.pickle", "wb") as f:
            pickle.dump(frames, f, protocol=5)

    def take(self, code: str) -> tuple:
        path = self.dir / f"{code}.pickle"
        with open(path, "rb") as f:
            frames = pickle.load(f)
        path.unlink()
        return frames

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class _TruthFiles:
    """truth/exams, events and slots.parquet, appended a trust at a time."""

    def __init__(self, truth_dir: Path, n_exams: int) -> None:
        self.dir = truth_dir
        self.writers: dict[str, pq.ParquetWriter] = {}
        # the events' accession is a categorical over the network's exams: its codes' width
        self.accession_codes = pa.from_numpy_dtype(pd.Categorical.from_codes(
            [], categories=pd.RangeIndex(n_exams)).codes.dtype)  # fmt: skip

    def write(self, **frames: pd.DataFrame) -> None:
        for name, df in frames.items():
            table = pa.Table.from_pandas(df, preserve_index=False)
            if name == "events":
                i = table.schema.get_field_index("accession")
                values = table.schema.field(i).type.value_type
                codes = pa.dictionary(self.accession_codes, values)
                table = table.set_column(i, "accession", table["accession"].cast(codes))
            writer = self.writers.get(name)
            if writer is None:
                path = self.dir / f"{name}.parquet"
                writer = pq.ParquetWriter(path, table.schema, compression="zstd",
                                          write_statistics=True)  # fmt: skip
                self.writers[name] = writer
                writer.write_table(table)  # the first, even empty: the file has a schema
            elif table.num_rows:
                writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
