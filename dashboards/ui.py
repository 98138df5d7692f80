"""Small display helpers shared by the pages: headers, tables, labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
import streamlit as st

from dashboards import data
from reporting.disclosure import MARK

SUPPRESSION_NOTE = (
    "Trust figures: counts of 1-7 shown as *, other counts rounded to the nearest 5, "
    "medians on 1-7 values suppressed, percentages from rounded counts. "
    "Network rows are not suppressed."
)
STATUS_ICON = {"ok": "🟢 ok", "late": "🟠 late", "missing": "🔴 missing", "failed": "🔴 failed"}
NETWORK_LABEL = "NETWORK (all trusts)"
NAME_WIDTH = 190  # px of a trust or site name column
WHOLE_TABLE_ROWS = 20  # tables up to this many rows are shown whole (the network and 15 trusts)


def header(title: str, what: str) -> None:
    st.title(title)
    info = data.publish_info()
    as_of = data.as_of_date()
    published = ""
    if info and info.get("published_at") is not None:
        published = f" · published {pd.Timestamp(info['published_at']).tz_convert(data.LOCAL_TZ):%d %b %Y %H:%M}"
    st.caption(f"{what}  \nData as of {as_of:%d %b %Y}{published}")


def trust_label(code: str) -> str:
    if code == data.NETWORK:
        return NETWORK_LABEL
    return f"{code} {data.trust_names().get(code, '')}".strip()


def trust_labels(codes: Iterable[str]) -> list[str]:
    """trust_label of each code, looking the names up once (pages label thousands of rows)."""
    names = data.trust_names()
    labels = {
        c: NETWORK_LABEL if c == data.NETWORK else f"{c} {names.get(c, '')}".strip()
        for c in set(codes)
    }
    return [labels[c] for c in codes]


def month_label(d: date) -> str:
    return f"{d:%b %Y}"


def _fmt(value: object, digits: int | None) -> str:
    """Text for a table cell: '' for missing, '*' kept, thousands separators."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and pd.isna(value):
        return ""
    if isinstance(value, int) or (
        isinstance(value, float) and digits is None and value.is_integer()
    ):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{1 if digits is None else digits}f}"
    return str(value)


def _as_dates(column: pd.Series) -> pd.Series:
    """Timestamps that are all midnight shown as dates (not '2026-11-01 00:00:00'); local
    date-times as '01 Nov 2026 14:05'."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return pd.Series(
            [("" if pd.isna(t) else f"{t:%d %b %Y %H:%M}") for t in column], index=column.index
        )
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        times = column.dropna()
        if (times == times.dt.normalize()).all():
            return column.dt.date
    return column


def rows_height(rows: int) -> int:
    """Pixel height of a table showing all its rows (header + rows) without a scroll box."""
    return 38 + 35 * rows


def table(
    df: pd.DataFrame,
    decimals: dict[str, int] | None = None,
    hide_index: bool = True,
    height: int | None = None,
    key: str | None = None,
    column_config: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Show a frame whose suppressed columns mix numbers and '*': such columns become text with
    thousands separators (and `decimals` places); other columns are shown as they are, dates
    as dates. Up to WHOLE_TABLE_ROWS rows are shown whole, without a scroll box.
    Returns the frame shown (tests read it back)."""
    decimals = decimals or {}
    shown = df.copy()
    for col in shown.columns:
        if shown[col].dtype == object and any(
            (isinstance(v, str) and v == MARK) or v is None for v in shown[col]
        ):
            shown[col] = [_fmt(v, decimals.get(col)) for v in shown[col]]
        elif col in decimals:
            shown[col] = pd.to_numeric(shown[col], errors="coerce").round(decimals[col])
    for col in shown.columns:
        shown[col] = _as_dates(shown[col])
    kwargs = {"hide_index": hide_index, "width": "stretch"}
    if height is None and 0 < len(shown) <= WHOLE_TABLE_ROWS:
        height = rows_height(len(shown))  # a table per trust shows every trust without scrolling
    if height is not None:
        kwargs["height"] = height
    if key is not None:
        kwargs["key"] = key
    # long trust and site names get a fixed width (truncated, full on hover), so the figures fit
    config = {
        name: st.column_config.TextColumn(width=NAME_WIDTH)
        for name in ("trust", "site")
        if name in shown.columns and shown[name].astype(str).str.len().max() > NAME_WIDTH // 8
    }
    for name, given in (column_config or {}).items():  # the page's settings win where it sets them
        config[name] = {
            **config.get(name, {}),
            **{k: v for k, v in dict(given).items() if v is not None},
        }
    kwargs["column_config"] = config
    st.dataframe(shown, **kwargs)
    return shown


def apply_trust_labels(df: pd.DataFrame, col: str = "trust_code") -> pd.DataFrame:
    out = df.copy()
    out.insert(out.columns.get_loc(col) + 1, "trust", trust_labels(out[col].tolist()))
    return out


def order_network_first(
    df: pd.DataFrame, col: str = "trust_code", others: Sequence[str] = ()
) -> pd.DataFrame:
    """NETWORK's row(s) first, then the trusts by code (as the board pack orders them)."""
    key = df[col].ne(data.NETWORK)
    return (
        df.assign(_n=key)
        .sort_values(["_n", col, *others])
        .drop(columns="_n")
        .reset_index(drop=True)
    )


def suppression_note() -> None:
    st.caption(SUPPRESSION_NOTE)


def shift_months(d: date, n: int) -> date:
    """First day of the month `n` months after (negative: before) the month of `d`."""
    k = d.year * 12 + d.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def stop_if_missing(*tables: str) -> None:
    """Explain and stop the page when a table it needs is not in the published database."""
    missing = [t for t in tables if not data.has_table(t)]
    if missing:
        st.info(
            "Not published yet: " + ", ".join(missing) + ". This view appears after the next "
            "nightly publish that includes them."
        )
        st.stop()
