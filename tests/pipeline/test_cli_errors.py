"""Every command of `wmin`, given bad input, ends in one line on stderr and a non-zero exit code:
bad dates and months, unknown trusts and layouts, a missing home, no database yet, a month
outside the data; and an error no command foresaw still ends in one line, not a traceback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import app

KEY = "a-key-of-at-least-thirty-two-characters-long"


@pytest.fixture
def homes(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    """'empty': a home with nothing in it; 'built': one whose databases hold September 2026."""
    for name in (
        "WMIN_HOME",
        "WMIN_PSEUDONYM_KEY",
        "WMIN_PSEUDONYM_KEY_FILE",
        "WMIN_DEMO",
        "WMIN_AS_OF",
    ):
        monkeypatch.delenv(name, raising=False)
    empty, built = tmp_path / "empty", tmp_path / "built"
    empty.mkdir()
    (built / "warehouse").mkdir(parents=True)
    with duckdb.connect(str(built / "warehouse/analytics.duckdb")) as con:
        con.execute("create table tat_monthly as select date '2026-09-01' as month")
    with duckdb.connect(str(built / "warehouse/restricted.duckdb")) as con:
        con.execute(
            "create table dids_records (trust_code varchar, site_code varchar, "
            "accession varchar, test_date date)"
        )
        con.execute("insert into dids_records values ('RRK', 'RRK01', 'A1', ?)", [date(2026, 9, 3)])
    return {"empty": empty, "built": built, "missing": tmp_path / "no-such-home"}


# (arguments with {empty}/{built}/{missing} homes, words the line must hold)
CASES = [
    (["synth", "--start", "2026-02-30", "--end", "2026-03-01", "--home", "{empty}"], "not a date"),
    (
        ["synth", "--start", "2026-03-01", "--end", "2026-02-01", "--home", "{empty}"],
        "before --start",
    ),
    (
        [
            "synth",
            "--start",
            "2026-03-01",
            "--end",
            "2026-03-02",
            "--trusts",
            "XXX",
            "--home",
            "{empty}",
        ],
        "unknown trust",
    ),
    (
        [
            "synth",
            "--start",
            "2026-03-01",
            "--end",
            "2026-03-02",
            "--scenario",
            "bogus",
            "--home",
            "{empty}",
        ],
        "bogus",
    ),
    (
        [
            "synth",
            "--start",
            "2026-03-01",
            "--end",
            "2026-03-02",
            "--scale",
            "0",
            "--home",
            "{empty}",
        ],
        "--scale",
    ),
    (["ingest", "--home", "{empty}"], "no pseudonymisation key"),
    (["ingest", "--home", "{empty}", "--demo", "--trust", "XXX"], "no feed spec for trust 'XXX'"),
    (["ingest", "--home", "{empty}", "--demo", "--as-of", "2026-13-01"], "not a date"),
    (["build", "--home", "{empty}"], "does not exist yet"),
    (["build", "--home", "{empty}", "--as-of", "2026-02-30"], "not a date"),
    (["publish", "--home", "{empty}"], "does not exist yet"),
    (["publish", "--home", "{empty}", "--as-of", "nope"], "not a date"),
    (["nightly", "--home", "{empty}"], "no pseudonymisation key"),
    (["nightly", "--home", "{empty}", "--demo", "--as-of", "2026-02-30"], "not a date"),
    (["docs", "--home", "{empty}"], "does not exist yet"),
    (["status", "--home", "{missing}"], "does not exist"),
    (["sql", "select 1", "--home", "{empty}"], "does not exist yet"),
    (["sql", "select * from no_such_mart", "--home", "{built}"], "no_such_mart"),
    (["rekey", "--new-key-file", "{missing}/key", "--home", "{built}"], "cannot read"),
    (["serve", "--home", "{empty}"], "does not exist yet"),
    (["feeds", "check", "{missing}/spec.yml", "{missing}/sample.csv"], "no such file"),
    (["feeds", "init", "{missing}/sample.csv"], "cannot be read"),
    (["demo", "--start", "2026-13-01", "--home", "{empty}"], "not a date"),
    (
        ["demo", "--start", "2026-03-01", "--end", "2026-02-01", "--home", "{empty}"],
        "before --start",
    ),
    (["export", "board-pack", "--month", "2026-13", "--home", "{built}"], "YYYY-MM"),
    (["export", "board-pack", "--month", "2026-9", "--home", "{built}"], "YYYY-MM"),
    (
        ["export", "board-pack", "--month", "1999-01", "--home", "{built}"],
        "no published data for 1999-01",
    ),
    (["export", "board-pack", "--month", "2026-09", "--home", "{empty}"], "does not exist yet"),
    (["export", "dids", "--month", "2026-9", "--home", "{built}"], "YYYY-MM"),
    (["export", "dids", "--month", "2026-13", "--home", "{built}"], "YYYY-MM"),
    (
        ["export", "dids", "--month", "1999-01", "--home", "{built}"],
        "no exams with a test date in 1999-01",
    ),
    (
        ["export", "dids", "--month", "2026-09", "--trust", "XXX", "--home", "{built}"],
        "at trust XXX",
    ),
    (
        ["export", "dids", "--month", "2026-09", "--layout", "v9", "--home", "{built}"],
        "unknown DIDS layout",
    ),
    (["export", "dids", "--month", "2026-09", "--home", "{empty}"], "does not exist yet"),
]


def run(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        app(args, prog_name="wmin")
    return done.value.code, capsys.readouterr().err


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("args,words", CASES, ids=[" ".join(a[:3]) for a, _ in CASES])
def test_a_bad_input_is_one_line_and_a_non_zero_exit(homes, capsys, args, words):
    code, stderr = run([a.format(**homes) for a in args], capsys)
    assert code not in (0, None)
    assert words in one_line(stderr)


def test_a_month_outside_the_data_writes_no_dids_file(homes, capsys):
    run(["export", "dids", "--month", "1999-01", "--home", str(homes["built"])], capsys)
    run(
        ["export", "dids", "--month", "2026-09", "--trust", "XXX", "--home", str(homes["built"])],
        capsys,
    )
    assert not list((homes["built"] / "exports").rglob("*.csv"))


def test_an_unforeseen_error_is_one_line_with_the_traceback_kept_aside(homes, capsys, monkeypatch):
    import pipeline.reporting

    def broken(_settings):
        raise RuntimeError("something no command foresaw\nover two lines")

    monkeypatch.setattr(pipeline.reporting, "status_report", broken)
    code, stderr = run(["status", "--home", str(homes["empty"])], capsys)
    line = one_line(stderr)
    assert code == 1 and "RuntimeError: something no command foresaw over two lines" in line
    kept = Path(line.split("the details are in ", 1)[1].split(";", 1)[0])
    try:
        assert "Traceback" in kept.read_text() and kept.stat().st_mode & 0o077 == 0
    finally:
        kept.unlink()
