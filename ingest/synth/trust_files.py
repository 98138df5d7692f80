"""One trust's delivery files, written from its slice of the defective truth by its feed spec,
with the row and file defects planned for them, and the defect list's lines for them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.feeds.spec import FeedSpec

from . import deliveries as dl
from .defects import (
    LATE_DELIVERY,
    ROW_OUTCOME,
    DefectLog,
    DefectRates,
    RowDefect,
    extra_line_numbers,
    line_numbers,
    plan_row_defects,
)
from .writers import event_csv, excel, hl7v2, wide_csv
from .writers import slots as slot_writer
from .writers.base import LineText, assemble, line_keys

CHUNK_ROWS = 100_000  # rows formatted at once: a writer's working memory
CORRECTION_DELAY = timedelta(hours=10)


def file_name(spec: FeedSpec, content: str, extract_at: pd.Timestamp, suffix: str = "") -> str:
    """A delivery file name matching `files.<content>` whose extract time is `extract_at`."""
    glob = spec.files.exams if content == "exams" or spec.family == "excel" else spec.files.slots
    local = extract_at.tz_convert(spec.timezone)
    stamp = local.strftime(spec.extract_time.format)
    head, _, tail = glob.partition("*")
    return f"{head}{stamp}{suffix}{tail}"


class TrustFiles:
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


@dataclass(frozen=True)
class Run:
    """What every trust's writing shares: the window, the seed and the defect rates."""

    start: date
    end: date
    seed: int
    rates: DefectRates
    targets: dict  # file-level defects' trusts and forced row defects (_file_defect_targets)


@dataclass
class _TrustWrite:
    """One trust's deliveries being written: what each writing step shares, and what it learns
    (each delivery's row defects, and the file its exams ended up in)."""

    tw: TrustFiles
    sl: dl.TrustSlice
    spec: FeedSpec
    dels: list[dl.Delivery]
    run: Run
    ti: int  # the trust's index: its files' random streams
    forced: list[str]
    forced_k: int  # the delivery carrying the forced row defects
    special: dict  # file-level defect -> delivery index, or None
    plans: dict[int, list[RowDefect]] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)  # delivery -> its complete exams file

    @property
    def code(self) -> str:
        return self.spec.trust_code

    def rng(self, k: int, content: int) -> np.random.Generator:
        return np.random.default_rng([self.run.seed, 11, self.ti, k, content])

    def forced_in(self, k: int) -> tuple[str, ...]:
        return tuple(self.forced) if k == self.forced_k else ()

    def log_row_defects(self, file: str, injected: list[tuple], prefix: str = "") -> None:
        for dfx, num, fld, detail, acc in injected:
            self.tw.log.add(dfx.kind, self.code, file, num, fld, acc, prefix + detail,
                            ROW_OUTCOME[dfx.kind])  # fmt: skip


def write_trust(tw: TrustFiles, sl: dl.TrustSlice, run: Run, ti: int, watch: list[dict]) -> None:
    """Every delivery of one trust, with its defects, and the watch lines of its semantic
    defects."""
    spec = tw.spec
    code = spec.trust_code
    nights = dl.delivery_nights(run.start, run.end, spec.delivery_every_days)
    missing_night = None
    if run.targets.get("missing") == code and len(nights) >= 3:
        missing_night = nights[len(nights) // 2]
        nights = [n for n in nights if n != missing_night]
    dels = dl.make_deliveries(nights)
    nk = len(dels)
    mid = nk // 2
    special = {
        "truncated": max(0, nk // 3) if run.targets.get("truncated") == code else None,
        "identical": max(0, (2 * nk) // 3) if run.targets.get("identical") == code else None,
        "corrected": mid if run.targets.get("corrected") == code else None,
    }
    forced = run.targets["forced"].get(code, [])
    forced_k = min(max(0, mid - 1), nk - 1) if nk else 0
    w = _TrustWrite(tw, sl, spec, dels, run, ti, forced, forced_k, special)
    if missing_night is not None:
        _log_missing_night(w, missing_night)
    write = _excel_writer(w) if spec.family == "excel" else _text_writer(w)
    watched = _WatchedRows(w, watch)
    slot_rows = dl.slot_rows(sl, dels)  # made once: a slot's rows need the trust's bookings
    # a month of deliveries at a time: a trust's exam rows for the year are never held together
    for ks in _month_runs(dels):
        if spec.family in ("wide_csv", "excel"):
            rows = dl.wide_rows(sl, dels, spec, ks)
        else:
            rows = dl.event_rows(sl, dels, spec, ks)
        write(rows, slot_rows.of(ks), ks)
        watched.find(rows)
        del rows
    watched.log()


def _month_runs(dels: list[dl.Delivery]) -> list[range]:
    """The deliveries of each calendar month (of their nights), as runs of delivery indices."""
    runs: list[range] = []
    k0 = 0
    for k in range(1, len(dels) + 1):
        if k == len(dels) or (dels[k].night.year, dels[k].night.month) != (
            dels[k0].night.year,
            dels[k0].night.month,
        ):
            runs.append(range(k0, k))
            k0 = k
    return runs


def _text_writer(w: _TrustWrite):
    """Writes a run of deliveries' exams and slots files; the records' attributes are formatted
    once for the trust."""
    fam = {"wide_csv": wide_csv, "event_csv": event_csv, "hl7v2": hl7v2}[w.spec.family]
    rend = fam.renderer(w.spec)
    rend.prepare(w.sl)
    slot_rend = None
    if w.spec.files.slots and w.spec.slot_columns:
        slot_rend = slot_writer.renderer(w.spec)
        slot_rend.prepare(w.sl)

    def write(rows: dl.Rows, srows: dl.Rows, ks: range) -> None:
        _write_text(w, rend, fam, rows, ks)
        if slot_rend is not None:
            _write_slots_text(w, slot_rend, srows, ks)

    return write


def _excel_writer(w: _TrustWrite):
    er, sr = excel.exam_renderer(w.spec), excel.slot_renderer(w.spec)

    def write(rows: dl.Rows, srows: dl.Rows, ks: range) -> None:
        _write_excel(w, er, sr, rows, srows, ks)

    return write


def _log_missing_night(w: _TrustWrite, missing_night: date) -> None:
    nxt = next((d for d in w.dels if d.night > missing_night), None)
    skipped_x = dl.make_deliveries([missing_night])[0].extract_at
    w.tw.log.add("missing_delivery", w.code, w.tw.rel(file_name(w.spec, "exams", skipped_x)),
                 None, None, None,
                 f"no delivery on the night of {missing_night}; its content arrives in "
                 f"{file_name(w.spec, 'exams', nxt.extract_at) if nxt else 'no later file'}",
                 LATE_DELIVERY)  # fmt: skip


def _chunks(bounds: np.ndarray, ks: range) -> list[tuple[int, int]]:
    """Groups of consecutive deliveries [k0, k1) of `ks` holding about CHUNK_ROWS rows."""
    out = []
    k0 = ks.start
    nk = ks.stop
    while k0 < nk:
        k1 = k0 + 1
        while k1 < nk and bounds[k1 + 1] - bounds[k0] <= CHUNK_ROWS:
            k1 += 1
        out.append((k0, k1))
        k0 = k1
    return out


@dataclass
class _Chunk:
    """Consecutive deliveries' rows formatted once: fields and lines from row a0 of the
    trust's rows; for snapshots (which repeat rows) `inv` maps each row to its distinct line."""

    fields: dict
    text: LineText
    a0: int
    inv: np.ndarray | None

    def at(self, a: int, row: int) -> int:
        """Row of `fields` holding row `row` of the file starting at chunk row `a`."""
        return a + row if self.inv is None else int(self.inv[a + row])


def _format_chunk(w: _TrustWrite, rend, fam, rows: dl.Rows, keys, a0: int, b0: int) -> _Chunk:
    # overlapping snapshots repeat rows: format each distinct line once
    if w.spec.mode == "snapshot":
        _, first, inv = np.unique(keys[a0:b0], return_index=True, return_inverse=True)
        sel = a0 + first
    else:
        sel, inv = slice(a0, b0), None
    fields = rend.fields(fam.canon(w.sl, rows, sel, rend.canon_names))
    lines = rend.lines(fields)
    if inv is not None:
        lines = lines.take(pa.array(inv.reshape(-1)))
    return _Chunk(fields, LineText(lines), a0, inv)


def _write_text(w: _TrustWrite, rend, fam, rows: dl.Rows, ks: range) -> None:
    """The exams files of deliveries `ks` of a text family (CSV, HL7), chunk by chunk."""
    bounds = rows.bounds(len(w.dels))
    keys = line_keys(rows, w.spec.family)
    for k0, k1 in _chunks(bounds, ks):
        a0, b0 = int(bounds[k0]), int(bounds[k1])
        chunk = _format_chunk(w, rend, fam, rows, keys, a0, b0)
        for k in range(k0, k1):
            _write_exams_file(w, rend, chunk, k, int(bounds[k]) - a0, int(bounds[k + 1]) - a0)
        del chunk  # before the next one is formatted


def _write_exams_file(w: _TrustWrite, rend, chunk: _Chunk, k: int, a: int, b: int) -> None:
    """Delivery k's exams file (chunk rows a..b) with its row defects, and the file-level
    defect planned for it, if any."""
    d = w.dels[k]
    n = b - a
    plan = plan_row_defects(w.rng(k, 1), n, w.run.rates, rend.fmt, w.forced_in(k))
    w.plans[k] = plan
    extras, injected = [], []
    for dfx, num in zip(plan, extra_line_numbers(rend.first_line, plan), strict=True):
        at_row = chunk.at(a, dfx.row)
        data, fld, detail = rend.extra(chunk.fields, replace(dfx, row=at_row))
        extras.append((dfx.row, data))
        injected.append((dfx, num, fld, detail, _accession(rend, chunk.fields, at_row)))
    name = file_name(w.spec, "exams", d.extract_at)
    fix = None
    if w.special["corrected"] == k and n:
        fix, wrong_detail, wrong_row = _wrong_value(rend, chunk, a, n, plan, w.spec)
    data = assemble(rend.header, chunk.text, a, b, w.spec.encoding, extras, fix)
    final_name = name
    if w.special["truncated"] == k and sum(len(p) for p in data) > 0:
        final_name = _write_truncated(w, rend, name, d, data)
    elif fix is not None:
        w.tw.write(name, data)
        good = assemble(rend.header, chunk.text, a, b, w.spec.encoding, extras, None)
        wrong = (wrong_detail, plan, _accession(rend, chunk.fields, chunk.at(a, wrong_row)))
        _write_correction(w, rend, name, d, good, wrong_row, wrong, injected)
    else:
        w.tw.write(name, data)
    if w.special["identical"] == k:
        _write_identical_copy(w, name, d, data)
    w.where[k] = w.tw.rel(final_name)
    w.log_row_defects(w.tw.rel(final_name), injected)


def _write_truncated(w: _TrustWrite, rend, name: str, d: dl.Delivery, data: list) -> str:
    """The file cut mid-line, then its complete re-delivery; returns the re-delivery's name."""
    data = [b"".join(data)]
    hdr_len = len(rend.header.encode()) + (3 if w.spec.encoding == "utf-8-sig" else 0)
    cut = _cut_mid_line(data[0], hdr_len)
    w.tw.write(name, [data[0][:cut]])
    resent = file_name(w.spec, "exams", d.extract_at, "_resent")
    w.tw.log.add("truncated_file", w.code, w.tw.rel(name), None, None, None,
                 f"file cut after {cut} of {len(data[0])} bytes, mid-line; complete "
                 f"re-delivery in {resent}", "quarantined:truncated_file")  # fmt: skip
    w.tw.write(resent, data)
    return resent


def _write_correction(
    w: _TrustWrite,
    rend,
    name: str,
    d: dl.Delivery,
    good: list,
    wrong_row: int,
    wrong: tuple[str, list[RowDefect], str | None],
    injected: list[tuple],
) -> None:
    """The corrected re-delivery of a file sent with one wrong value, CORRECTION_DELAY later."""
    wrong_detail, plan, acc = wrong
    fixed_name = file_name(w.spec, "exams", d.extract_at + CORRECTION_DELAY)
    w.tw.write(fixed_name, good)
    line = int(line_numbers(np.array([wrong_row]), rend.first_line, plan)[0])
    w.tw.log.add("corrected_redelivery", w.code, w.tw.rel(name), line, "priority",
                 acc, f"{wrong_detail}; corrected in {w.tw.rel(fixed_name)} "
                 f"(extract time {CORRECTION_DELAY} later)", "superseded")  # fmt: skip
    # the row defects of the corrected file repeat those of the first one
    w.log_row_defects(w.tw.rel(fixed_name), injected)


def _write_identical_copy(w: _TrustWrite, name: str, d: dl.Delivery, data: list) -> None:
    copy = file_name(w.spec, "exams", d.extract_at, "_copy")
    w.tw.write(copy, data)
    w.tw.log.add("identical_redelivery", w.code, w.tw.rel(copy), None, None, None,
                 f"same bytes as {w.tw.rel(name)}", "skipped_duplicate_file")  # fmt: skip


def _unquote(v: str | None) -> str | None:
    if v and len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1].replace('""', '"')
    return v


def _accession(rend, fields: dict, j: int) -> str | None:
    """The accession of row j of `fields`, as the defect list names it."""
    row = rend.row(fields, j)
    return _unquote(row["accession"][0].as_py()) or None if "accession" in row else None


def _wrong_value(rend, chunk: _Chunk, a: int, n: int, plan: list[RowDefect],
                 spec: FeedSpec) -> tuple[dict, str, int]:  # fmt: skip
    """Replace one row's priority by another local word: {row: bytes}, detail, row."""
    busy = {d.row for d in plan}
    row = next((r for r in range(n) if r not in busy), 0)
    one = rend.row(chunk.fields, chunk.at(a, row))
    true_word = one["priority"][0].as_py()
    words = list(spec.value_maps.get("priority", {}) or
                 {p: p for p in ("ed", "inpatient", "suspected_cancer", "urgent", "routine",
                                 "planned")})  # fmt: skip
    wrong = next(w for w in words if w != true_word)
    one["priority"] = pa.array([wrong], pa.string())
    line = rend.lines(one)[0].as_py()
    enc = "cp1252" if spec.encoding == "cp1252" else "utf-8"
    return ({row: line.encode(enc)}, f"priority sent as {wrong!r} instead of {true_word!r}", row)


def _write_slots_text(w: _TrustWrite, rend, srows: dl.Rows, ks: range) -> None:
    spec = w.spec
    bounds = srows.bounds(len(w.dels))
    for k0, k1 in _chunks(bounds, ks):
        a0, b0 = int(bounds[k0]), int(bounds[k1])
        fields = rend.fields(slot_writer.canon(w.sl, srows, slice(a0, b0), rend.canon_names))
        text = LineText(rend.lines(fields))
        for k in range(k0, k1):
            a, b = int(bounds[k]) - a0, int(bounds[k + 1]) - a0
            plan = plan_row_defects(w.rng(k, 2), b - a, w.run.rates, "csv")
            plan = [p for p in plan if p.kind != "unparseable_date"]
            extras, injected = [], []
            for dfx, num in zip(plan, extra_line_numbers(rend.first_line, plan), strict=True):
                data, fld, detail = rend.extra(fields, replace(dfx, row=a + dfx.row))
                extras.append((dfx.row, data))
                injected.append((dfx, num, fld, detail, None))
            name = file_name(spec, "slots", w.dels[k].extract_at)
            w.tw.write(name, assemble(rend.header, text, a, b, spec.encoding, extras))
            w.log_row_defects(w.tw.rel(name), injected)


def _write_excel(w: _TrustWrite, er, sr, rows: dl.Rows, srows: dl.Rows, ks: range) -> None:
    spec = w.spec
    eb, sb = rows.bounds(len(w.dels)), srows.bounds(len(w.dels))
    for k in ks:
        d = w.dels[k]
        ecanon = wide_csv.canon(w.sl, rows, slice(int(eb[k]), int(eb[k + 1])))
        scanon = slot_writer.canon(w.sl, srows, slice(int(sb[k]), int(sb[k + 1])))
        ne, ns = int(eb[k + 1] - eb[k]), int(sb[k + 1] - sb[k])
        eplan = plan_row_defects(w.rng(k, 1), ne, w.run.rates, "xlsx", w.forced_in(k))
        splan = [p for p in plan_row_defects(w.rng(k, 2), ns, w.run.rates, "xlsx")
                 if p.kind != "unparseable_date"]  # fmt: skip
        w.plans[k] = eplan
        name = file_name(spec, "exams", d.extract_at)
        path = w.tw.dir / name
        res = excel.write_workbook(path, [(spec.exam_sheet, er, ecanon, eplan),
                                          (spec.slot_sheet, sr, scanon, splan)])  # fmt: skip
        data = path.read_bytes()
        w.tw.files += 1
        w.tw.bytes += len(data)
        rel = w.tw.rel(name)
        w.where[k] = rel
        w.log_row_defects(
            rel,
            [(dfx, num, fld, detail, ecanon["accession"][dfx.row].as_py())
             for dfx, num, fld, detail in res[0]],
            f"sheet {spec.exam_sheet!r}: ",
        )  # fmt: skip
        w.log_row_defects(rel, [(*r, None) for r in res[1]], f"sheet {spec.slot_sheet!r}: ")
        if w.special["identical"] == k:
            _write_identical_copy(w, name, d, [data])


class _WatchedRows:
    """File and line of the first delivered row carrying each semantic defect, found a run of
    deliveries at a time, and logged once the trust's files are written."""

    def __init__(self, w: _TrustWrite, watch: list[dict]) -> None:
        self.w, self.watch = w, watch
        self.found: dict[int, tuple[str | None, int | None]] = {}  # watch index -> file, line
        acc_set = pa.array(sorted({x["accession"] for x in watch}), pa.string())
        self.pos_of = dict(zip(acc_set.to_pylist(),
                               pc.index_in(acc_set, value_set=w.sl.exams["accession"]).to_pylist(),
                               strict=True))  # fmt: skip
        self.ev_row_of = _event_rows_of(w.sl, [x["event_id"] for x in watch if x["event_id"]])

    def find(self, rows: dl.Rows) -> None:
        """The defects these rows carry that no earlier delivery carried."""
        w = self.w
        todo = [n for n in range(len(self.watch)) if n not in self.found]
        if not todo or not w.plans:
            return
        bounds = rows.bounds(len(w.dels))
        wide = w.spec.family in ("wide_csv", "excel")
        first_line = 2 if w.spec.family != "hl7v2" else 1
        row_exam = rows.ref if wide else w.sl.ev_exam[rows.ref]
        for n in todo:
            x = self.watch[n]
            pos = self.pos_of.get(x["accession"])
            hit = _rows_carrying(x, pos, rows, row_exam, wide, self.ev_row_of)
            if hit.size:
                r = int(hit[0])
                k = int(rows.k[r])
                j = r - int(bounds[k])
                line = int(line_numbers(np.array([j]), first_line, w.plans.get(k, []))[0])
                self.found[n] = (w.where.get(k), line)

    def log(self) -> None:
        for n, x in enumerate(self.watch):
            file, line = self.found.get(n, (None, None))
            self.w.tw.log.add(x["defect_type"], self.w.code, file, line, x["field"],
                              x["accession"], x["detail"], x["outcome"])  # fmt: skip


def _event_rows_of(sl: dl.TrustSlice, ev_ids: list[str]) -> dict[str, int]:
    """The trust slice's event row of each of these event ids."""
    ev_row_of: dict[str, int] = {}
    if ev_ids:
        mask = pc.is_in(sl.ev_id, value_set=pa.array(ev_ids, pa.string())).to_numpy(
            zero_copy_only=False
        )
        for i in np.flatnonzero(mask).tolist():
            ev_row_of[sl.ev_id[i].as_py()] = i
    return ev_row_of


def _rows_carrying(
    x: dict,
    pos: int | None,
    rows: dl.Rows,
    row_exam: np.ndarray,
    wide: bool,
    ev_row_of: dict,
) -> np.ndarray:
    """The delivered rows that carry a watched defect: its event's rows (an event feed), its
    exam's rows with a verified report (a wide feed's event), else its exam's rows."""
    if pos is None:
        return np.zeros(0, dtype=np.int64)
    if x["event_id"] and not wide:
        er = ev_row_of.get(x["event_id"])
        return np.flatnonzero(rows.ref == er) if er is not None else np.zeros(0, dtype=np.int64)
    if x["event_id"] and wide:
        return np.flatnonzero((row_exam == pos) & (rows.cols["report_verified_at"] != dl.NAT))
    return np.flatnonzero(row_exam == pos)


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
