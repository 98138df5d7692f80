"""The Planning page (issue #28) on the published fixture plus the two planning marts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data
from tests.fixtures.published import AS_OF, build_published_fixture

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

# the planning marts for the fixture's sites: RRK's MRI list grows (load > 1), the rest are steady
PLANNING_MARTS = f"""
create table waiting_list_pressure as
with weeks as (
    select cast(date '{AS_OF}' - 7 * cast(k as integer) as date) as week_end_date from range(0, 13) as r(k)
),
lists as (
    select site_code, trust_code, dm01_test from dim_site cross join (values ('MRI'), ('CT')) t(dm01_test)
    where trust_code in ('RRK', 'RXK')
),
sited as (
    select weeks.week_end_date, lists.trust_code, lists.site_code, lists.dm01_test,
        case when lists.trust_code = 'RRK' and lists.dm01_test = 'MRI' then 30 else 20 end as additions,
        20 as tests,
        case when lists.trust_code = 'RRK' and lists.dm01_test = 'MRI' then 90 else 40 end as waiting,
        case when lists.trust_code = 'RRK' and lists.dm01_test = 'MRI' then 40 else 4 end as waiting_6_plus_weeks
    from weeks cross join lists
),
both_levels as (
    select * from sited
    union all
    select week_end_date, trust_code, 'ALL', dm01_test, sum(additions), sum(tests), sum(waiting),
        sum(waiting_6_plus_weeks)
    from sited group by all
)
select week_end_date, trust_code, site_code, dm01_test,
    cast(additions as bigint) as additions, cast(tests as bigint) as tests,
    cast(waiting as bigint) as waiting, cast(waiting_6_plus_weeks as bigint) as waiting_6_plus_weeks,
    waiting * 1.0 / additions as mean_weeks_waited, 12 as weeks_in_window,
    additions * 1.0 as demand_mean, 0.2 as demand_cv, tests * 1.0 as capacity_mean, 0.1 as capacity_cv,
    additions * 1.0 / tests as queue_load, additions * 1.5 as target_queue_size,
    additions + 1.0 / 1.5 as target_capacity, additions + (waiting - additions * 1.5) / 12 as relief_capacity,
    2.0 * waiting / additions / 6 as pressure, additions > tests as is_overloaded
from both_levels;

create table waiting_list_projection as
with lists as (
    select * from (values ('RRK', 'MRI'), ('RRK', 'CT'), ('RXK', 'MRI'), ('RXK', 'CT')) t(trust_code, dm01_test)
),
grid as (
    select lists.*, h.weeks_ahead, b.band
    from lists
    cross join (select cast(k as integer) as weeks_ahead from range(0, 13) r(k)) as h
    cross join (select cast(k as integer) as band from range(0, 14) r(k)) as b
),
valued as (
    select *, (case when trust_code = 'RRK' and dm01_test = 'MRI' then 10.0 + weeks_ahead else 6.0 end)
        * case when band < 6 then 1.0 else 0.5 end as projected_patients
    from grid
)
select date '{AS_OF}' as projected_from, cast(date '{AS_OF}' + 7 * weeks_ahead as date) as week_end_date,
    weeks_ahead, trust_code, dm01_test,
    case when band = 13 then '13+' else cast(band as varchar) end as weeks_band, band as min_weeks_waited,
    projected_patients, projected_patients * 0.8 as patients_low, projected_patients * 1.2 as patients_high,
    case when band = 13 then 0.5 else 0.9 end as weekly_survival, 10.0 as weekly_renewals,
    sum(projected_patients) over w as waiting_projected,
    sum(projected_patients) over w * 0.9 as waiting_low, sum(projected_patients) over w * 1.1 as waiting_high,
    sum(case when band >= 6 then projected_patients else 0 end) over w as waiting_6_plus_weeks_projected,
    sum(case when band >= 6 then projected_patients else 0 end) over w * 0.9 as waiting_6_plus_weeks_low,
    sum(case when band >= 6 then projected_patients else 0 end) over w * 1.1 as waiting_6_plus_weeks_high
from valued
window w as (partition by trust_code, dm01_test, weeks_ahead);
"""


@pytest.fixture(scope="module")
def planning_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_published_fixture(tmp_path_factory.mktemp("planning") / "analytics.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute(PLANNING_MARTS)
    return path


@pytest.fixture()
def planning_env(planning_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WMIN_ANALYTICS_DB", str(planning_db))
    return planning_db


def run_planning(user: dict | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.user = {"is_logged_in": True, "iat": 1, **user}
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/planning.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_planning_page_shows_pressure_projection_and_relief(planning_env: Path) -> None:
    at = run_planning(query={"plan_trust": "RRK", "plan_test": "MRI"})
    assert metric(at, "Lists with load > 1") == "1"
    table = next(df.value for df in at.dataframe if "pressure" in df.value.columns)
    assert len(table) == 4 and table["load > 1"].sum() == 1
    # the 6+ week waiters at 12 weeks: (10 + 12) x 0.5 x 8 bands = 88, so 8 slots a week clear them
    assert metric(at, "Added slots a week to reach 1%") == "8"
    assert "relief" in " ".join(m.label for m in at.metric).lower()


def test_added_slots_are_drawn_beside_the_projection(planning_env: Path) -> None:
    at = run_planning(query={"plan_trust": "RRK", "plan_test": "MRI"})
    at.slider(key="plan_slots").set_value(5).run()
    assert not at.exception
    # baseline 12 weeks on: 22 x 6 + 11 x 8 = 220 waiting, 88 at 6+; 5 x 12 = 60 fewer, longest first
    text = " ".join(m.value for m in at.markdown)
    assert "**220** waiting, **88** of them 6+ weeks" in text
    assert "**160** waiting, **28** 6+ weeks" in text


def test_board_members_may_see_planning(
    planning_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roles = tmp_path / "access.yml"
    roles.write_text(
        'contact: "x"\nusers:\n  board@example.nhs.uk: {role: board_member}\n', encoding="utf-8"
    )
    monkeypatch.setenv(data.ENV_SIGN_IN, "oidc")
    monkeypatch.setenv(data.ENV_ACCESS_FILE, str(roles))
    at = run_planning(user={"email": "board@example.nhs.uk"})
    assert any("Planning" in h.value for h in [*at.title, *at.header])
    table = next(df.value for df in at.dataframe if "pressure" in df.value.columns)
    assert not table.empty
