"""Everything the board pack shows for one month, read once from the published database.

The headline measures, their SPC charts and the trust x measure matrix come from the shared
rules (`reporting.monthly`, `reporting.spc`, `reporting.maturity`): a month is compared or judged
only when it is mature for its measure at the as-of date, and the series stop at the pack's
month. The detail tables (`pack_tables`, `pack_completeness`) are protected by
`reporting.disclosure`; the workbook and the PDF draw on the same `PackData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from exports.pack_completeness import completeness_table
from exports.pack_planning import planning_table
from exports.pack_tables import (
    NETWORK,
    Table,
    backlog_table,
    did_pivot,
    did_table,
    dm01_table,
    dq_frame,
    dq_table,
    outsourcing_table,
    parse_month,
    table_names,
    tat_table,
)
from reporting import maturity, monthly, spc
from reporting.maturity import month_end  # noqa: F401  (exports.dids imports month_end, parse_month from here)
from reporting.measures import Measure
from reporting.targets import reporting_targets

LONDON = ZoneInfo("Europe/London")


Chart = monthly.Chart


@dataclass
class Headline:
    """A headline measure for the network: its latest mature month against the mature month
    before it, with MDC's variation and assurance of that latest month."""

    chart: Chart

    @property
    def measure(self) -> Measure:
        return self.chart.measure

    def _point(self, back: int) -> tuple[date | None, float | None]:
        judged = self.chart.judged()
        if len(judged) < back:
            return None, None
        row = judged.iloc[-back]
        return row["label"], float(row["value"])

    @property
    def month(self) -> date | None:
        return self._point(1)[0]

    @property
    def value(self) -> float | None:
        return self._point(1)[1]

    @property
    def previous_month(self) -> date | None:
        return self._point(2)[0]

    @property
    def previous_value(self) -> float | None:
        return self._point(2)[1]

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value


@dataclass
class PackData:
    month: date
    month_label: str
    suppress: bool
    published_at: datetime | None
    as_of_date: date | None
    window_start: date | None
    window_end: date | None
    partial_month: bool
    headlines: list[Headline]
    matrix: pd.DataFrame  # trust_code, trust_name, measure, latest_month, variation, assurance
    tables: dict[str, Table]
    trust_names: dict[str, str]
    targets: dict[str, int]
    notes: list[str] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        return [h.chart for h in self.headlines]


def assurance_reading(measure: Measure, assurance: str | None) -> str:
    """MDC's assurance in words; without an icon, say whether there is no target or too few months."""
    if assurance:
        return spc.ASSURANCE_TEXT[assurance]
    return "No target" if measure.target is None else "Target not judged: too few mature months"


def _publish_info(con: duckdb.DuckDBPyConnection, have: set[str]) -> dict:
    if "publish_info" not in have:
        return {}
    row = con.execute(
        "select published_at, as_of_date, data_window_start, data_window_end "
        "from publish_info limit 1"
    ).fetchone()
    return (
        dict(zip(["published_at", "as_of_date", "data_window_start", "data_window_end"], row))
        if row
        else {}
    )


def charts_to(
    con: duckdb.DuckDBPyConnection,
    month: date,
    as_of: date | None,
    measures: tuple[Measure, ...] = monthly.PACK_MEASURES,
) -> dict[str, list[Chart]]:
    """{measure key: a Chart per trust (NETWORK first)} of the series up to `month`.

    Later months are cut before the chart is built, so a pack for an earlier month reads as it
    would have read then (with maturity still judged at the as-of date)."""
    out: dict[str, list[Chart]] = {m.key: [] for m in measures}
    for chart in monthly.charts(con, measures, as_of, until=month):
        out[chart.measure.key].append(chart)
    return out


def matrix_frame(charts: dict[str, list[Chart]], names: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "trust_code": c.trust_code,
            "trust_name": names.get(c.trust_code, "whole network"),
            "measure": key,
            "label": c.measure.label,
            "latest_month": c.judgement.latest_label,
            "variation": c.judgement.variation,
            "assurance": c.judgement.assurance,
            "judged_months": int(c.table["judged"].sum()),
        }
        for key, per_trust in charts.items()
        for c in per_trust
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "trust_code",
            "trust_name",
            "measure",
            "label",
            "latest_month",
            "variation",
            "assurance",
            "judged_months",
        ],
        dtype=object,
    )
    return frame.astype(object).where(frame.notna(), None)  # no target: None, never NaN


def collect(con: duckdb.DuckDBPyConnection, month: str, suppress: bool) -> PackData:
    m = parse_month(month)
    have = table_names(con)
    info = _publish_info(con, have)
    as_of = info.get("as_of_date")
    published_at = info.get("published_at")
    if isinstance(published_at, datetime):
        published_at = published_at.astimezone(LONDON)
    months = [
        r[0] for r in con.execute("select distinct month from tat_monthly order by 1").fetchall()
    ]
    if m not in months:
        span = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else "none"
        raise ValueError(f"no published data for {month} (months published: {span})")
    names = (
        dict(con.execute("select trust_code, trust_name from dim_trust").fetchall())
        if "dim_trust" in have
        else {}
    )
    targets = reporting_targets(con) if "dim_reporting_target" in have else {}
    charts = charts_to(con, m, as_of)
    headlines = [
        Headline(per_trust[0])
        for per_trust in charts.values()
        if per_trust and per_trust[0].trust_code == NETWORK
    ]
    partial = bool(as_of and maturity.month_end(m) >= as_of)
    dq_raw = dq_frame(con, m, have)
    did, did_raw = did_table(con, m, suppress)
    tables = {
        "completeness": completeness_table(con, m, as_of, dq_raw, names, have, suppress),
        "tat": tat_table(con, m, suppress),
        "did": did,
        "did_pivot": did_pivot(did_raw, suppress),
        "dm01": dm01_table(con, m, suppress),
        "backlog": backlog_table(con, m, suppress),
        "outsourcing": outsourcing_table(con, m, suppress),
        "dq": dq_table(dq_raw, suppress),
    }
    planning = planning_table(con, suppress)
    if planning is not None:
        tables["planning"] = planning
    notes = []
    if partial:
        notes.append(
            f"{m:%B %Y} is not complete: data to "
            f"{as_of - timedelta(days=1):%d %B %Y}. Its detail tables "
            "are partial; the summary compares mature months only."
        )
    return PackData(
        month=m,
        month_label=m.strftime("%B %Y"),
        suppress=suppress,
        published_at=published_at,
        as_of_date=as_of,
        window_start=info.get("data_window_start"),
        window_end=info.get("data_window_end"),
        partial_month=partial,
        headlines=headlines,
        matrix=matrix_frame(charts, names),
        tables=tables,
        trust_names=names,
        targets=targets,
        notes=notes,
    )
