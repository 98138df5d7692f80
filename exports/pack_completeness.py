"""Completeness per trust for the month: which figures rest on thin data.

A trust's feed is judged by its own cadence (`feed_health_daily.delivery_due`, from the
cadence the mart infers from the trust's history): a weekly feed is due once a week, so the six
days between its files are not missing days. A day counts as missed when a delivery was due
and none came (`status = 'missing'`).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from exports.pack_tables import NETWORK, Column, Table, query
from reporting import disclosure as dc
from reporting.maturity import add_months, month_end

# thresholds for the completeness assessment (a reader's warning, not a metric)
VOLUME_LOW_PCT = 90.0
DQ_LOW_PCT = 95.0
REJECTED_HIGH_PCT = 2.0

COMPLETENESS_COLUMNS = [
    Column("trust_code", "Trust"),
    Column("trust_name", "Trust name"),
    Column("cadence", "Feed cadence"),
    Column("exams_tested", "Exams tested", "count"),
    Column("expected_exams", "Expected (3-month mean)", "count"),
    Column("volume_pct", "Volume vs expected %", "pct"),
    Column("deliveries", "Due deliveries received"),
    Column("rows_rejected_pct", "Rows rejected %", "pct"),
    Column("lowest_dq", "Lowest data-quality check"),
    Column("lowest_dq_pct", "Lowest check % passing", "pct"),
    Column("feed_status_as_of", "Feed on as-of date"),
    Column("assessment", "Assessment"),
]


def cadence_text(days: int | None) -> str | None:
    if days is None:
        return None
    return {1: "daily", 7: "weekly"}.get(days, f"every {days} days")


def missed_deliveries(feed_days: pd.DataFrame) -> int:
    """Deliveries due and not received: a run of missing days (the mart keeps a late weekly feed
    missing every day until a file comes) is one missed delivery per cadence it spans."""
    days = feed_days.sort_values("date")
    missing = (days["status"] == "missing").tolist()
    cadence = max(1, int(days["cadence_days"].max())) if len(days) else 1
    missed, run = 0, 0
    for is_missing in missing + [False]:
        if is_missing:
            run += 1
        elif run:
            missed += -(-run // cadence)
            run = 0
    return missed


def _feed(con, m: date, as_of: date | None, have: set[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The month's feed days (due = a delivery was expected that day) and each trust's status
    on the as-of date. An older database without `delivery_due` treats every day as due."""
    if "feed_health_daily" not in have:
        return pd.DataFrame(), {}
    columns = set(query(con, "select * from feed_health_daily limit 0").columns)
    due = "delivery_due" if "delivery_due" in columns else "true"
    cadence = "cadence_days" if "cadence_days" in columns else "1"
    feed = query(
        con,
        f"""select date, trust_code, files_received, rows_read, rows_rejected, status,
                                 {due} as due, {cadence} as cadence_days
                          from feed_health_daily where date between ? and ?""",
        [m, month_end(m)],
    )
    status = (
        dict(
            con.execute(
                "select trust_code, status from feed_health_daily where date = ?", [as_of]
            ).fetchall()
        )
        if as_of
        else {}
    )
    return feed, status


def completeness_table(
    con,
    m: date,
    as_of: date | None,
    dq: pd.DataFrame,
    names: dict[str, str],
    have: set[str],
    suppress: bool,
) -> Table:
    """Per trust: volume against its own recent months, due deliveries received, rejected rows
    and the weakest data-quality check, with a plain-words assessment."""
    end = month_end(m)
    days_in_month = end.day
    covered_to = min(end, as_of - timedelta(days=1)) if as_of else end  # data run to the day before
    days_covered = max(0, (covered_to - m).days + 1)
    share = days_covered / days_in_month
    vol = query(
        con,
        "select month, trust_code, sum(exams_tested)::bigint as n from tat_monthly "
        "where month between ? and ? group by month, trust_code",
        [add_months(m, -3), m],
    )
    feed, status_as_of = _feed(con, m, as_of, have)
    trusts = sorted(set(vol["trust_code"]) - {NETWORK})
    rows = []
    for code in [NETWORK] + trusts:
        s = suppress and code != NETWORK
        reasons: list[str] = []
        n, expected, volume_pct = _volume(vol[vol["trust_code"] == code], m, share, s, reasons)
        if share < 1:
            reasons.append(f"partial month ({days_covered} of {days_in_month} days)")
        cadence = deliveries = rej_pct = None
        if code != NETWORK:
            f = feed[feed["trust_code"] == code] if not feed.empty else feed
            cadence, deliveries, rej_pct = _deliveries(f, s, reasons)
        low_name, low_pct = _lowest_check(
            dq[dq["trust_code"] == code] if not dq.empty else dq, s, reasons
        )
        st = status_as_of.get(code)
        if st and st != "ok" and as_of is not None and m <= as_of <= end:
            reasons.append(f"feed {st} on the as-of date")
        rows.append(
            {
                "trust_code": code,
                "trust_name": names.get(code, "whole network" if code == NETWORK else ""),
                "cadence": cadence,
                "exams_tested": dc.count(n, s),
                "expected_exams": dc.count(expected, s),
                "volume_pct": volume_pct,
                "deliveries": deliveries,
                "rows_rejected_pct": rej_pct,
                "lowest_dq": low_name,
                "lowest_dq_pct": low_pct,
                "feed_status_as_of": st if code != NETWORK else None,
                "assessment": "complete" if not reasons else "CAUTION: " + "; ".join(reasons),
            }
        )
    return Table(
        "Completeness",
        "Completeness per trust: which figures rest on thin data",
        COMPLETENESS_COLUMNS,
        rows,
        f"Expected = mean of the trust's previous 3 months x share of the month covered "
        f"({days_covered}/{days_in_month} days). Deliveries are judged by each trust's own "
        f"cadence (a weekly feed is due once a week). Caution when volume < "
        f"{VOLUME_LOW_PCT:.0f}% of expected, a due delivery was missed or failed, rows "
        f"rejected > {REJECTED_HIGH_PCT:.0f}%, a check < {DQ_LOW_PCT:.0f}% passing, or the "
        f"feed was late/missing/failed on the as-of date.",
    )


def _volume(
    v: pd.DataFrame, m: date, share: float, suppress: bool, reasons: list[str]
) -> tuple[int, int | None, object]:
    """Exams tested in month m, the expected number (the previous months' mean times the share
    of the month covered), and the first as a percentage of the second."""
    cur = v.loc[v["month"] == pd.Timestamp(m), "n"]
    n = int(cur.iloc[0]) if len(cur) else 0
    prev = v[v["month"] < pd.Timestamp(m)]["n"]
    expected = round(float(prev.mean()) * share) if len(prev) else None
    volume_pct = None
    if expected:
        exact_pct = 100.0 * n / expected
        volume_pct = dc.percentage(n, expected, suppress)
        if exact_pct < VOLUME_LOW_PCT:
            reasons.append(f"volume {exact_pct:.0f}% of expected")
    return n, expected, volume_pct


def _deliveries(
    f: pd.DataFrame, suppress: bool, reasons: list[str]
) -> tuple[str | None, str, object]:
    """A trust's cadence, due deliveries received of due, and rows rejected (percentage)."""
    if not len(f):
        return None, "feed health not published for this month", None
    cadence = cadence_text(int(f["cadence_days"].max()))
    received = int((f["files_received"] > 0).sum())
    missed = missed_deliveries(f)
    if missed:
        reasons.append(f"{missed} due deliver{'y' if missed == 1 else 'ies'} missed")
    failed = int((f["status"] == "failed").sum())
    if failed:
        reasons.append(f"{failed} failed deliver{'y' if failed == 1 else 'ies'}")
    read, rejected = int(f["rows_read"].sum()), int(f["rows_rejected"].sum())
    rej_pct = dc.percentage(rejected, read, suppress)
    if read and 100 * rejected / read > REJECTED_HIGH_PCT:
        reasons.append(f"{100 * rejected / read:.1f}% rows rejected")
    return cadence, f"{received} of {received + missed}", rej_pct


def _lowest_check(d: pd.DataFrame, suppress: bool, reasons: list[str]) -> tuple[str | None, object]:
    """The trust's weakest data-quality check and its pass rate."""
    if d.empty or not d["rate"].notna().any():
        return None, None
    worst = d.loc[d["rate"].idxmin()]
    low_name = str(worst["measure"])
    if float(worst["rate"]) * 100 < DQ_LOW_PCT:
        reasons.append(f"{low_name} {100 * float(worst['rate']):.1f}% passing")
    return low_name, dc.percentage(worst["numerator"], worst["denominator"], suppress)
