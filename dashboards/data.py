"""The one data module of the app: every query the pages run, against the published database.

- The published database is `analytics.duckdb`, opened read-only. Its path comes from the
  environment variable WMIN_ANALYTICS_DB, and the board-pack folder from WMIN_EXPORTS_DIR; both
  are set by the launcher (`wmin serve`), as are the sign-in mode, the roles file and the audit
  folder (WMIN_APP_*). EXCEPTION to "no module reads environment variables on its own"
  (DESIGN.md, Settings): the Streamlit app runs in its own process and cannot receive the
  pipeline's Settings object, so this module, and only this one, reads those variables.
- Who may see what is enforced here, not in the pages (docs/access.md): every query function
  takes the viewer's `access` (default: the signed-in viewer, `viewer()`). Other trusts' rows
  come back through disclosure control for a trust analyst, exam-level rows only of their own
  trust; a filter from the URL can only narrow what the access allows.
- One read-only DuckDB connection per process (`st.cache_resource`). Publish replaces the file
  by an atomic rename, so the file's identity (inode, mtime) changes: the connection is then
  closed and reopened (DuckDB caches a database per path, so closing first is required).
- Every query result is cached with `st.cache_data(ttl=...)` keyed also by that identity, so a
  new publish invalidates the cache without waiting for the ttl; the ttl (a working day) and
  max_entries only bound the memory held by views nobody revisits.
- The catalogue (table names) and trust names are looked up many times per page run; they are
  kept as immutable values per identity (`st.cache_resource`), because a `cache_data` hit
  unpickles a fresh DataFrame every time (thousands of times per run; docs/benchmarks.md).
- SQL is parameterised; the only identifiers put into SQL text come from fixed allow-lists.
- Pages import this module and never open the database themselves. This module imports no
  other room of the project (ingest, pipeline, exports); the shared rules of `reporting` that
  read the database (targets, feed starts, monthly measures) run here on the same connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st

from dashboards import audit as _audit
from dashboards.access import Access, AccessFile, AccessFileError, load_access_file, resolve
from reporting import maturity, monthly, planning, targets
from reporting.colours import trust_colours as _trust_colours
from reporting.disclosure import suppress_frame, suppress_mart
from reporting.measures import MEASURES

T = TypeVar("T")
ENV_ANALYTICS_DB = "WMIN_ANALYTICS_DB"
ENV_EXPORTS_DIR = "WMIN_EXPORTS_DIR"
ENV_SIGN_IN = "WMIN_APP_SIGN_IN"  # "oidc" when `wmin serve` configured sign-in
ENV_DEMO = "WMIN_APP_DEMO"  # "1": demo mode, said on every page
ENV_ACCESS_FILE = "WMIN_APP_ACCESS_FILE"
ENV_AUDIT_DIR = "WMIN_APP_AUDIT_DIR"
# Without sign-in the app listens on localhost only (`wmin serve`): its one user is the machine's.
LOCAL_VIEWER = Access(email="local user", role="administrator")
TTL_SECONDS = 8 * 3600
NETWORK = "NETWORK"
LOCAL_TZ = "Europe/London"

# Published tables the app may read whole (Downloads page); docs/metrics.md marts first.
MART_TABLES = (
    "tat_monthly",
    "did_activity_monthly",
    "waiting_list_census",
    "waiting_list_bands",
    "dm01_activity_monthly",
    "reporting_backlog",
    "reporting_throughput_weekly",
    "scanner_utilisation_daily",
    "scheduling_capacity",
    "feed_health_daily",
)
PROVISIONAL_TABLES = (
    "dim_trust",
    "dim_site",
    "publish_info",
    "dq_scorecard_monthly",
    "rejections_by_reason",
    "quarantined_files",
)
# The date column a mart extract is filtered on (first day .. last day of the period).
_DATE_COLUMN = {
    "tat_monthly": "month",
    "did_activity_monthly": "month",
    "waiting_list_census": "census_date",
    "waiting_list_bands": "census_date",
    "dm01_activity_monthly": "month",
    "reporting_backlog": "as_of_date",
    "reporting_throughput_weekly": "week",
    "scanner_utilisation_daily": "date",
    "scheduling_capacity": "as_of_date",
    "feed_health_daily": "date",
    "dq_scorecard_monthly": "month",
}


class DataUnavailable(RuntimeError):
    """The published database cannot be read; the message says what to do."""


class AccessDenied(PermissionError):
    """The viewer's role does not allow this; the message says what and whom to ask."""


# --------------------------------------------------------------------------- viewer & audit
def sign_in_required() -> bool:
    return os.environ.get(ENV_SIGN_IN) == "oidc"


def demo_mode() -> bool:
    return os.environ.get(ENV_DEMO) == "1"


@st.cache_resource(show_spinner=False, max_entries=4)
def _access_file(path: str, mtime_ns: int) -> AccessFile:
    return load_access_file(Path(path))


def access_rules() -> AccessFile:
    """The roles file (re-read when it changes); AccessFileError when it cannot be used."""
    value = os.environ.get(ENV_ACCESS_FILE)
    if not value:
        raise AccessFileError(f"{ENV_ACCESS_FILE} is not set: start the app with `wmin serve`")
    path = Path(value)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _access_file(str(path), mtime)


def viewer() -> Access | None:
    """The signed-in viewer's access; None when nobody is signed in or the roles file grants
    nothing (the app then shows the sign-in or the refused page)."""
    if not sign_in_required():
        return LOCAL_VIEWER
    if not st.user.is_logged_in:
        return None
    return resolve(access_rules(), st.user.to_dict())


def _access(access: Access | None) -> Access:
    found = access if access is not None else viewer()
    if found is None:
        raise AccessDenied("you are not signed in, or your account has no role in this app")
    return found


def _exact_trusts(access: Access) -> tuple[str, ...] | None:
    """Trusts whose rows the viewer sees exactly (None: every trust); others are suppressed."""
    if access.all_trusts:
        return None
    if access.role == "trust_analyst":
        return (access.trust or "", NETWORK)
    return (NETWORK,)


def _protected(table: str, df: pd.DataFrame, access: Access | None) -> pd.DataFrame:
    """A mart's rows as the viewer may see them: other trusts' through disclosure control."""
    exact = _exact_trusts(_access(access))
    if exact is None or df.empty or "trust_code" not in df.columns:
        return df
    others = ~df["trust_code"].isin(exact)
    if not others.any():
        return df
    shown = suppress_mart(table, df[others].reset_index(drop=True), numeric=True)
    shown.index = df.index[others]
    out = df.copy()
    for col in shown.columns:
        if col in out.columns and out[col].dtype != shown[col].dtype:
            out[col] = out[col].astype("float64")
    out.loc[others, shown.columns] = shown
    return out


def _exam_level(df: pd.DataFrame, access: Access | None) -> pd.DataFrame:
    """Figures made from exam-level rows: other trusts' are not shown outside the network team."""
    exact = _exact_trusts(_access(access))
    if exact is None:
        return df
    return df[df["trust_code"].isin(exact)].reset_index(drop=True)


def audit_dir() -> Path | None:
    value = os.environ.get(ENV_AUDIT_DIR)
    return Path(value) if value else None


def audit(event: str, access: Access | None, **details: object) -> None:
    """Append a sign-in, page view or download to the audit log (when `wmin serve` set one)."""
    folder = audit_dir()
    if folder is not None:  # without an access (refused), `email` names the account
        user = access.email if access else details.pop("email", None)
        _audit.append(folder, event, user, access.role if access else None, details)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- location & identity
def analytics_db_path() -> Path:
    value = os.environ.get(ENV_ANALYTICS_DB)
    if not value:
        raise DataUnavailable(
            f"{ENV_ANALYTICS_DB} is not set: start the app with `wmin serve` "
            f"(or set {ENV_ANALYTICS_DB} to the published analytics.duckdb)."
        )
    return Path(value)


def exports_dir() -> Path | None:
    value = os.environ.get(ENV_EXPORTS_DIR)
    return Path(value) if value else None


def db_identity() -> tuple[str, int, int]:
    """(path, inode, mtime in ns) of the published file: changes when a publish replaces it."""
    path = analytics_db_path()
    try:
        st_ = path.stat()
    except FileNotFoundError:
        raise DataUnavailable(
            f"{path} does not exist yet: run `wmin nightly` (or `wmin demo`) "
            "to publish the analytics database."
        ) from None
    return (str(path), st_.st_ino, st_.st_mtime_ns)


@dataclass
class _Connection:
    lock: threading.Lock = field(default_factory=threading.Lock)
    con: duckdb.DuckDBPyConnection | None = None
    identity: tuple[str, int, int] | None = None
    opened: int = 0  # how many times a file was opened (tests check reopening)


@st.cache_resource(show_spinner=False)
def _connection() -> _Connection:
    return _Connection()


def _fetch(identity: tuple[str, int, int], sql: str, params: tuple) -> pd.DataFrame:
    return _on_connection(identity, lambda cur: cur.execute(sql, list(params)).df())


def _on_connection(
    identity: tuple[str, int, int], read: Callable[[duckdb.DuckDBPyConnection], T]
) -> T:
    """`read(cursor)` on the read-only connection, reopened when a publish replaced the file."""
    holder = _connection()
    # one lock for reopen and queries: a query never runs on a connection being closed
    with holder.lock:
        if holder.con is None or holder.identity != identity:
            if holder.con is not None:
                holder.con.close()
                holder.con = None
            try:
                holder.con = duckdb.connect(identity[0], read_only=True)
            except duckdb.Error as e:
                raise DataUnavailable(f"cannot open {identity[0]} read-only: {e}") from None
            holder.identity = identity
            holder.opened += 1
        cur = holder.con.cursor()
        try:
            return read(cur)
        finally:
            cur.close()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(identity: tuple[str, int, int], sql: str, params: tuple) -> pd.DataFrame:
    return _fetch(identity, sql, params)


def _query(sql: str, *params: object) -> pd.DataFrame:
    frozen = tuple(tuple(p) if isinstance(p, list) else p for p in params)
    df = _cached(db_identity(), sql, frozen)
    for col in df.columns:  # TIMESTAMPTZ columns are shown in local time
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            df[col] = df[col].dt.tz_convert(LOCAL_TZ)
    return df


def _in(column: str, values: tuple[str, ...] | list[str] | None, params: list[object]) -> str:
    """`and list_contains(?, column)` when values are given (empty = no filter)."""
    if not values:
        return ""
    params.append(list(values))
    return f" and list_contains(?::varchar[], {column})"


def _trusts_with_network(trusts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(trusts) + (NETWORK,) if trusts else ()


# --------------------------------------------------------------------------- catalogue
@st.cache_resource(show_spinner=False, max_entries=4)
def _catalogue(identity: tuple[str, int, int]) -> tuple[str, ...]:
    df = _fetch(
        identity,
        "select table_name from information_schema.tables where table_schema = 'main' order by 1",
        (),
    )
    return tuple(df["table_name"])


def published_tables() -> list[str]:
    return list(_catalogue(db_identity()))


def has_table(name: str) -> bool:
    return name in _catalogue(db_identity())


def publish_info() -> dict[str, object] | None:
    """published_at, as_of_date, data_window_start, data_window_end (None if not published)."""
    if not has_table("publish_info"):
        return None
    df = _query("select * from publish_info limit 1")
    return None if df.empty else df.iloc[0].to_dict()


def as_of_date() -> date:
    """The as-of date of the published data (publish_info, else the latest feed date)."""
    info = publish_info()
    if info and info.get("as_of_date") is not None and not pd.isna(info["as_of_date"]):
        return pd.Timestamp(info["as_of_date"]).date()
    df = _query("select max(date) as d from feed_health_daily")
    return pd.Timestamp(df["d"].iloc[0]).date()


def trusts() -> pd.DataFrame:
    """trust_code, trust_name, icb_name, latitude, longitude of the network's trusts."""
    if has_table("dim_trust"):
        return _query(
            "select trust_code, trust_name, icb_name, latitude, longitude from dim_trust "
            "where trust_code <> ? order by trust_code",
            NETWORK,
        )
    return _query(
        "select distinct trust_code, trust_code as trust_name, null as icb_name, "
        "null::double as latitude, null::double as longitude from tat_monthly "
        "where trust_code <> ? order by 1",
        NETWORK,
    )


@st.cache_resource(show_spinner=False, max_entries=4)
def _trust_names(identity: tuple[str, int, int]) -> MappingProxyType:
    return MappingProxyType(dict(zip(trusts()["trust_code"], trusts()["trust_name"])))


def trust_names() -> MappingProxyType:
    """{trust_code: trust_name} of the network's trusts (read-only)."""
    return _trust_names(db_identity())


def sites() -> pd.DataFrame:
    """site_code, trust_code, site_name, latitude, longitude (empty if dim_site is missing)."""
    if has_table("dim_site"):
        return _query(
            "select site_code, trust_code, site_name, latitude, longitude from dim_site "
            "order by site_code"
        )
    return pd.DataFrame(columns=["site_code", "trust_code", "site_name", "latitude", "longitude"])


def months() -> list[date]:
    """Months present in tat_monthly, oldest first."""
    df = _query("select distinct month from tat_monthly order by month")
    return [pd.Timestamp(m).date() for m in df["month"]]


def modalities() -> list[str]:
    return _query("select distinct modality from tat_monthly order by 1")["modality"].tolist()


def priorities() -> list[str]:
    return _query("select distinct priority from tat_monthly order by 1")["priority"].tolist()


# --------------------------------------------------------------------------- turnaround
def tat_monthly(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    modalities: tuple[str, ...] = (),
    priorities: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    """tat_monthly rows for months start..end; trust filter keeps the NETWORK rows."""
    params: list[object] = [start, end]
    sql = "select * from tat_monthly where month between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("modality", modalities, params)
    sql += _in("priority", priorities, params)
    return _protected(
        "tat_monthly",
        _query(sql + " order by month, trust_code, modality, priority", *params),
        access,
    )


def exam_interval_medians(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    modalities: tuple[str, ...] = (),
    priorities: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    """Per trust and NETWORK, from fct_exams tested start..end: the number of values and the
    median (quantile_cont) of request_to_test_days and test_to_report_days/hours."""
    params: list[object] = [start, end]
    where = "test_date between ? and ?"
    where += _in("modality", modalities, params)
    where += _in("priority", priorities, params)
    sql = f"""
        with exams as (select * from fct_exams where {where}),
        by_trust as (
            select trust_code,
                   count(*) as exams_tested,
                   count(request_to_test_days) as n_request_to_test,
                   quantile_cont(request_to_test_days, 0.5) as request_to_test_median_days,
                   count(test_to_report_days) as n_test_to_report,
                   quantile_cont(test_to_report_days, 0.5) as test_to_report_median_days,
                   quantile_cont(test_to_report_hours, 0.5) as test_to_report_median_hours
            from exams group by trust_code
            union all
            select ? as trust_code, count(*), count(request_to_test_days),
                   quantile_cont(request_to_test_days, 0.5), count(test_to_report_days),
                   quantile_cont(test_to_report_days, 0.5), quantile_cont(test_to_report_hours, 0.5)
            from exams
        )
        select * from by_trust where true"""
    params.append(NETWORK)
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    return _exam_level(_query(sql + " order by trust_code", *params), access)


INTERVAL_MEASURES = {"request_to_test_days": 7, "test_to_report_days": 1}


def exam_interval_histogram(
    measure: str,
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    modalities: tuple[str, ...] = (),
    priorities: tuple[str, ...] = (),
    cap: int = 70,
    access: Access | None = None,
) -> pd.DataFrame:
    """Counts of exams by interval bin (weeks for request_to_test_days, days for
    test_to_report_days; the last bin holds everything >= cap) per trust and NETWORK."""
    if measure not in INTERVAL_MEASURES:
        raise ValueError(f"unknown interval measure {measure!r}")
    width = INTERVAL_MEASURES[measure]
    params: list[object] = [cap, width, width, start, end]
    where = f"test_date between ? and ? and {measure} is not null"
    where += _in("modality", modalities, params)
    where += _in("priority", priorities, params)
    sql = f"""
        with binned as (
            select trust_code, floor(least({measure}, ?) / ?)::int * ? as bin_start
            from fct_exams where {where}
        )
        select trust_code, bin_start, count(*) as exams from binned group by all
        union all
        select ? as trust_code, bin_start, count(*) from binned group by bin_start"""
    params.append(NETWORK)
    df = _query(sql, *params)
    if trusts:
        df = df[df["trust_code"].isin(_trusts_with_network(trusts))]
    return _exam_level(df.sort_values(["trust_code", "bin_start"]).reset_index(drop=True), access)


def did_activity_monthly(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    modalities: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    params: list[object] = [start, end]
    sql = "select * from did_activity_monthly where month between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("modality", modalities, params)
    return _protected(
        "did_activity_monthly",
        _query(sql + " order by month, trust_code, modality, patient_source_setting", *params),
        access,
    )


# --------------------------------------------------------------------------- waiting list
def census_dates() -> list[date]:
    df = _query("select distinct census_date from waiting_list_census order by 1")
    return [pd.Timestamp(d).date() for d in df["census_date"]]


def waiting_list_census(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    dm01_tests: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    params: list[object] = [start, end]
    sql = "select * from waiting_list_census where census_date between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("dm01_test", dm01_tests, params)
    return _protected(
        "waiting_list_census",
        _query(sql + " order by census_date, trust_code, dm01_test", *params),
        access,
    )


def waiting_list_bands(
    census_date: date,
    trusts: tuple[str, ...] = (),
    dm01_tests: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    params: list[object] = [census_date]
    sql = "select * from waiting_list_bands where census_date = ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("dm01_test", dm01_tests, params)
    return _protected(
        "waiting_list_bands", _query(sql + " order by trust_code, dm01_test", *params), access
    )


def planning_pressure(trusts: tuple[str, ...] = (), access: Access | None = None) -> pd.DataFrame:
    """waiting_list_pressure in its latest week: each site's list and the trust's (site ALL)."""
    params: list[object] = []
    sql = (
        "select * from waiting_list_pressure"
        " where week_end_date = (select max(week_end_date) from waiting_list_pressure)"
    )
    sql += _in("trust_code", trusts, params)
    return _protected(
        "waiting_list_pressure",
        _query(sql + " order by trust_code, site_code, dm01_test", *params),
        access,
    )


def planning_lists() -> pd.DataFrame:
    """The trusts and DM01 tests with a projection."""
    return _query(
        "select distinct trust_code, dm01_test from waiting_list_projection order by 1, 2"
    )


def _projection_rows(trust: str, dm01_test: str) -> pd.DataFrame:
    return _on_connection(
        db_identity(), lambda cur: planning.read_projection(cur, trust, dm01_test)
    )


def planning_projection(
    trust: str, dm01_test: str, added_slots: float = 0, access: Access | None = None
) -> pd.DataFrame:
    """The trust's projected list for the test with `added_slots` more tests a week
    (reporting.planning), by week ahead; counts protected unless the viewer sees the trust."""
    scenario = planning.project_with_added_slots(_projection_rows(trust, dm01_test), added_slots)
    scenario.insert(0, "trust_code", trust)
    exact = _exact_trusts(_access(access))
    if exact is None or trust in exact:
        return scenario
    counts = [
        c for c in scenario.columns if c not in ("trust_code", "weeks_ahead", "week_end_date")
    ]
    return suppress_frame(scenario, counts=counts, numeric=True)


def planning_slots_to_clear(trust: str, dm01_test: str, weeks_ahead: int) -> int | None:
    """Added slots a week that bring the 6+ week waiters to 1% of the list by `weeks_ahead`."""
    return planning.slots_to_clear_breaches(_projection_rows(trust, dm01_test), weeks_ahead)


def dm01_activity_monthly(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    dm01_tests: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    params: list[object] = [start, end]
    sql = "select * from dm01_activity_monthly where month between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("dm01_test", dm01_tests, params)
    return _protected(
        "dm01_activity_monthly",
        _query(sql + " order by month, trust_code, dm01_test", *params),
        access,
    )


# --------------------------------------------------------------------------- reporting
def backlog_dates(end: date) -> date | None:
    """The latest reporting_backlog as_of_date on or before `end`."""
    df = _query("select max(as_of_date) as d from reporting_backlog where as_of_date <= ?", end)
    d = df["d"].iloc[0]
    return None if pd.isna(d) else pd.Timestamp(d).date()


def reporting_backlog(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    modalities: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    params: list[object] = [start, end]
    sql = "select * from reporting_backlog where as_of_date between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("modality", modalities, params)
    return _protected(
        "reporting_backlog",
        _query(sql + " order by as_of_date, trust_code, modality", *params),
        access,
    )


def reporting_throughput_weekly(
    start: date,
    end: date,
    trusts: tuple[str, ...] = (),
    modalities: tuple[str, ...] = (),
    access: Access | None = None,
) -> pd.DataFrame:
    params: list[object] = [start, end]
    sql = "select * from reporting_throughput_weekly where week between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    sql += _in("modality", modalities, params)
    return _protected(
        "reporting_throughput_weekly",
        _query(sql + " order by week, trust_code, modality", *params),
        access,
    )


# --------------------------------------------------------------------------- capacity
def scheduling_as_of_dates() -> list[date]:
    df = _query("select distinct as_of_date from scheduling_capacity order by 1")
    return [pd.Timestamp(d).date() for d in df["as_of_date"]]


def scheduling_modalities() -> list[str]:
    return _query("select distinct modality from scheduling_capacity order by 1")[
        "modality"
    ].tolist()


def scheduling_capacity(modality: str, as_of: date | None = None) -> pd.DataFrame:
    """Every site offering `modality`, on `as_of` (default: the latest snapshot)."""
    if as_of is None:
        sql = (
            "select * from scheduling_capacity where modality = ? and as_of_date = "
            "(select max(as_of_date) from scheduling_capacity)"
        )
        return _query(sql, modality)
    return _query(
        "select * from scheduling_capacity where modality = ? and as_of_date = ?", modality, as_of
    )


def scheduling_history(modality: str) -> pd.DataFrame:
    return _query(
        "select as_of_date, site_code, free_slots, waiting_unbooked, est_weeks_to_clear "
        "from scheduling_capacity where modality = ? order by as_of_date, site_code",
        modality,
    )


def _latest_offers(table: str, order_by: str, access: Access | None) -> pd.DataFrame:
    """An offers aggregate's rows at its latest as-of date, through disclosure control."""
    sql = (
        f"select * from {table} where as_of_date = "
        f"(select max(as_of_date) from {table}) order by {order_by}"
    )
    return _protected(table, _query(sql), access)


def scheduling_offers_by_trust(access: Access | None = None) -> pd.DataFrame:
    """Offers per trust x DM01 test at the latest as-of date (docs/offers.md); other trusts'
    counts through disclosure control outside the network team."""
    return _latest_offers("scheduling_offers_by_trust", "trust_code, dm01_test", access)


def scheduling_offers_by_site(access: Access | None = None) -> pd.DataFrame:
    """Offers per site x DM01 test at the latest as-of date; the counts of another trust's
    sites through disclosure control outside the network team."""
    return _latest_offers("scheduling_offers_by_site", "site_code, dm01_test", access)


def scheduling_offer_rows(trust: str, access: Access | None = None) -> pd.DataFrame:
    """A trust's pseudonymised offers (scheduling_offers, latest as-of date): the network team
    may ask for any trust, a trust analyst for their own only; anyone else is refused."""
    viewer_access = _access(access)
    if viewer_access.role == "board_member":
        raise AccessDenied("patients' offers are for analysts; a board member has the board pack")
    if viewer_access.role == "trust_analyst" and trust != viewer_access.trust:
        raise AccessDenied(
            f"the offers of {trust}'s patients are not yours to see: a trust analyst of "
            f"{viewer_access.trust} gets that trust's patients only"
        )
    sql = (
        "select * from scheduling_offers where trust_code = ? and as_of_date = "
        "(select max(as_of_date) from scheduling_offers) "
        "order by clock_start_date, exam_key, is_allocated desc, weeks_saved desc, distance_km"
    )
    return _query(sql, trust)


def scanner_utilisation_by_room(
    start: date, end: date, site_codes: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Per site and room over start..end: minutes available, booked, used in and outside the
    slots, DNA slots. Days without available slots (a room or day without an appointment book)
    stay out of utilisation: their scanning is `no_book_minutes`; `outside_slots_minutes` is
    scanning outside the slots on days with a book (lists running late, blocked slots)."""
    params: list[object] = [start, end]
    where = "date between ? and ?" + _in("site_code", site_codes, params)
    sql = f"""select site_code, room,
                     count(*) filter (where available_minutes > 0) as days,
                     sum(available_minutes) as available_minutes,
                     sum(booked_minutes) as booked_minutes, sum(used_minutes) as used_minutes,
                     sum(used_in_slots_minutes) as used_in_slots_minutes,
                     coalesce(sum(used_outside_slots_minutes) filter (where available_minutes > 0), 0)
                        as outside_slots_minutes,
                     coalesce(sum(used_minutes) filter (where available_minutes = 0), 0) as no_book_minutes,
                     sum(dna_slots) as dna_slots,
                     round(100 * sum(used_in_slots_minutes) / nullif(sum(available_minutes), 0), 1)
                        as utilisation_pct
              from scanner_utilisation_daily where {where}
              group by site_code, room order by site_code, room"""
    return _query(sql, *params)


def scanner_utilisation_weekly(
    start: date, end: date, site_codes: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Per site and ISO week with available slots: minutes available, used in and outside the
    slots (days with a book), utilisation %, DNA slots."""
    params: list[object] = [start, end]
    where = "date between ? and ? and available_minutes > 0" + _in("site_code", site_codes, params)
    sql = f"""select site_code, date_trunc('week', date)::date as week,
                     sum(available_minutes) as available_minutes,
                     sum(used_in_slots_minutes) as used_in_slots_minutes,
                     sum(used_outside_slots_minutes) as outside_slots_minutes,
                     sum(dna_slots) as dna_slots,
                     round(100 * sum(used_in_slots_minutes) / sum(available_minutes), 1)
                        as utilisation_pct
              from scanner_utilisation_daily where {where}
              group by all order by site_code, week"""
    return _query(sql, *params)


# --------------------------------------------------------------------------- feeds & quality
def feed_health(start: date, end: date, trusts: tuple[str, ...] = ()) -> pd.DataFrame:
    params: list[object] = [start, end]
    sql = "select * from feed_health_daily where date between ? and ?"
    sql += _in("trust_code", trusts, params)
    return _query(sql + " order by date, trust_code", *params)


def feed_latest(trusts: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each trust's latest feed_health_daily row."""
    params: list[object] = []
    sql = (
        "select * from feed_health_daily where true"
        + _in("trust_code", trusts, params)
        + " qualify row_number() over (partition by trust_code order by date desc) = 1"
        + " order by trust_code"
    )
    return _query(sql, *params)


def dq_scorecard(
    start: date, end: date, trusts: tuple[str, ...] = (), access: Access | None = None
) -> pd.DataFrame:
    if not has_table("dq_scorecard_monthly"):
        return pd.DataFrame()
    params: list[object] = [start, end]
    sql = "select * from dq_scorecard_monthly where month between ? and ?"
    sql += _in("trust_code", _trusts_with_network(trusts), params)
    return _protected(
        "dq_scorecard_monthly",
        _query(sql + " order by month, trust_code, measure", *params),
        access,
    )


def rejections_by_reason(trusts: tuple[str, ...] = ()) -> pd.DataFrame:
    if not has_table("rejections_by_reason"):
        return pd.DataFrame()
    params: list[object] = []
    sql = "select * from rejections_by_reason where true" + _in("trust_code", trusts, params)
    return _query(sql + " order by rows desc, trust_code, reason_code", *params)


def quarantined_files(trusts: tuple[str, ...] = ()) -> pd.DataFrame:
    if not has_table("quarantined_files"):
        return pd.DataFrame()
    params: list[object] = []
    sql = "select * from quarantined_files where true" + _in("trust_code", trusts, params)
    return _query(sql + " order by quarantined_at desc", *params)


# --------------------------------------------------------------------------- downloads
def mart_extract(
    table: str, start: date, end: date, trusts: tuple[str, ...] = (), access: Access | None = None
) -> pd.DataFrame:
    """A published mart (allow-listed name) for the period and trusts."""
    if table not in MART_TABLES + ("dq_scorecard_monthly",):
        raise ValueError(f"{table!r} is not a published mart that can be extracted")
    if _access(access).role == "board_member":
        raise AccessDenied("a board member downloads the board pack, not mart extracts")
    cols = _query("select column_name from information_schema.columns where table_name = ?", table)[
        "column_name"
    ].tolist()
    params: list[object] = []
    sql = f'select * from "{table}" where true'
    date_col = _DATE_COLUMN.get(table)
    if date_col in cols:
        sql += f' and "{date_col}" between ? and ?'
        params += [start, end]
    if "trust_code" in cols:
        sql += _in("trust_code", _trusts_with_network(trusts), params)
    elif "site_code" in cols and trusts:
        site_list = sites()
        chosen = site_list[site_list["trust_code"].isin(trusts)]["site_code"].tolist()
        sql += _in("site_code", chosen or ["-"], params)
    return _protected(table, _query(sql, *params), access)


def exam_rows(
    start: date, end: date, trusts: tuple[str, ...] = (), access: Access | None = None
) -> pd.DataFrame:
    """Pseudonymised exam-level rows of fct_exams tested start..end (Downloads). A trust analyst
    gets their own trust's only (none chosen: their own); asking for another trust is refused."""
    viewer_access = _access(access)
    if viewer_access.role == "board_member":
        raise AccessDenied("exam-level rows are for analysts; a board member has the board pack")
    if viewer_access.role == "trust_analyst":
        others = sorted(set(trusts) - {viewer_access.trust})
        if others:
            raise AccessDenied(
                f"exam-level rows of {', '.join(others)} are not yours to see: "
                f"a trust analyst of {viewer_access.trust} gets that trust's rows only"
            )
        trusts = (viewer_access.trust or "",)
    params: list[object] = [start, end]
    sql = "select * from fct_exams where test_date between ? and ?"
    sql += _in("trust_code", trusts, params)
    return _query(sql + " order by trust_code, test_date, exam_key", *params)


def board_pack_files(month: date) -> list[Path]:
    """Files of the month's exports under WMIN_EXPORTS_DIR/<YYYY-MM>/ (empty if none)."""
    root = exports_dir()
    if root is None:
        return []
    folder = root / f"{month:%Y-%m}"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def month_end(month: date) -> date:
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


# --------------------------------------------------------------------------- shared rules (reporting)
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def _reporting_targets(identity: tuple[str, int, int]) -> dict[str, int]:
    return _on_connection(identity, targets.reporting_targets)


def reporting_targets() -> dict[str, int]:
    """{priority: target hours} from dim_reporting_target (empty when it is not published)."""
    return _reporting_targets(db_identity()) if has_table("dim_reporting_target") else {}


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def _feed_starts(identity: tuple[str, int, int]) -> dict[str, date]:
    return _on_connection(identity, maturity.feed_starts)


def feed_starts() -> dict[str, date]:
    """Each trust's first delivery day and the network's (the last trust's): run-in months."""
    return _feed_starts(db_identity())


@st.cache_resource(show_spinner=False, max_entries=4)
def _colours(identity: tuple[str, int, int]) -> MappingProxyType:
    return MappingProxyType(_trust_colours(trusts()["trust_code"]))


def trust_colours() -> MappingProxyType:
    """{trust code: colour} for every trust of dim_trust (never a filtered selection), NETWORK black."""
    return _colours(db_identity())


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=32)
def _measure_frame(identity: tuple[str, int, int], key: str) -> pd.DataFrame:
    return _on_connection(identity, lambda cur: monthly.measure_frame(cur, MEASURES[key]))


def measure_frame(key: str) -> pd.DataFrame:
    """trust_code (NETWORK included), month, value of a board measure (`reporting.monthly`)."""
    return _measure_frame(db_identity(), key)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=32)
def _judgements(identity: tuple[str, int, int], key: str) -> pd.DataFrame:
    return _on_connection(identity, lambda cur: monthly.judgements(cur, (MEASURES[key],)))


def judgements(key: str) -> pd.DataFrame:
    """Every trust's (NETWORK first) latest judged month of a board measure, as the pack reads it
    (`reporting.monthly.judgements`)."""
    return _judgements(db_identity(), key)


def spc_table(key: str, trust_code: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The `reporting.spc.xmr` table of a measure for one trust, months judged as the board pack
    judges them (`reporting.monthly.spc_table`); `frame` (trust_code, month, value) gives another
    series of the measure, e.g. one modality and priority; default the board's series."""
    frame = measure_frame(key) if frame is None else frame
    starts, as_of = feed_starts(), as_of_date()  # cached reads first: the lock is not re-entrant
    return _on_connection(
        db_identity(),
        lambda cur: monthly.spc_table(cur, MEASURES[key], trust_code, as_of, frame, starts),
    )
