"""The SPC the board pack and the app share (`reporting.monthly`), tested both ways on a
generated network (issue 20):

- where nothing changed, it flags no more special causes than its rules flag by chance;
- where the generator injected a known change (`wmin synth --scenario halve-reporting:...`),
  it flags the reporting-turnaround measures of that trust from the month of the change on,
  and no earlier month of that trust because of it.

One network serves both: the scenario acts at one trust only, and every trust draws from its
own random stream, so the other trusts are exactly what they are without the scenario
(tests/synth/test_scenarios.py) and are the network with no change in it. A few trusts, not
fifteen: a nightly's cost is the number of delivery files (one a night per nightly feed), so the
subset keeps the fixture within a few minutes while covering weekly and nightly feeds, an
orthopaedic trust without an ED and a trust short of reporters.
"""

from __future__ import annotations

import functools
import sys
import time
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from reporting import monthly, spc
from reporting.measures import (
    REPORTED_OVER_28_DAYS_PCT,
    REPORTED_WITHIN_TARGET_PCT,
    TEST_TO_REPORT_P90_HOURS,
)
from tests.integration.harness import wmin

pytestmark = pytest.mark.slow

START, END, AS_OF = date(2025, 1, 1), date(2026, 10, 31), date(2026, 11, 1)
SCALE, SEED = 0.03, 7
# the baseline is the 12 judged months of 2025; January 2026 is judged against it unchanged
CHANGED, CHANGE = "RLT", date(2026, 2, 1)
SCENARIO = f"halve-reporting:{CHANGED}:{CHANGE.isoformat()}"
TRUSTS = (CHANGED, "RLQ", "RRJ", "RNA", "RXK", "RJC")
# The board's turnaround measure is the 90th percentile with unreported exams at their age: a
# median of the exams reported did not see the change (3-6 hours before it; 14.2, 4.3, 3.5, 2.5
# hours in its first four months at RLT), since most exams are still reported within hours and
# the routine exams left waiting are not in it (reporting/monthly.py, PACK_MEASURES).
REPORTING_MEASURES = (
    TEST_TO_REPORT_P90_HOURS,
    REPORTED_WITHIN_TARGET_PCT,
    REPORTED_OVER_28_DAYS_PCT,
)
QUANTILE = 0.999  # a stable network fails a measure's check by chance once in a thousand


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The published database of the network with the scenario, and the time each step took."""
    home = tmp_path_factory.mktemp("spc_network")
    seconds = {}
    t0 = time.perf_counter()
    wmin(
        home,
        "synth",
        "--start",
        START.isoformat(),
        "--end",
        END.isoformat(),
        "--scale",
        str(SCALE),
        "--seed",
        str(SEED),
        "--scenario",
        SCENARIO,
        "--trusts",
        ",".join(TRUSTS),
    )
    seconds["synth"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    wmin(home, "nightly", "--as-of", AS_OF.isoformat(), timeout=1800)
    seconds["nightly"] = time.perf_counter() - t0
    print(
        f"\nspc network fixture: synth {seconds['synth']:.0f} s, nightly "
        f"{seconds['nightly']:.0f} s",
        file=sys.stderr,
    )
    con = duckdb.connect(str(home / "warehouse" / "analytics.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def judged(network) -> pd.DataFrame:
    return monthly.judgements(network, as_of=AS_OF)


@functools.cache
def flags_per_stable_chart(points: int, samples: int = 2000) -> np.ndarray:
    """How many of a stable chart's `points` judged months `reporting.spc.xmr` flags: the
    distribution (index = count), from independent normal values as `spc.false_alarm_rate`."""
    rng = np.random.default_rng(1)
    counts = [
        int(spc.xmr(rng.normal(100.0, 10.0, points))["special_cause"].sum()) for _ in range(samples)
    ]
    return np.bincount(counts, minlength=points + 1) / samples


def null_flag_quantile(points: int, charts: int, quantile: float = QUANTILE) -> int:
    """The `quantile` of the number of points flagged over `charts` stable charts.

    A chart's flags come in runs (a shift flags seven points at once), so a binomial count of
    points at `spc.false_alarm_rate` would be far too narrow; the per-chart distribution is
    convolved over the charts instead."""
    pmf = flags_per_stable_chart(points)
    total = np.array([1.0])
    for _ in range(charts):
        total = np.convolve(total, pmf)
    return int(np.searchsorted(np.cumsum(total), quantile))


def test_the_network_holds_the_chosen_trusts(judged) -> None:
    assert set(judged.trust_code) == set(TRUSTS) | {monthly.NETWORK}


@pytest.mark.parametrize("measure", monthly.PACK_MEASURES, ids=lambda m: m.key)
def test_unchanged_trusts_flag_no_more_than_chance(judged, measure) -> None:
    rows = judged[
        (judged.measure == measure.key) & ~judged.trust_code.isin([CHANGED, monthly.NETWORK])
    ]
    assert len(rows) == len(TRUSTS) - 1
    points = int(rows.judged_months.min())
    assert points >= 20 and (rows.judged_months == points).all()
    flagged = int(rows.flagged_months.apply(len).sum())
    allowed = null_flag_quantile(points, len(rows))
    detail = {t: [f"{m:%Y-%m}" for m in f] for t, f in zip(rows.trust_code, rows.flagged_months)}
    assert flagged <= allowed, (
        f"{measure.key}: {flagged} of {len(rows) * points} judged months flagged; chance allows "
        f"{allowed} ({QUANTILE:.1%} quantile of stable charts; a stable chart flags "
        f"{(flags_per_stable_chart(points) * np.arange(points + 1)).sum() / points:.1%} of its "
        f"points): {detail}"
    )


@pytest.mark.parametrize("measure", REPORTING_MEASURES, ids=lambda m: m.key)
def test_the_changed_trust_is_flagged_from_the_month_of_the_change(network, measure) -> None:
    # the change starts on the 1st, so its month is the first month all of whose exams meet it
    frame = monthly.measure_frame(network, measure)
    table = monthly.spc_table(network, measure, CHANGED, AS_OF, frame)
    judged = table[table.judged]
    after = judged[judged.label >= CHANGE]
    assert len(after) >= 6 and not judged[judged.label < CHANGE].empty
    assert after.special_cause.all(), after[["label", "value", "mean", "lnpl", "unpl"]]
    # Months before it flagged only because of it: those the chart cut before the change does not
    # flag. The shift and trend rules flag a whole run, so a run the change starts takes in the
    # months just before it that happen to lie on the same side (MDC's rules; one month in two
    # by chance); such months must be that run's head, and never beyond the process limits.
    cut = monthly.spc_table(network, measure, CHANGED, AS_OF, frame[frame.month < CHANGE])
    before = judged[judged.label < CHANGE]
    extra = before[before.special_cause & ~before.label.isin(spc.flagged_labels(cut))]
    assert not extra.beyond_limits.any(), extra
    assert extra.label.tolist() == before.label.tolist()[len(before) - len(extra) :], extra
    assert (extra["shift"] | extra["trend"] | extra["two_of_three"]).all()
    # and the side is the worse one
    worse = "high" if measure.improvement == "down" else "low"
    assert (after.side == worse).all()
