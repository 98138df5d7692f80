"""Output for a log file (pipeline/plain_log.py, progress.py, reporting.py): plain lines."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console

from ingest.synth.generate import GenerateSummary
from pipeline.plain_log import Throttle, count_text, is_plain, say
from pipeline.progress import file_progress, stage_progress
from pipeline.reporting import synth_lines

STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S")


def _file_console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf), buf


def test_a_console_on_a_file_is_plain_and_its_lines_are_stamped_and_whole() -> None:
    console, buf = _file_console()
    assert is_plain(console)
    long = "step " + "x" * 150
    say(console, f"[bold]{long}[/]")
    (line,) = buf.getvalue().splitlines()
    assert STAMPED.match(line) and line.endswith(f"[bold]{long}[/]")  # no markup read, no cut


def test_a_terminal_console_is_not_plain() -> None:
    assert not is_plain(Console(file=io.StringIO(), force_terminal=True))


def test_throttle_lets_a_line_through_once_per_interval() -> None:
    assert not Throttle(60).due()  # a step shorter than the interval says nothing
    always = Throttle(0)
    assert always.due() and always.due()


def test_plain_stage_progress_writes_a_stamped_line_when_due() -> None:
    console, buf = _file_console()
    with stage_progress(console, interval=0) as update:
        update("simulate", 3, 10)
    with stage_progress(console, interval=3600) as update:
        update("simulate", 4, 10)
    assert buf.getvalue().splitlines() == [buf.getvalue().splitlines()[0]]
    assert buf.getvalue().rstrip().endswith("progress: simulate 3 of 10")
    assert "\x1b" not in buf.getvalue()


@dataclass
class _Outcome:
    trust_code: str
    outcome: str
    file_path: str


def test_plain_file_progress_counts_outcomes_so_far() -> None:
    console, buf = _file_console()
    with file_progress(console, interval=0) as on_file:
        on_file(_Outcome("RXK", "loaded", "a.csv"))
        on_file(_Outcome("RXK", "quarantined", "b.csv"))
    last = buf.getvalue().splitlines()[-1]
    assert STAMPED.match(last)
    assert last.endswith(
        "progress: ingest 2 file(s) so far (loaded 1, quarantined 1), now trust RXK"
    )


def test_synth_summary_reads_as_sentences_not_a_repr() -> None:
    summary = GenerateSummary(
        home=Path("var_x"),
        start=date(2026, 3, 1),
        end=date(2026, 4, 15),
        scale=0.02,
        seed=42,
        trusts=["RXK", "RBK"],
        exams=18905,
        files=1126,
        bytes=36_900_000,
        defects=198,
        seconds_total=4.4,
    )
    text = "\n".join(synth_lines(summary))
    assert "GenerateSummary(" not in text and "seconds_simulate=" not in text
    assert "2 trust(s), 2026-03-01 to 2026-04-15" in text and "18,905 exams" in text


def test_counts_are_one_line_with_thousands() -> None:
    assert count_text({"files": 1126, "board_pack": "2026-03"}) == "files 1,126, board_pack 2026-03"
