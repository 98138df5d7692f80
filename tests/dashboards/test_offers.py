"""The Scheduling page's offers section and the data module behind it (dashboards/offers_view.py,
dashboards/data.py): everyone gets the aggregate, other trusts' small counts suppressed outside
the network team; a trust analyst gets their own trust's patients and is refused another's."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

from dashboards import data
from tests.dashboards.test_access import (  # noqa: F401 (the module's fixtures)
    BOARD,
    NETWORK_ANALYST,
    OTHER,
    OWN,
    TRUST_ANALYST,
    app_as,
    roles_file,
    signed_in_app,
)

AS_OF = date(2026, 10, 28)


def add_offers(con: duckdb.DuckDBPyConnection) -> None:
    """Three published offers tables: OWN's patients (3 exams, 4 offers), OTHER's (1 exam)."""
    con.execute(
        """create table scheduling_offers as select * from (values
        ('e1', 'RRK', 'RXK01', 'RXK', true, 5.1, 2.0),
        ('e1', 'RRK', 'RKB01', 'RKB', false, 30.2, 1.0),
        ('e2', 'RRK', 'RXK01', 'RXK', true, 8.0, 1.4),
        ('e3', 'RRK', 'RXK01', 'RXK', false, 9.9, 0.3),
        ('x1', 'RXK', 'RRK01', 'RRK', true, 4.0, 3.0)
        ) as t(exam_key, trust_code, offered_site_code, offered_trust_code, is_allocated,
               distance_km, weeks_saved)"""
    )
    con.execute(
        """alter table scheduling_offers add column as_of_date date default '2026-10-28';
        alter table scheduling_offers add column dm01_test varchar default 'MRI';
        alter table scheduling_offers add column modality varchar default 'MR';
        alter table scheduling_offers add column priority varchar default 'routine';
        alter table scheduling_offers add column clock_start_date date default '2026-08-01';
        alter table scheduling_offers add column weeks_waited integer default 12;
        alter table scheduling_offers add column own_option varchar default 'booked';
        alter table scheduling_offers add column own_option_date date default '2026-11-30';
        alter table scheduling_offers add column offered_slot_at timestamptz
            default '2026-11-02 09:00:00+00';"""
    )
    con.execute(
        """create table scheduling_offers_by_trust as select * from (values
        ('NETWORK', 58, 58, 20, 30, 43, 40.5, 12, 20.0),
        ('RRK', 40, 40, 15, 25, 40, 37.5, 9, 15.0),
        ('RXK', 18, 18, 5, 5, 3, 3.0, 3, 5.0)
        ) as t(trust_code, patients_waiting, patients_located, patients_offered_10km,
               patients_offered_20km, patients_offered_40km, weeks_saved_40km,
               patients_allocated, weeks_saved_allocated)"""
    )
    con.execute(
        """alter table scheduling_offers_by_trust add column as_of_date date default '2026-10-28';
        alter table scheduling_offers_by_trust add column dm01_test varchar default 'MRI';"""
    )
    con.execute(
        """create table scheduling_offers_by_site as select * from (values
        ('RXK01', 'RXK', 30, 12, 9, 12.0), ('RRK01', 'RRK', 40, 3, 3, 4.0)
        ) as t(site_code, trust_code, free_slots, patients_offered, offers_absorbed,
               weeks_saved_absorbed)"""
    )
    con.execute(
        """alter table scheduling_offers_by_site add column as_of_date date default '2026-10-28';
        alter table scheduling_offers_by_site add column dm01_test varchar default 'MRI';"""
    )


@pytest.fixture(scope="module")
def offers_db(analytics_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("offers") / "analytics.duckdb"
    shutil.copyfile(analytics_db, db)
    with duckdb.connect(str(db)) as con:
        add_offers(con)
    return db


@pytest.fixture()
def offers_env(offers_db: Path, app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WMIN_ANALYTICS_DB", str(offers_db))
    return offers_db


def test_a_trust_analyst_gets_their_own_patients_only(offers_env: Path) -> None:
    rows = data.scheduling_offer_rows(OWN, access=TRUST_ANALYST)
    assert set(rows["trust_code"]) == {OWN} and rows["exam_key"].nunique() == 3
    with pytest.raises(data.AccessDenied, match=OTHER):
        data.scheduling_offer_rows(OTHER, access=TRUST_ANALYST)
    with pytest.raises(data.AccessDenied):
        data.scheduling_offer_rows(OWN, access=BOARD)
    assert set(data.scheduling_offer_rows(OTHER, access=NETWORK_ANALYST)["exam_key"]) == {"x1"}


def test_other_trusts_small_counts_are_suppressed_outside_the_network_team(
    offers_env: Path,
) -> None:
    mine = data.scheduling_offers_by_trust(access=TRUST_ANALYST).set_index("trust_code")
    assert mine.at[OWN, "patients_allocated"] == 9  # own trust exact
    assert np.isnan(mine.at[OTHER, "patients_allocated"])  # 3 patients of another trust
    assert np.isnan(mine.at[OTHER, "weeks_saved_allocated"])  # built on those 3
    assert mine.at["NETWORK", "patients_allocated"] == 12
    exact = data.scheduling_offers_by_trust(access=NETWORK_ANALYST).set_index("trust_code")
    assert exact.at[OTHER, "patients_allocated"] == 3
    sites = data.scheduling_offers_by_site(access=TRUST_ANALYST).set_index("site_code")
    assert sites.at["RXK01", "offers_absorbed"] == 10  # another trust's site: 9 rounded to 5s
    assert sites.at["RRK01", "offers_absorbed"] == 3  # the analyst's own trust's site: exact


def test_the_page_shows_a_trust_analyst_their_own_list(
    offers_env: Path,
    signed_in_app: Path,  # noqa: F811
) -> None:
    at = app_as({"email": "trust@example.nhs.uk"}, "scheduling", {"offers_trust": OTHER})
    assert any("scanned sooner" in s.value for s in at.subheader)
    lists = [d.value for d in at.dataframe if "exam" in d.value.columns]
    assert len(lists) == 1 and len(lists[0]) == 4  # OWN's four offers, whatever the URL says
    assert not [s for s in at.selectbox if s.label == "Patients of trust"]


def test_the_network_team_picks_any_trusts_list(
    offers_env: Path,
    signed_in_app: Path,  # noqa: F811
) -> None:
    at = app_as({"email": "net@example.nhs.uk"}, "scheduling", {"offers_trust": OTHER})
    lists = [d.value for d in at.dataframe if "exam" in d.value.columns]
    assert len(lists) == 1 and list(lists[0]["exam"]) == ["x1"]
    trusts = next(s for s in at.selectbox if s.label == "Patients of trust")
    assert trusts.value == OTHER
