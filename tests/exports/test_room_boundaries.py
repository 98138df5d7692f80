"""The exports room imports no other room and writes no absolute paths."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"ingest", "pipeline", "dashboards"}


def _files():
    return sorted((ROOT / "exports").rglob("*.py"))


def test_exports_imports_no_other_room():
    for f in _files():
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in FORBIDDEN, f"{f.name} imports {n}"


def test_no_absolute_paths():
    pattern = re.compile("['\"]/(?:" + "|".join(["wo" + "rk", "tmp", "home", "root", "srv"]) + ")/")
    for f in _files() + sorted((ROOT / "tests" / "exports").glob("*.py")):
        assert not pattern.search(f.read_text()), f"absolute path in {f}"
    for f in (ROOT / "seeds").glob("dids_layout_*.csv"):
        assert not re.search(r"(^|,)/\w", f.read_text(), re.MULTILINE), f"absolute path in {f}"
