"""Figures of repeated benchmark runs: reduce to min/median/max, check targets, render markdown."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import psutil

from bench.measure import REPO, stats


def machine_facts() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "status", "--porcelain"],
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            != ""
        )
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        commit, dirty = "unknown", False
    cpu = platform.processor()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu
            )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (uncommitted changes)" if dirty else ""),
        "machine": {
            "cpu": cpu,
            "cores": psutil.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
        },
    }


def summarise_repeats(runs: list[dict]) -> dict:
    """One structure like each run's, with every number replaced by its min/median/max."""
    first = runs[0]
    if isinstance(first, dict):
        return {
            k: summarise_repeats([r[k] for r in runs if isinstance(r, dict) and k in r])
            for k in first
        }
    if isinstance(first, list):
        if all(isinstance(r, list) and len(r) == len(first) for r in runs):
            return [summarise_repeats([r[i] for r in runs]) for i in range(len(first))]
        return first
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return stats([float(r) for r in runs])
    return first


def lookup(figures: dict, path: str) -> float | None:
    """The median of the figure at a dotted path, or None when it was not measured."""
    node: object = figures
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict) and "median" in node:
        return node["median"]
    return node if isinstance(node, (int, float)) else None


@dataclass(frozen=True)
class Target:
    issue: int
    what: str
    benchmark: str
    path: str
    limit: float
    at_most: bool  # True: the figure must be <= limit; False: >= limit
    unit: str
    year_scoped: bool = False  # judged only on a window of a network year


TARGETS = (
    Target(
        2,
        "generate a full network year",
        "network",
        "stages.generate.seconds",
        300,
        True,
        "s",
        year_scoped=True,
    ),
    Target(
        9,
        "network year end to end (generate, ingest, build, publish)",
        "network",
        "end_to_end_seconds",
        300,
        True,
        "s",
        year_scoped=True,
    ),
    Target(9, "peak memory of any stage", "network", "peak_mb", 6144, True, "MB", year_scoped=True),
    Target(9, "one nightly run on top of the year", "network", "nightly.seconds", 30, True, "s"),
    Target(
        3,
        "ingest of one night's deltas, 15 trusts",
        "network",
        "nightly.steps.ingest",
        10,
        True,
        "s",
    ),
    Target(3, "wide-CSV ingest vs bare read_csv", "ingest", "wide_csv_ratio", 0.5, False, "x"),
    Target(
        4,
        "incremental nightly build speed-up over the full build",
        "network",
        "build_speedup",
        10,
        False,
        "x",
    ),
    Target(9, "our marts vs the pandas script", "pandas_vs_marts", "speedup", 5, False, "x"),
    Target(
        27,
        "network year: ingest + full build + publish",
        "network",
        "landing_to_published_seconds",
        600,
        True,
        "s",
        year_scoped=True,
    ),
    Target(27, "peak memory of any stage", "network", "peak_mb", 4096, True, "MB", True),
    Target(
        27, "one night on top of the year, every step", "network", "nightly.seconds", 20, True, "s"
    ),
    Target(
        27,
        "feed mix, whole month: bare DuckDB / ingest",
        "mix",
        "whole month.ratio",
        0.7,
        False,
        "x",
    ),
    *(
        Target(
            27,
            f"feed mix, {family}: bare DuckDB / ingest",
            "mix",
            f"{family}.ratio",
            0.5,
            False,
            "x",
        )
        for family in ("wide_csv", "event_csv", "hl7v2")
    ),
    Target(
        27,
        "ingest's time a small file (RL1's wide CSVs)",
        "mix",
        "small files RL1.ours_ms_per_file",
        15,
        True,
        "ms",
    ),
    Target(
        9,
        "slowest dashboard page, warm (median)",
        "dashboards",
        "slowest_warm_ms",
        1000,
        True,
        "ms",
    ),
)


def check_targets(results: dict) -> list[dict]:
    rows = []
    for t in TARGETS:
        bench = results["benchmarks"].get(t.benchmark, {})
        value = lookup(bench.get("figures", {}), t.path)
        window = results.get("window")
        if value is None:
            verdict = "not measured"
        elif t.year_scoped and window and _days(window) < 360:
            verdict = f"not judged ({_days(window)}-day window)"
        else:
            met = value <= t.limit if t.at_most else value >= t.limit
            off = (value / t.limit if t.at_most else t.limit / value) if value else float("inf")
            verdict = "met" if met else f"missed ({off:.2f}x off)"
        rows.append(
            {
                "issue": t.issue,
                "what": t.what,
                "value": value,
                "unit": t.unit,
                "target": f"{'<=' if t.at_most else '>='} {t.limit:g} {t.unit}",
                "verdict": verdict,
            }
        )
    return rows


def _days(window: dict) -> int:
    from datetime import date

    return (date.fromisoformat(window["end"]) - date.fromisoformat(window["start"])).days + 1


def _flatten(node: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(node, dict) and not {"min", "median", "max"} <= node.keys():
        out = []
        for k, v in node.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(node, list):
        out = []
        for i, v in enumerate(node):
            key = next(
                (k for k in ("page", "name", "family") if isinstance(v, dict) and k in v), None
            )
            if key:  # the label names the row; it need not be a row of its own
                v = {k: x for k, x in v.items() if k != key}
            out += _flatten(v, f"{prefix}[{node[i][key] if key else i}]")
        return out
    return [(prefix, node)]


def _cell(value: object) -> str:
    if isinstance(value, dict) and "median" in value:
        if value["min"] == value["max"]:
            return f"{value['median']:g}"
        return f"{value['min']:g} / {value['median']:g} / {value['max']:g}"
    return str(value)


def render_markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        (
            f"Run `{'make bench-quick' if results['mode'] == 'quick' else 'make bench'}` "
            f"({results['mode']} run, {results['repeats']} run(s) of each benchmark; figures with "
            "several runs read min / median / max)."
        ),
        "",
        f"- date: {results['date']}",
        f"- commit: {results['commit']}",
        *(
            [f"- network window: {w['start']} to {w['end']} at scale {w['scale']}"]
            if (w := results.get("window"))
            else []
        ),
        (
            f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
            f"DuckDB {m['duckdb']}"
        ),
        "",
        "## Targets",
        "",
    ]
    if results["mode"] == "quick":
        lines += ["A quick run is small: the targets apply to the full run.", ""]
    elif (w := results.get("window")) and _days(w) < 360:
        lines += [
            (
                f"This run's window is {_days(w)} days, not a network year: the targets "
                "about a whole year are not judged; the others are judged as they stand."
            ),
            "",
        ]
    lines += ["| issue | what | figure | target | verdict |", "|---|---|---|---|---|"]
    for r in check_targets(results):
        value = "—" if r["value"] is None else f"{r['value']:g} {r['unit']}"
        verdict = "(full run only)" if results["mode"] == "quick" else r["verdict"]
        lines.append(f"| #{r['issue']} | {r['what']} | {value} | {r['target']} | {verdict} |")
    for name, bench in results["benchmarks"].items():
        lines += ["", f"## {name}", ""]
        if bench["status"] != "ok":
            lines += ["FAILED:", "", "```", bench["error"][-1500:], "```"]
            continue
        lines += ["| figure | value |", "|---|---|"]
        lines += [
            f"| {k} | {_cell(v)} |"
            for k, v in _flatten(bench["figures"])
            if not k.endswith(("database", "home")) and ".trusts[" not in k
        ]  # a machine's path is not for the committed docs; the mix's trust lists are long
    return "\n".join(lines) + "\n"
