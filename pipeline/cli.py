"""`wmin`: the one command line of the warehouse (see README and DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ingest.memory import keep_freed_memory
from pipeline.cli_errors import OneLineErrors
from pipeline.plain_log import is_plain, log_line, say
from pipeline.settings import Settings, SettingsError

app = OneLineErrors(
    add_completion=False,
    no_args_is_help=True,
    help="West Midlands Imaging Network warehouse: synth, ingest, build, publish, serve.",
)
feeds_app = typer.Typer(
    no_args_is_help=True, help="Feed specs: try a trust's spec on a sample file."
)
export_app = typer.Typer(
    no_args_is_help=True,
    help="Monthly board pack, DIDS submission files and scheduling offers lists.",
)
landing_app = typer.Typer(
    no_args_is_help=True,
    help="Landing as files any engine reads: Parquet, for Spark (docs/spark.md).",
)
app.add_typer(feeds_app, name="feeds")
app.add_typer(export_app, name="export")
app.add_typer(landing_app, name="landing")

# not on a terminal (cron, a pipe): tables as wide as they need, never cut at 80 columns
console = Console() if Console().is_terminal else Console(width=200, soft_wrap=True)
err = Console(stderr=True)


def _print_table(table: object, lines: list[str]) -> None:
    """A rich table on a terminal; its plain lines, timestamped, in a log file."""
    if is_plain(console):
        for line in lines:
            log_line(console, line)
    else:
        console.print(table)


HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="home folder (default ./var or WMIN_HOME)")
]
ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario",
        metavar="KIND:TRUST:YYYY-MM-DD",
        help="a known change to inject (repeatable): halve-reporting:TRUST:YYYY-MM-DD halves the "
        "trust's in-house reporting capacity from that day, surge-demand:TRUST:YYYY-MM-DD "
        "raises its elective requests 1.4-fold (docs/scenarios.md); recorded in "
        "home/truth/scenarios.csv",
    ),
]


def _settings(home: Path | None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if home is not None:
        values["home"] = home
    return Settings(**values)


def _fail(message: str, code: int = 1) -> None:
    # one line whatever the terminal's width (no wrapping), the message's brackets kept as text
    err.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _writing_warehouse(s: Settings) -> Iterator[None]:
    """Run a command that writes the warehouse under the nightly's lock (never two writers),
    and turn a database held by some other process into a clear error, not a traceback."""
    import duckdb

    from exports.private_files import make_private
    from pipeline.lock import AlreadyRunning, RunLock, database_in_use

    try:
        with RunLock(s.lock_file):
            s.ensure_dirs()  # the restricted database's folder is the owner's only, before it is opened
            try:
                yield
            finally:
                make_private(s.restricted_db)
    except AlreadyRunning as e:
        _fail(str(e), code=3)
    except duckdb.IOException as e:
        message = database_in_use(e, s.restricted_db)
        if message is None:
            raise
        _fail(message, code=3)


def _require_restricted(s: Settings) -> None:
    if not s.restricted_db.exists():
        _fail(f"{s.restricted_db} does not exist yet: run `wmin nightly` (or `wmin ingest`) first")


def _window(start: str, end: str) -> tuple[date, date]:
    start_d, end_d = _parse_date(start, "--start"), _parse_date(end, "--end")
    if end_d < start_d:
        _fail("--end is before --start")
    return start_d, end_d


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r} is not a date; use YYYY-MM-DD")
    raise AssertionError  # unreachable


@app.command()
def synth(
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="last day, YYYY-MM-DD")],
    scale: Annotated[float, typer.Option(help="1.0 = about 5 million exams a year")] = 1.0,
    seed: Annotated[
        int, typer.Option(help="random seed; same arguments give identical files")
    ] = 42,
    scenario: ScenarioOpt = None,
    trusts: Annotated[
        str | None,
        typer.Option(
            help="only these trusts, comma-separated ODS codes (default all 15); each trust's data "
            "is the same as in the whole network"
        ),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Generate the synthetic 15-trust network into home/landing and home/truth."""
    from ingest.synth import generate_network
    from ingest.synth.network import PROFILES
    from ingest.synth.scenarios import ScenarioError, parse_scenario
    from pipeline.progress import stage_progress
    from pipeline.reporting import synth_lines

    s = _settings(home)
    start_d, end_d = _window(start, end)
    if not 0 < scale <= 5:
        _fail("--scale must be above 0 and at most 5")
    try:
        scenarios = [parse_scenario(text) for text in scenario or []]
    except ScenarioError as e:
        _fail(str(e))
    for sc in scenarios:
        if not start_d <= sc.from_day <= end_d:
            _fail(f"scenario {sc}: {sc.from_day} is outside --start {start_d} .. --end {end_d}")
    chosen = [t.strip() for t in trusts.split(",") if t.strip()] if trusts else None
    unknown = sorted(set(chosen or ()) - set(PROFILES))
    if unknown:
        _fail(
            f"--trusts: unknown trust(s) {', '.join(unknown)}; known: {', '.join(sorted(PROFILES))}"
        )
    missing = sorted({sc.trust for sc in scenarios} - set(chosen or PROFILES))
    if missing:
        _fail(f"--scenario names trust(s) {', '.join(missing)} that --trusts leaves out")
    say(console, f"synth started: {start_d} to {end_d}, scale {scale}, into {s.home}")
    with stage_progress(console) as progress:
        summary = generate_network(
            s.home,
            start_d,
            end_d,
            scale=scale,
            seed=seed,
            progress=progress,
            scenarios=scenarios,
            trusts=chosen,
        )
    for line in synth_lines(summary):
        say(console, line, style="")


@app.command()
def ingest(
    trust: Annotated[str | None, typer.Option(help="one trust's ODS code")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="YYYY-MM-DD: load only files extracted by the end of that day (default today)",
        ),
    ] = None,
    home: HomeOpt = None,
    demo: Annotated[bool, typer.Option(help="allow the demo pseudonymisation key")] = False,
) -> None:
    """Load new deliveries from home/landing into the restricted database."""
    keep_freed_memory()
    from ingest.feeds.spec import SpecError, home_feeds_dir, load_all_specs
    from ingest.key_fingerprint import KeyMismatch, check_database
    from ingest.loader import ingest_landing
    from pipeline.progress import file_progress
    from pipeline.reporting import ingest_lines, ingest_table

    s = _settings(home, demo=demo or None)
    as_of_d = _parse_date(as_of, "--as-of") if as_of else s.effective_as_of()
    s.ensure_dirs()
    try:
        specs = load_all_specs(home_feeds_dir(s.home))
        if trust and trust not in specs:
            _fail(f"no feed spec for trust {trust!r}; known: {', '.join(sorted(specs))}")
        key = s.pseudonym_key_bytes()
    except (SpecError, SettingsError) as e:
        _fail(str(e))
    with _writing_warehouse(s):
        try:
            check_database(s.restricted_db, key)
        except KeyMismatch as e:
            _fail(str(e))
        say(console, f"ingest started, as of {as_of_d}")
        with file_progress(console) as on_file:
            summary = ingest_landing(
                s.restricted_db,
                s.home,
                specs,
                key,
                trusts=[trust] if trust else None,
                seeds_dir=s.seeds_dir,
                on_file=on_file,
                as_of=as_of_d,
            )
    _print_table(ingest_table(summary), ingest_lines(summary))


@app.command()
def build(
    as_of: Annotated[str | None, typer.Option("--as-of", help="as-of date, YYYY-MM-DD")] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="rebuild incremental models from scratch")
    ] = False,
    home: HomeOpt = None,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb: the restricted database; spark: a full refresh on a local Spark"
            " session from the landing Parquet, in home/warehouse/spark (docs/spark.md)"
        ),
    ] = "duckdb",
) -> None:
    """dbt seed + build (tests included) on the restricted database."""
    from pipeline.build import run_build

    s = _settings(home)
    as_of_d = _parse_date(as_of, "--as-of") if as_of else s.effective_as_of()
    _require_restricted(s)
    if engine not in ("duckdb", "spark"):
        _fail(f"--engine {engine!r}: use duckdb or spark")
    if engine == "spark":
        result = _build_on_spark(s, as_of_d)
    else:
        with _writing_warehouse(s):
            result = run_build(
                s.restricted_db,
                as_of=as_of_d,
                full_refresh=full_refresh,
                threads=s.duckdb_threads,
                # as the nightly gives them: other settings would build other figures, and
                # dbt would parse the whole project again at the next night
                memory_limit=s.duckdb_memory_limit,
                feed_late_hour=s.feed_late_hour,
                seeds_dir=s.seeds_dir,
                log_dir=s.logs_dir / "dbt",
            )
    if not result.success:
        names = ", ".join(n for n, _ in result.failed[:10])
        _fail(f"dbt build failed: {len(result.failed)} node(s): {names}")
    say(console, f"build ok in {result.elapsed_seconds:.1f} s", style="green")


def _build_on_spark(s: Settings, as_of_d: date):
    """`wmin build --engine spark` (pipeline/spark_build.py): Java or the extra missing is
    said in one line, before anything is written."""
    from pipeline.spark_build import SparkUnavailable, build_with_spark, check_spark_available

    try:
        check_spark_available()
    except SparkUnavailable as e:
        _fail(str(e))
    with _writing_warehouse(s):
        return build_with_spark(
            s.restricted_db,
            s.warehouse_dir,
            as_of_d,
            seeds_dir=s.seeds_dir,
            log_dir=s.logs_dir / "dbt_spark",
        )


@landing_app.command("export")
def landing_export(home: HomeOpt = None) -> None:
    """Write every landing table as Parquet to home/warehouse/landing_parquet (layout in
    docs/spark.md), replacing the last export whole."""
    from pipeline.landing_parquet import export_landing

    s = _settings(home)
    _require_restricted(s)
    with _writing_warehouse(s):
        folder, tables = export_landing(s.restricted_db, s.warehouse_dir)
    rows = ", ".join(f"{t.name} {t.rows:,}" for t in tables)
    say(console, f"landing written as Parquet to {folder}: {rows}", style="green")


@app.command()
def publish(
    as_of: Annotated[str | None, typer.Option("--as-of", help="as-of date, YYYY-MM-DD")] = None,
    home: HomeOpt = None,
) -> None:
    """Publish the analytics database atomically from the last build."""
    from exports.extracts import write_extracts
    from pipeline.build import manifest_path
    from pipeline.publish import (
        PublishError,
        published_docs,
        published_relations,
        published_row_keys,
    )
    from pipeline.publish import publish as do_publish

    s = _settings(home)
    as_of_d = _parse_date(as_of, "--as-of") if as_of else s.effective_as_of()
    _require_restricted(s)
    try:
        with _writing_warehouse(s):
            result = do_publish(
                s.restricted_db,
                s.analytics_db,
                published_relations(manifest_path()),
                as_of=as_of_d,
                docs=published_docs(manifest_path()),
                row_keys=published_row_keys(manifest_path()),
            )
    except (PublishError, FileNotFoundError) as e:
        _fail(str(e))
    written = list(result.written.values())
    console.print(
        f"[green]published[/] {len(result.tables)} tables to {result.analytics_db}"
        f" ({written.count('kept')} kept as they were,"
        f" {written.count('changed rows')} by their changed rows)"
    )
    console.print(str(write_extracts(s.analytics_db, s.extracts_dir)))


@app.command()
def nightly(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help=(
                "as-of date, YYYY-MM-DD (default today); files extracted after the end of that day wait "
                "in landing for a later night"
            ),
        ),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="rebuild incremental models from scratch")
    ] = False,
    home: HomeOpt = None,
    demo: Annotated[bool, typer.Option(help="allow the demo pseudonymisation key")] = False,
) -> None:
    """Ingest, validate, build, publish, due exports, data docs: what a network runs nightly."""
    keep_freed_memory()
    from exports.private_files import make_private
    from ingest.key_fingerprint import KeyMismatch
    from pipeline.lock import AlreadyRunning
    from pipeline.nightly import run_nightly
    from pipeline.progress import file_progress
    from pipeline.reporting import ingest_lines, nightly_summary

    s = _settings(home, demo=demo or None)
    as_of_d = _parse_date(as_of, "--as-of") if as_of else None
    try:
        s.pseudonym_key_bytes()
        with file_progress(console) as on_file:
            result = run_nightly(
                s,
                as_of=as_of_d,
                full_refresh=full_refresh,
                progress=lambda m: say(console, m),
                on_file=on_file,
            )
        make_private(s.restricted_db)  # made by the run in the owner-only folder: the file too
    except AlreadyRunning as e:
        _fail(str(e), code=3)
    except (SettingsError, KeyMismatch) as e:
        _fail(str(e))
    if is_plain(console):  # each step's line was written as it ended: the trusts' lines here
        for line in ingest_lines(result.ingest_summary) if result.ingest_summary else []:
            log_line(console, line)
    else:
        console.print(nightly_summary(result))
    for warning in result.warnings:
        say(err, f"warning: {warning}", style="bold yellow")
    if result.outcome != "succeeded":
        _fail(f"nightly run failed at {result.failed_step}: {result.message}")


@app.command()
def docs(
    force: Annotated[bool, typer.Option(help="regenerate even when nothing changed")] = False,
    home: HomeOpt = None,
) -> None:
    """The planners' data docs (dbt docs, one static page) in home/reports/warehouse_docs.html."""
    from pipeline.docs import DocsError, update_docs

    s = _settings(home)
    if not s.restricted_db.exists():
        _fail(f"{s.restricted_db} does not exist yet: run `wmin nightly` (or `wmin demo`) first")
    try:
        # dbt opens the restricted database for writing: never beside a nightly run
        with _writing_warehouse(s):
            result = update_docs(
                s.restricted_db,
                s.reports_dir,
                force=force,
                threads=s.duckdb_threads,
                as_of=s.effective_as_of(),
                feed_late_hour=s.feed_late_hour,
                memory_limit=s.duckdb_memory_limit,
            )
    except DocsError as e:
        _fail(str(e))
    if result.regenerated:
        console.print(
            f"[green]docs written[/] ({result.reason}) in {result.seconds:.1f} s: {result.path}"
        )
    else:
        console.print(f"docs up to date: {result.path}  (--force to regenerate)")


@app.command()
def status(
    home: HomeOpt = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help=(
                "for monitoring: the last run, its steps, the age of the last successful run and "
                "late or missing feeds, as one JSON object"
            ),
        ),
    ] = False,
) -> None:
    """Last runs, each trust's feed freshness and the data-quality headline."""
    from pipeline.reporting import status_report

    s = _settings(home)
    if not s.home.is_dir():
        _fail(
            f"home folder {s.home} does not exist: give --home (or WMIN_HOME) of a warehouse, "
            "or make one with `wmin demo` or `wmin nightly`"
        )
    if as_json:
        import json

        from pipeline.health import status_record

        typer.echo(json.dumps(status_record(s), indent=2, default=str))
        return
    console.print(status_report(s))


@app.command()
def sql(
    query: Annotated[
        str | None,
        typer.Argument(
            help="one query to run; none: an interactive SQL IDE (or the SQL piped into stdin)"
        ),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="write the result to this CSV file")
    ] = None,
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="write the result to this Parquet file")
    ] = None,
    rows: Annotated[
        int | None,
        typer.Option(help="rows a printed result shows (default 40 of at most 500; -1 for all)"),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """SQL on the published marts: read-only, times in UK local time (docs/sql.md)."""
    from pipeline.sql import SqlError, run_sql

    s = _settings(home)
    try:
        result = run_sql(s.analytics_db, query, csv=csv, parquet=parquet, rows=rows)
    except SqlError as e:
        _fail(str(e))
    if result.exit_code != 0:
        _fail(result.error or "the query failed", code=result.exit_code)


@app.command()
def rekey(
    new_key_file: Annotated[
        Path,
        typer.Option(
            "--new-key-file", help="file holding the new pseudonymisation key (32+ characters)"
        ),
    ],
    home: HomeOpt = None,
) -> None:
    """Change the pseudonymisation key: every patient_key is made again under the new key."""
    from pipeline.rekey import RekeyError
    from pipeline.rekey import rekey as do_rekey

    s = _settings(home)
    try:  # the new key passes the same rules as the settings' key
        new_key = Settings(
            pseudonym_key=None, pseudonym_key_file=new_key_file, demo=False
        ).pseudonym_key_bytes()
    except SettingsError as e:
        _fail(f"--new-key-file: {e}")
    try:
        with _writing_warehouse(s):
            result = do_rekey(s.restricted_db, new_key)
    except RekeyError as e:
        _fail(str(e))
    console.print(result.render())
    console.print(
        f"From now on set WMIN_PSEUDONYM_KEY_FILE={new_key_file} (or WMIN_PSEUDONYM_KEY) "
        "for every run on this home."
    )


@feeds_app.command("init")
def feeds_init(
    sample: Annotated[Path, typer.Argument(help="a sample delivery of the new trust")],
    trust: Annotated[str | None, typer.Option("--trust", help="the trust's ODS code")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="where to write the draft (default ingest/feeds/<ODS>.yml)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Draft a feed spec from a sample file, each guess commented with how sure it is."""
    from ingest.feeds.draft import DraftError
    from ingest.feeds.draft_yaml import write_draft

    try:
        path, draft = write_draft(sample, trust, out, force, seeds_dir=_settings(None).seeds_dir)
    except DraftError as e:
        _fail(str(e))
    typer.echo(
        f"Drafted {path}: family {draft.family.value}, {len(draft.columns)} column(s) matched, "
        f"{len(draft.todo)} TODO item(s) listed at its end."
    )
    typer.echo(f"Next: finish it, then `wmin feeds check {path} {sample}`.")


@feeds_app.command("check")
def feeds_check(
    feed: Annotated[Path, typer.Argument(help="the trust's feed spec YAML")],
    file: Annotated[Path, typer.Argument(help="a sample delivery")],
    accept_unmapped: Annotated[
        bool,
        typer.Option(
            "--accept-unmapped", help="exit 0 even when rows would load with unmapped values"
        ),
    ] = False,
    seeds: Annotated[
        Path | None,
        typer.Option(
            "--seeds",
            help="seed folder for the site and local code checks (default: the project's "
            "seeds/ or WMIN_SEEDS_DIR)",
        ),
    ] = None,
) -> None:
    """Try a feed spec on a sample delivery: columns, unmapped values, codes, sites, extract time.

    Exit 0: the file reads; 1: it cannot be read with the spec; 2: rows would load with
    unmapped values (unless --accept-unmapped)."""
    from ingest.feeds.check import check_feed, render

    if not file.exists():
        _fail(f"{file}: no such file")
    report = check_feed(feed, file, seeds_dir=seeds or _settings(None).seeds_dir)
    typer.echo(render(report, accept_unmapped))
    code = report.exit_code(accept_unmapped)
    if code:
        raise typer.Exit(code)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port")] = 8501,
    address: Annotated[
        str | None,
        typer.Option(
            help="address to listen on (default: every interface with sign-in, localhost without)"
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="say on every page that this is the synthetic demo (no sign-in needed)"
        ),
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Serve the Streamlit dashboards on the published database (sign-in: docs/access.md)."""
    from pipeline.serve import serve as serve_app

    s = _settings(home)
    try:
        code = serve_app(s, port, address, demo or s.demo, lambda line: console.print(escape(line)))
    except SettingsError as e:
        _fail(str(e))
    raise typer.Exit(code)


@app.command()
def audit(
    since: Annotated[str | None, typer.Option(help="first day YYYY-MM-DD")] = None,
    user: Annotated[str | None, typer.Option(help="one user's email")] = None,
    home: HomeOpt = None,
) -> None:
    """The app's audit log: sign-ins, page views with their filters, downloads."""
    from pipeline.audit_log import show_audit

    try:
        show_audit(_settings(home), since, user, console)
    except ValueError as e:
        _fail(str(e))


@app.command()
def demo(
    start: Annotated[str, typer.Option(help="first day of the demo window")] = "2025-10-01",
    end: Annotated[str, typer.Option(help="last day of the demo window")] = "2026-10-31",
    scale: Annotated[float, typer.Option(help="network scale")] = 0.05,
    seed: int = 42,
    scenario: ScenarioOpt = None,
    home: HomeOpt = None,
    serve_app: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="open the app on the first months while the rest loads in the background",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="the app's port, with --serve")] = 8501,
    slices: Annotated[bool, typer.Option(hidden=True, help="load the window's slices")] = False,
) -> None:
    """Synthesise a default window (13 months at scale 0.05), then load it with the nightly
    pipeline; with --serve the app opens on the first months (pipeline/demo.py)."""
    from pipeline import demo as backfill

    start_d, end_d = _window(start, end)  # a bad window is said alone, before the notice
    s = _settings(home, demo=True)
    window = backfill.Window(start_d, end_d)
    done = backfill.last_succeeded_as_of(s)

    def night(as_of: date) -> None:
        nightly(as_of=as_of.isoformat(), full_refresh=False, home=s.home, demo=True)

    if slices:  # the background half of --serve: the nights, one after another
        backfill.run_slices(s, window, backfill.slice_as_ofs(window, done), night)
        return
    err.print(
        "[yellow]demo mode:[/] synthetic data and the built-in pseudonymisation key "
        "(never use demo mode for patient data)",
        soft_wrap=True,
    )
    keep_freed_memory()  # here, before synth loads pyarrow: nightly's own call is too late for Arrow
    if done is not None:  # never new deliveries under nights already loaded: carry on
        say(
            console,
            f"{s.home} already holds the demo's nights up to {done}: carrying on from there "
            f"(remove {s.home} to start over)",
        )
    else:
        synth(start=start, end=end, scale=scale, seed=seed, scenario=scenario, home=s.home)
    if not serve_app:  # all at once: one night as of the morning after the window
        backfill.run_slices(s, window, backfill.one_night(window, done), night)
        return
    opened = backfill.serve_while_loading(
        s,
        window,
        backfill.slice_as_ofs(window, done),
        lambda: serve(port=port, address=None, demo=True, home=s.home),
        lambda line: say(console, line),
    )
    if not opened:
        _fail(f"the backfill stopped before its first publish: see {backfill.backfill_log(s)}")


@export_app.command("board-pack")
def export_board_pack(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    internal: Annotated[
        bool, typer.Option(help="no small-number suppression (internal use)")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """The month's DID/TAT board pack (xlsx + pdf) under home/exports/<YYYY-MM>/."""
    from exports.board_pack import build_board_pack

    s = _settings(home)
    if not s.analytics_db.exists():
        _fail(f"{s.analytics_db} does not exist yet: run `wmin nightly` first")
    try:  # a month that is not YYYY-MM, or one without published data
        result = build_board_pack(s.analytics_db, month, s.exports_dir, suppress=not internal)
    except ValueError as e:
        _fail(f"--month: {e}")
    console.print(result)


@export_app.command("dids")
def export_dids(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    trust: Annotated[str | None, typer.Option(help="one trust's ODS code")] = None,
    layout: Annotated[str, typer.Option(help="v1 or v2")] = "v1",
    home: HomeOpt = None,
) -> None:
    """DIDS submission files (they carry identifiers) with a validation report per trust."""
    from exports.dids import build_dids

    s = _settings(home)
    _require_restricted(s)
    try:  # a month that is not YYYY-MM or holds no exams, an unknown layout, a database not built
        results = build_dids(s.restricted_db, month, s.exports_dir, trust=trust, layout=layout)
    except ValueError as e:
        _fail(str(e))
    err.print(
        "[yellow]This export carries patient identifiers (NHS number, birth date, "
        "postcode) from the restricted database. Send it only through the DIDS route.[/]",
        soft_wrap=True,
    )
    rejected = [r for r in results if getattr(r, "would_be_rejected", False)]
    for r in results:
        console.print(r)
    if rejected:
        _fail(
            f"{len(rejected)} file(s) would be rejected by NHS England; see the validation reports"
        )


@export_app.command("offers")
def export_offers(
    trust: Annotated[str, typer.Option(help="the trust's ODS code: its own patients only")],
    home: HomeOpt = None,
) -> None:
    """A trust's scheduling offers list (identifiers; xlsx + csv + validation summary)."""
    from exports.offers import IDENTIFIERS_NOTICE, build_offers

    s = _settings(home)
    _require_restricted(s)
    try:  # an unknown trust, a database built before the offers existed
        result = build_offers(s.restricted_db, trust, s.exports_dir)
    except ValueError as e:
        _fail(str(e))
    err.print(f"[yellow]{IDENTIFIERS_NOTICE}[/]", soft_wrap=True)
    console.print(str(result), soft_wrap=True)
    if result.failed:
        _fail(f"{len(result.failed)} validation check(s) fail; see {result.files[-1].name}")


def main() -> None:  # pragma: no cover
    app()
