"""The board's measures month by month (reporting/monthly.py) on the published fixture."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from reporting import monthly
from reporting.measures import (
    EXAMS_PER_WORKING_DAY,
    REPORTED_OVER_28_DAYS_PCT,
    REPORTED_WITHIN_TARGET_PCT,
)
from tests.fixtures.published import TRUST_CODES, build_published_fixture


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build_published_fixture(tmp_path_factory.mktemp("published") / "analytics.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


@pytest.mark.parametrize("measure", monthly.PACK_MEASURES, ids=lambda m: m.key)
def test_every_pack_measure_has_a_series_for_the_network_and_each_trust(con, measure) -> None:
    frame = monthly.measure_frame(con, measure)
    assert set(frame["trust_code"]) == {"NETWORK", *TRUST_CODES}
    assert frame["value"].notna().sum() > 0


def test_network_rates_come_from_summed_counts(con) -> None:
    tat = con.execute("select * from tat_monthly where month = '2026-06-01'").df()
    net = tat[tat.trust_code == "NETWORK"]
    got = monthly.measure_frame(con, REPORTED_OVER_28_DAYS_PCT).set_index(["trust_code", "month"])
    assert got.loc[("NETWORK", date(2026, 6, 1)), "value"] == pytest.approx(
        100 * net.reported_over_28_days.sum() / net.exams_tested.sum()
    )
    per_day = monthly.measure_frame(con, EXAMS_PER_WORKING_DAY).set_index(["trust_code", "month"])
    assert per_day.loc[("NETWORK", date(2026, 6, 1)), "value"] == pytest.approx(
        net.exams_tested.sum() / 22
    )


def test_run_in_incomplete_and_immature_months_are_left_out(con) -> None:
    table = monthly.spc_table(con, REPORTED_WITHIN_TARGET_PCT).set_index("label")
    # fixture: first deliveries 10 Sep 2025 (nightly), as of 28 Oct 2026; a 28-day measure
    assert table.loc[date(2025, 9, 1), "left_out"].startswith("run-in")
    assert table.loc[date(2026, 10, 1), "left_out"].startswith("incomplete")
    assert table.loc[date(2026, 9, 1), "left_out"].startswith("not mature")
    assert table.loc[date(2026, 8, 1), "left_out"] is None
    judged = table[table["judged"]]
    assert list(judged.index) == [
        d.date() for d in pd.date_range("2025-10-01", "2026-08-01", freq="MS")
    ]
    assert not table.loc[~table["judged"], "special_cause"].any()
    assert 0 <= table["lnpl"].iloc[0] <= table["unpl"].iloc[0] <= 100


def test_judgements_put_the_network_first_and_cover_every_trust(con) -> None:
    verdicts = monthly.judgements(con)
    assert verdicts["trust_code"].iloc[0] == "NETWORK"
    assert len(verdicts) == len(monthly.PACK_MEASURES) * (len(TRUST_CODES) + 1)
    assert set(verdicts["variation"]) <= {
        "common_cause",
        "improvement_high",
        "improvement_low",
        "concern_high",
        "concern_low",
        "neutral_high",
        "neutral_low",
        "not_enough_data",
    }
    within = verdicts[
        (verdicts.measure == "reported_within_target_pct") & (verdicts.trust_code == "NETWORK")
    ]
    assert within["latest_month"].iloc[0] == date(2026, 8, 1)  # the newest month mature for 28 days


def test_an_unknown_measure_is_named() -> None:
    from reporting.measures import Measure

    with pytest.raises(KeyError, match="no monthly series"):
        monthly.measure_frame(None, Measure("made_up", "Made up", "x", None))  # type: ignore[arg-type]


def test_a_feed_starts_one_cadence_before_its_first_delivery(tmp_path) -> None:
    from reporting.maturity import feed_starts, first_full_month

    with duckdb.connect(str(tmp_path / "feeds.duckdb")) as db:
        db.execute(
            "create table feed_health_daily as select * from (values "
            "(date '2025-10-02', 'DAILY', 1, 1), (date '2025-10-03', 'DAILY', 1, 1), "
            "(date '2025-10-01', 'WEEKLY', 0, 7), (date '2025-10-08', 'WEEKLY', 1, 7)) "
            "t(date, trust_code, files_received, cadence_days)"
        )
        starts = feed_starts(db)
    assert starts == {
        "DAILY": date(2025, 10, 1),
        "WEEKLY": date(2025, 10, 1),
        "NETWORK": date(2025, 10, 1),
    }
    assert first_full_month(starts["NETWORK"]) == date(2025, 10, 1)
