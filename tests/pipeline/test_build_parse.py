"""`wmin build` and the nightly give dbt the same command-line vars when the home keeps the
project's feed_late_hour: dbt parses the whole project again whenever those vars change, so a
night after a `wmin build` would otherwise pay a full parse (pipeline/build.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline import build

AS_OF = date(2026, 4, 16)


def _args(feed_late_hour: int | None) -> list[str]:
    _, common = build._dbt_invocation(
        Path("restricted.duckdb"),
        AS_OF,
        2,
        Path("target"),
        memory_limit=None,
        feed_late_hour=feed_late_hour,
        test_new_rows_only=True,
    )
    return common


def test_the_projects_own_hour_leaves_the_vars_as_no_hour_does() -> None:
    assert _args(build.project_var("feed_late_hour")) == _args(None)


def test_another_hour_is_passed_as_a_var() -> None:
    other = int(build.project_var("feed_late_hour")) + 1
    args = _args(other)
    assert args[args.index("--vars") + 1] == f'{{"feed_late_hour": {other}}}'
