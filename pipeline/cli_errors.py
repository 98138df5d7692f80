"""The command line's last line of defence: an error no command foresaw still ends as one line on
stderr and a non-zero exit, never a traceback. The traceback is kept in an owner-only file whose
path the line gives, for the warehouse team."""

from __future__ import annotations

import sys
import tempfile
import traceback
from typing import Any

import typer

UNEXPECTED_EXIT = 1
INTERRUPTED_EXIT = 130  # the shell's code for Ctrl+C


def describe(error: BaseException) -> str:
    """One line saying what went wrong, in the words a person can act on."""
    if isinstance(error, OSError) and error.strerror:
        where = f" {error.filename}" if error.filename else ""
        return f"{error.strerror}:{where}"
    text = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__}: {text[:300]}"


def keep_traceback(error: BaseException) -> str:
    """Write the traceback to a new owner-only file (mkstemp makes it 0600); its path."""
    fd, path = tempfile.mkstemp(prefix="wmin-error-", suffix=".txt")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(error)))
    return path


class OneLineErrors(typer.Typer):
    """A Typer app whose unforeseen errors end in one line and exit code 1 (130 on Ctrl+C)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except KeyboardInterrupt:
            sys.stderr.write("error: interrupted\n")
            sys.exit(INTERRUPTED_EXIT)
        except Exception as e:  # noqa: BLE001 - the net itself; SystemExit (typer.Exit) passes through
            sys.stderr.write(
                f"error: {describe(e)} (unexpected: the details are in "
                f"{keep_traceback(e)}; report them to the warehouse team)\n"
            )
            sys.exit(UNEXPECTED_EXIT)
