"""One-screen summaries for the command line: ingest table, nightly summary, status."""

from __future__ import annotations

from typing import Any

import duckdb
from rich.console import Group
from rich.table import Table

from pipeline import runs
from pipeline.settings import Settings

INGEST_COLUMNS = (
    "trust",
    "files loaded",
    "skipped",
    "quarantined",
    "deferred",
    "rows read",
    "loaded",
    "rejected",
    "top rejection reasons",
)


def _ingest_rows(summary: Any) -> list[tuple[str, ...]]:
    rows = []
    for trust, t in sorted(summary.trusts.items()):
        reasons = ", ".join(f"{r} {n}" for r, n in t.top_rejections(3)) or "-"
        rows.append(
            (
                trust,
                str(t.loaded),
                str(t.skipped),
                str(t.quarantined),
                str(t.deferred),
                f"{t.rows_read:,}",
                f"{t.rows_loaded:,}",
                f"{t.rows_rejected:,}",
                reasons,
            )
        )
    return rows


def _deferred_note(summary: Any) -> str | None:
    deferred = summary.totals.deferred
    if not deferred:
        return None
    return (
        f"{deferred} file(s) extracted after the as-of date were left in landing for a later night"
    )


def ingest_table(summary: Any) -> Table:
    """Per-trust table: files, rows read / loaded / rejected, top rejection reasons."""
    table = Table(title="Ingest", show_lines=False)
    for col in INGEST_COLUMNS:
        table.add_column(
            col, justify="left" if col in ("trust", "top rejection reasons") else "right"
        )
    for row in _ingest_rows(summary):
        table.add_row(*row)
    table.caption = _deferred_note(summary)  # said under the table: waiting, not lost
    return table


def ingest_lines(summary: Any) -> list[str]:
    """The ingest table for a log file: a line per trust (and one for its rejection reasons),
    every value named, nothing cut."""
    lines = []
    for (
        trust,
        files,
        skipped,
        quarantined,
        deferred,
        read,
        loaded,
        rejected,
        reasons,
    ) in _ingest_rows(summary):
        lines.append(
            f"ingest {trust}: files loaded {files}, skipped {skipped}, quarantined "
            f"{quarantined}, deferred {deferred}; rows read {read}, loaded {loaded}, "
            f"rejected {rejected}"
        )
        if reasons != "-":
            lines.append(f"ingest {trust}: top rejection reasons {reasons}")
    note = _deferred_note(summary)
    return lines + ([f"ingest: {note}"] if note else [])


def synth_lines(summary: Any) -> list[str]:
    """`wmin synth`'s summary as sentences, not the dataclass's repr."""
    s = summary
    lines = [
        f"synth: {len(s.trusts)} trust(s), {s.start} to {s.end}, scale {s.scale}, seed {s.seed}",
        (
            f"synth: {s.exams:,} exams, {s.events:,} events, {s.slots:,} slots; {s.files:,} files "
            f"({s.bytes / 1e6:,.1f} MB) with {s.defects:,} injected defect(s)"
        ),
        f"synth: {s.seconds_total:.1f} s ({s.seconds_simulate:.1f} s simulating), into {s.home}",
    ]
    if s.scenarios:
        lines.append(f"synth: scenarios {', '.join(map(str, s.scenarios))}")
    return lines


def nightly_summary(result: Any) -> Group:
    steps = Table(title=f"Nightly run {result.run_id} (as of {result.as_of})")
    for col in ("step", "outcome", "seconds", "counts"):
        steps.add_column(col)
    for s in result.steps:
        counts = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in s.counts.items()
        )
        colour = {"succeeded": "green", "warning": "yellow"}.get(s.outcome, "red")
        steps.add_row(s.step, f"[{colour}]{s.outcome}[/]", f"{s.seconds:.1f}", counts)
    parts: list[Any] = [steps]
    if result.ingest_summary is not None:
        parts.insert(0, ingest_table(result.ingest_summary))
    return Group(*parts)


def _runs_table(settings: Settings) -> Table | str:
    try:
        last = runs.last_runs(settings.restricted_db)
    except duckdb.IOException:
        return "A nightly run is writing the restricted database now; run history shows after it."
    if not last:
        return "No nightly run yet: run `wmin nightly` (or `wmin demo`)."
    table = Table(title="Last runs")
    for col in ("started (UTC)", "as of", "outcome", "seconds", "failed step / message"):
        table.add_column(col)
    for r in last:
        secs = (r["finished_at"] - r["started_at"]).total_seconds() if r["finished_at"] else None
        colour = {"succeeded": "green", "running": "yellow"}.get(r["outcome"], "red")
        table.add_row(
            r["started_at"].strftime("%Y-%m-%d %H:%M"),
            str(r["as_of_date"]),
            f"[{colour}]{r['outcome']}[/]",
            f"{secs:.0f}" if secs is not None else "-",
            (r["failed_step"] or "") + (f": {r['message']}" if r["message"] else ""),
        )
    return table


def _published_tables(settings: Settings) -> list[Any]:
    if not settings.analytics_db.exists():
        return ["Nothing published yet."]
    out: list[Any] = []
    with duckdb.connect(str(settings.analytics_db), read_only=True) as con:
        names = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        if "publish_info" in names:
            pub = con.execute("select published_at, as_of_date from publish_info").fetchone()
            out.append(f"Published {pub[0]:%Y-%m-%d %H:%M} UTC, data as of {pub[1]}.")
        if "feed_health_daily" in names:
            table = Table(title="Feed freshness (latest day)")
            for col in (
                "trust",
                "status",
                "last file",
                "hours since",
                "rows loaded",
                "reject rate",
            ):
                table.add_column(col)
            rows = con.execute(
                "select trust_code, status, last_file_at, hours_since_last_file, rows_loaded, "
                "reject_rate from feed_health_daily "
                "qualify row_number() over (partition by trust_code order by date desc) = 1 "
                "order by trust_code"
            ).fetchall()
            for trust, st, last, hours, loaded, rate in rows:
                colour = "green" if st == "ok" else "red"
                table.add_row(
                    trust,
                    f"[{colour}]{st}[/]",
                    f"{last:%Y-%m-%d %H:%M}" if last else "-",
                    f"{hours:.0f}" if hours is not None else "-",
                    f"{loaded or 0:,}",
                    f"{rate:.2%}" if rate is not None else "-",
                )
            out.append(table)
        if "dq_scorecard_monthly" in names:
            out.append(_scorecard_table(con))
        if "dids_presubmission_checks" in names:
            out.append(_dids_table(con))
    return out


def _scorecard_table(con: duckdb.DuckDBPyConnection) -> Table:
    """Per trust, the latest month's two worst failing checks (lowest share passing)."""
    table = Table(title="Data quality, latest month: each trust's worst checks")
    for col in ("trust", "month", "checks failing", "worst check", "passing", "failing / checked"):
        table.add_column(col)
    rows = con.execute(
        "with latest as (select * from dq_scorecard_monthly "
        "  where month = (select max(month) from dq_scorecard_monthly)), "
        "ranked as (select *, row_number() over (partition by trust_code order by rate, measure) as r, "
        "  count(*) filter (where numerator < denominator) over (partition by trust_code) as failing_checks "
        "  from latest) "
        "select trust_code, month, failing_checks, measure, rate, denominator - numerator, denominator "
        "from ranked where r = 1 or (r = 2 and numerator < denominator) "
        "order by trust_code, r"
    ).fetchall()
    for trust, month, failing, measure, rate, bad, den in rows:
        colour = "green" if bad == 0 else "red"
        if bad == 0:  # the trust passes every check this month
            table.add_row(trust, f"{month:%Y-%m}", "0", "-", "[green]all pass[/]", "-")
            continue
        table.add_row(
            trust,
            f"{month:%Y-%m}",
            str(failing),
            measure,
            f"[{colour}]{rate:.1%}[/]",
            f"{bad:,} / {den:,}",
        )
    return table


def _dids_table(con: duckdb.DuckDBPyConnection) -> Table:
    """Per trust, the last complete DIDS month's records that would be rejected or warned."""
    table = Table(title="DIDS pre-submission checks (last complete month)")
    for col in ("trust", "month", "records", "rejections", "warnings", "top rule"):
        table.add_column(col)
    rows = con.execute(
        "with m as (select * from dids_presubmission_checks where month = (select max(month) "
        "  from dids_presubmission_checks where month < (select date_trunc('month', max(as_of_date)) "
        "  from publish_info))) "
        "select trust_code, month, max(records_checked), "
        "  sum(records_failing) filter (where severity = 'rejection'), "
        "  sum(records_failing) filter (where severity = 'warning'), "
        "  arg_max(rule || ' ' || records_failing, records_failing) "
        "from m group by trust_code, month order by trust_code"
    ).fetchall()
    for trust, month, n, rej, warn, top in rows:
        colour = "green" if not rej else "red"
        table.add_row(
            trust,
            f"{month:%Y-%m}",
            f"{n:,}",
            f"[{colour}]{rej or 0:,}[/]",
            f"{warn or 0:,}",
            top if (rej or warn) else "-",
        )
    return table


def status_report(settings: Settings) -> Group:
    return Group(_runs_table(settings), *_published_tables(settings))
