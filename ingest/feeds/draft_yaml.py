"""The drafted feed spec as YAML with a comment on every guessed line, and its writing (never
over an existing file unless forced)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest.feeds.draft import Draft, DraftError, Guess, draft_spec
from ingest.feeds.spec import FEEDS_DIR


def _q(value: object) -> str:
    """A YAML single-quoted scalar: no escapes, so a regex or strptime format reads as written."""
    return "'" + str(value).replace("'", "''") + "'"


def _line(indent: int, key: str, value: object, note: str = "") -> str:
    text = f"{' ' * indent}{key}: {value}"
    return f"{text}  # {note}" if note else text


def _g(lines: list[str], indent: int, key: str, g: Guess | None, quote: bool = True) -> None:
    if g is not None:
        lines.append(_line(indent, key, _q(g.value) if quote else g.value, g.note))


def yaml_text(d: Draft) -> str:
    trust = d.trust_code.value
    lines = [
        (
            f"# Draft feed spec for {trust}, from the sample {Path(d.sample).name!r}, written by "
            f"`wmin feeds init` on {date.today():%Y-%m-%d}."
        ),
        "# Each guessed line says how sure the guess is (sure / likely / guess). Finish the TODO",
        "# list at the end, then try it: wmin feeds check <this file> <the sample>.",
        "# Every key is explained in docs/feed-spec.md; the steps around it in docs/onboarding.md.",
    ]
    _g(lines, 0, "trust_code", d.trust_code, quote=False)
    _g(lines, 0, "family", d.family, quote=False)
    lines.append(_line(0, "mode", "delta", "TODO: delta or snapshot (see the TODO list)"))
    lines.append("files:")
    _g(lines, 2, "exams", d.files_exams)
    lines.append(
        "  # slots: '...'  # TODO: the glob of the appointment-book extract, if the trust sends one"
    )
    if d.extract_time:
        lines.append("extract_time:")
        for key in ("pattern", "format", "column", "column_format"):
            _g(lines, 2, key, d.extract_time.get(key))
    else:
        lines += [
            "extract_time:  # TODO: no timestamp in the file name and no extract-time column found",
            "  pattern: '_(\\d{8}_\\d{4})'  # TODO: placeholder",
            "  format: '%Y%m%d_%H%M'  # TODO: placeholder",
        ]
    _g(lines, 0, "encoding", d.encoding, quote=False)
    _g(lines, 0, "delimiter", d.delimiter)
    if d.quotechar is not None:
        lines.append(_line(0, "quotechar", _q(d.quotechar), "csv.Sniffer"))
    lines.append(
        _line(
            0,
            "timezone",
            "Europe/London",
            "guess: wall-clock UK time, the usual; UTC if the RIS writes UTC",
        )
    )
    _g(lines, 0, "date_format", d.date_format)
    _g(lines, 0, "datetime_format", d.datetime_format)
    _g(lines, 0, "procedure_code_system", d.procedure_code_system, quote=False)
    _g(lines, 0, "exam_sheet", d.exam_sheet)
    if d.columns:
        lines.append("columns:")
        for f, g in d.columns.items():
            _g(lines, 2, f, g)
    if d.unmatched_columns:
        lines.append("  # not matched (map any that carries a canonical field):")
        lines += [f"  # ?: {_q(c)}" for c in d.unmatched_columns]
    _value_maps(lines, d)
    if d.quirks:
        lines.append("quirks:")
        lines += [f"  - {g.value}  # {g.note}" for g in d.quirks]
    lines += ["", "# TODO"]
    lines += [f"# {i}. {t}" for i, t in enumerate(d.todo, 1)]
    return "\n".join(lines) + "\n"


def _value_maps(lines: list[str], d: Draft) -> None:
    if not d.words:
        return
    lines.append("value_maps:")
    for f, counts in d.words.items():
        guesses = d.value_maps.get(f)
        if guesses is None:
            lines.append(
                f"  # {f}: {len(counts)} distinct words in its column: not mapped (check the column)"
            )
            continue
        open_words = [w for w, _ in counts.most_common() if w not in guesses]
        lines.append(
            f"  {f}:"
            + ("" if guesses else " {}")
            + "  # words found (rows): "
            + ", ".join(f"{w} ({k})" for w, k in counts.most_common())
        )
        for w, g in guesses.items():
            lines.append(_line(4, _q(w), _q(g.value), g.note))
        for w in open_words:
            lines.append(f"    # {_q(w)}: TODO  ({counts[w]} row{'s' if counts[w] > 1 else ''})")


def write_draft(
    sample: Path,
    trust: str | None = None,
    out: Path | None = None,
    force: bool = False,
    seeds_dir: Path | None = None,
) -> tuple[Path, Draft]:
    """Draft the spec of a sample and write it (default ingest/feeds/<trust>.yml)."""
    draft = draft_spec(sample, trust, seeds_dir)
    path = Path(out) if out else FEEDS_DIR / f"{draft.trust_code.value}.yml"
    if path.exists() and not force:
        raise DraftError(f"{path} exists; give another --out or --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml_text(draft), encoding="utf-8")
    return path, draft
