"""The benchmark report: repeats reduce to min/median/max, targets are judged both ways."""

from __future__ import annotations

from pathlib import Path

from bench.report import check_targets, lookup, render_markdown, summarise_repeats


def test_repeats_reduce_to_min_median_max_and_keep_labels() -> None:
    runs = [
        {"seconds": 3, "pages": [{"page": "overview", "warm_ms": 10}], "night": "2026-03-31"},
        {"seconds": 1, "pages": [{"page": "overview", "warm_ms": 30}], "night": "2026-03-31"},
        {"seconds": 2, "pages": [{"page": "overview", "warm_ms": 20}], "night": "2026-03-31"},
    ]
    s = summarise_repeats(runs)
    assert s["seconds"] == {"min": 1, "median": 2, "max": 3, "n": 3}
    assert s["pages"][0]["page"] == "overview"
    assert s["pages"][0]["warm_ms"]["median"] == 20
    assert s["night"] == "2026-03-31"
    assert lookup(s, "seconds") == 2 and lookup(s, "missing.path") is None


def _results(network_seconds: float, speedup: float) -> dict:
    figures = summarise_repeats([{"end_to_end_seconds": network_seconds, "build_speedup": speedup}])
    return {
        "mode": "full",
        "repeats": 1,
        "date": "d",
        "commit": "c",
        "machine": {"cpu": "x", "cores": 2, "memory_gb": 24, "python": "3.11", "duckdb": "2"},
        "benchmarks": {
            "network": {"status": "ok", "figures": figures},
            "ingest": {"status": "failed", "error": "boom", "runs": []},
        },
    }


def test_targets_met_missed_and_not_measured() -> None:
    verdicts = {r["what"]: r["verdict"] for r in check_targets(_results(600, 12))}
    assert (
        verdicts["network year end to end (generate, ingest, build, publish)"]
        == "missed (2.00x off)"
    )
    assert verdicts["incremental nightly build speed-up over the full build"] == "met"
    assert verdicts["wide-CSV ingest vs bare read_csv"] == "not measured"
    ok = {r["what"]: r["verdict"] for r in check_targets(_results(240, 2.5))}
    assert ok["network year end to end (generate, ingest, build, publish)"] == "met"
    assert ok["incremental nightly build speed-up over the full build"] == "missed (4.00x off)"


def test_markdown_names_failed_benchmarks() -> None:
    text = render_markdown(_results(600, 12))
    assert "## ingest" in text and "FAILED" in text and "| #9 |" in text


def test_a_full_run_keeps_the_hand_written_sections(tmp_path: Path) -> None:
    from bench.run import HAND_WRITTEN, write_report

    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# Benchmarks\n\n## ingest\nold figures\n\n{HAND_WRITTEN} kept -->\n\n## Backtest\nby hand\n",
        encoding="utf-8",
    )
    write_report(doc, "# Benchmarks\n\n## ingest\nnew figures\n")
    text = doc.read_text(encoding="utf-8")
    assert "new figures" in text and "old figures" not in text
    assert text.endswith(f"{HAND_WRITTEN} kept -->\n\n## Backtest\nby hand\n")
    write_report(tmp_path / "fresh.md", "# Benchmarks\n")
    assert (tmp_path / "fresh.md").read_text(encoding="utf-8") == "# Benchmarks\n"
