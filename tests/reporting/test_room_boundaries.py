"""The reporting room sits below the app and the pack: it imports none of the other rooms."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"ingest", "pipeline", "dashboards", "exports", "tests"}


def test_reporting_imports_no_other_room() -> None:
    files = sorted((ROOT / "reporting").rglob("*.py"))
    assert files
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{f.name} imports {name}"


def test_no_second_implementation_of_the_shared_rules() -> None:
    """SPC limits and the small-number rule are written once, in reporting/."""
    for room in ("dashboards", "exports"):
        for f in sorted((ROOT / room).rglob("*.py")):
            text = f.read_text()
            assert "2.66" not in text, f"{f} computes XmR limits itself"
            assert "SMALL_MAX" not in text and "<= 7" not in text, (
                f"{f} has its own small-number rule"
            )
