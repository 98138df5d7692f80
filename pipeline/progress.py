"""Progress display for long steps (rich), handed to library code as plain callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def _bar(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


@contextmanager
def stage_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A callback `(stage, done, total)`: one bar per stage."""
    with _bar(console) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


@contextmanager
def file_progress(console: Console) -> Iterator[Callable[..., None]]:
    """A callback for the loader, called with each file's outcome: one bar per trust."""
    with _bar(console) as bar:
        tasks: dict[str, int] = {}

        def on_file(outcome: object) -> None:
            trust = getattr(outcome, "trust_code", "?")
            if trust not in tasks:
                tasks[trust] = bar.add_task(f"ingest {trust}", total=None)
            name = str(getattr(outcome, "file_path", "")).rsplit("/", 1)[-1]
            bar.update(tasks[trust], advance=1,
                       description=f"ingest {trust} {getattr(outcome, 'outcome', '')} {name}"[:70])

        yield on_file
