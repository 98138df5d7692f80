"""Progress for long steps, handed to library code as plain callbacks: rich bars on a terminal,
otherwise a timestamped line at most once a minute (pipeline/plain_log.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.plain_log import PROGRESS_INTERVAL_SECONDS, Throttle, is_plain, log_line


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def stage_progress(
    console: Console, interval: float = PROGRESS_INTERVAL_SECONDS
) -> Iterator[Callable[[str, int, int], None]]:
    """A callback `(stage, done, total)`: one bar per stage."""
    if is_plain(console):
        throttle = Throttle(interval)

        def say(stage: str, done: int, total: int) -> None:
            if throttle.due():
                log_line(console, f"progress: {stage} {done:,} of {max(total, 1):,}")

        yield say
        return
    with _bar(console) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


@contextmanager
def file_progress(
    console: Console, interval: float = PROGRESS_INTERVAL_SECONDS
) -> Iterator[Callable[..., None]]:
    """A callback for the loader, called with each file's outcome: one bar per trust."""
    if is_plain(console):
        throttle = Throttle(interval)
        outcomes: Counter[str] = Counter()

        def count(outcome: object) -> None:
            outcomes[str(getattr(outcome, "outcome", "?"))] += 1
            if throttle.due():
                so_far = ", ".join(f"{k} {n:,}" for k, n in sorted(outcomes.items()))
                log_line(
                    console,
                    f"progress: ingest {sum(outcomes.values()):,} file(s) so far "
                    f"({so_far}), now trust {getattr(outcome, 'trust_code', '?')}",
                )

        yield count
        return
    with _bar(console) as bar:
        tasks: dict[str, int] = {}

        def on_file(outcome: object) -> None:
            trust = getattr(outcome, "trust_code", "?")
            if trust not in tasks:
                tasks[trust] = bar.add_task(f"ingest {trust}", total=None)
            name = str(getattr(outcome, "file_path", "")).rsplit("/", 1)[-1]
            bar.update(
                tasks[trust],
                advance=1,
                description=f"ingest {trust} {getattr(outcome, 'outcome', '')} {name}"[:70],
            )

        yield on_file
