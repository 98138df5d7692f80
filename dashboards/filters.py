"""Sidebar filters (period, trusts, modality, priority) kept in the URL.

A link carries the view: `?from=2025-11&to=2026-09&trust=RRK&trust=RXK&modality=CT&priority=routine`.
Precedence when a page starts: the widget's own state, then the values this session chose on
another page, then the URL, then the defaults. After the widgets are drawn the URL is rewritten
from the chosen values, so the address bar always shows the current view. A page's own choices
(`choice`: the SPC trust and measure, the scheduling modality, the highlighted trust) sit beside
them in the URL under their own names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards import data

_SAVED = "_filters_saved"
_CHOICES = "_page_choices"
URL_NAMES = ("from", "to", "trust", "modality", "priority")
KEYS = ("period", "trusts", "modalities", "priorities")


@dataclass(frozen=True)
class Filters:
    start: date  # first day of the first month
    end_month: date  # first day of the last month
    trusts: tuple[str, ...]  # empty = all trusts
    modalities: tuple[str, ...]  # empty = all
    priorities: tuple[str, ...]  # empty = all

    @property
    def end(self) -> date:
        """Last day of the period (capped at the as-of date for the current month)."""
        return data.month_end(self.end_month)


def _parse_month(text: str | None, options: list[date]) -> date | None:
    if not text:
        return None
    try:
        y, m = (int(x) for x in text.split("-")[:2])
        d = date(y, m, 1)
    except ValueError:
        return None
    return d if d in options else None


def default_period(months: list[date], as_of: date) -> tuple[date, date]:
    """The last 12 complete months (the as-of month is shown only when it is complete)."""
    complete = [m for m in months if data.month_end(m) <= as_of] or months
    end = complete[-1]
    start_idx = max(0, months.index(end) - 11)
    return months[start_idx], end


def _from_url(key: str, options: dict[str, list]) -> object | None:
    qp = st.query_params
    if key == "period":
        months = options["period"]
        a = _parse_month(qp.get("from"), months)
        b = _parse_month(qp.get("to"), months)
        if a is None and b is None:
            return None
        a = a or months[0]
        b = b or months[-1]
        return (min(a, b), max(a, b))
    name = {"trusts": "trust", "modalities": "modality", "priorities": "priority"}[key]
    values = [v for v in qp.get_all(name) if v in options[key]]
    return values or None


def _write_url(saved: dict[str, object]) -> None:
    """Rewrite the filters' names in the URL; a page's own choices (`choice`) stay."""
    params: dict[str, object] = {}
    a, b = saved["period"]  # type: ignore[misc]
    params["from"] = f"{a:%Y-%m}"
    params["to"] = f"{b:%Y-%m}"
    for key, name in (("trusts", "trust"), ("modalities", "modality"), ("priorities", "priority")):
        if saved[key]:
            params[name] = list(saved[key])  # type: ignore[arg-type]
    if {k: st.query_params.get_all(k) for k in URL_NAMES if k in st.query_params} == {
        k: (v if isinstance(v, list) else [v]) for k, v in params.items()
    }:
        return  # unchanged: no message to the browser
    for name in URL_NAMES:
        if name in st.query_params:
            del st.query_params[name]
    st.query_params.update(params)


def choice(
    label: str,
    options: Sequence[str],
    *,
    name: str,
    default: str | None = None,
    format_func: Callable[[str], str] = str,
    where: object = None,
    help: str | None = None,
) -> str:
    """A page's own selectbox (SPC trust, scheduling modality, highlighted trust) kept in the URL
    as `?name=value` and for the session, so a link or a return to the page shows the same view.

    Precedence as for the filters: the widget, this session's choice, the URL, `default`."""
    options = list(options)
    saved: dict[str, str] = st.session_state.setdefault(_CHOICES, {})
    start = saved.get(name)
    if start not in options:
        start = st.query_params.get(name)
    if start not in options:
        start = default if default in options else options[0]
    box = where if where is not None else st
    value = box.selectbox(
        label,
        options,
        index=options.index(start),
        key=f"choice_{name}",  # type: ignore[attr-defined]
        format_func=format_func,
        help=help,
    )
    saved[name] = value
    if st.query_params.get(name) != value:
        st.query_params[name] = value
    return value


def choices(label: str, options: Sequence[str], *, name: str, where: object = None) -> list[str]:
    """A page's own multiselect kept in the URL as `?name=a&name=b` (none chosen: all options,
    and nothing in the URL); the same precedence as `choice`."""
    options = list(options)
    saved: dict[str, list[str]] = st.session_state.setdefault(_CHOICES, {})
    start = saved.get(name)
    if start is None:
        start = [v for v in st.query_params.get_all(name) if v in options]
    box = where if where is not None else st
    value = box.multiselect(
        label,
        options,
        default=[v for v in start if v in options],  # type: ignore[attr-defined]
        key=f"choice_{name}",
        placeholder="All",
    )
    saved[name] = list(value)
    if st.query_params.get_all(name) != list(value):
        if value:
            st.query_params[name] = list(value)
        elif name in st.query_params:
            del st.query_params[name]
    return list(value) or options


def render(show: tuple[str, ...] = KEYS) -> Filters:
    """Draw the filters named in `show` in the sidebar; return all four (hidden ones keep the
    value chosen elsewhere or in the URL)."""
    months = data.months()
    trust_frame = data.trusts()
    trust_names = dict(zip(trust_frame["trust_code"], trust_frame["trust_name"]))
    options: dict[str, list] = {
        "period": months,
        "trusts": list(trust_names),
        "modalities": data.modalities(),
        "priorities": data.priorities(),
    }
    saved = _saved_choices(options, default_period(months, data.as_of_date()))
    with st.sidebar:
        st.markdown("**Filters**")
        # widgets get their starting value from `saved` (not by writing their session state):
        # Streamlit drops a widget's state when a page without it runs, `saved` survives
        for key in show:
            if key == "period":
                saved["period"] = _period_boxes(months, saved["period"])  # type: ignore[arg-type]
            else:
                saved[key] = _choice_box(key, options[key], list(saved[key]), trust_names)  # type: ignore[call-overload]
        if st.button("Reset filters", key="flt_reset"):
            _reset(saved)
    _write_url(saved)
    a, b = saved["period"]  # type: ignore[misc]
    return Filters(
        start=a,
        end_month=b,
        trusts=tuple(saved["trusts"]),  # type: ignore[arg-type]
        modalities=tuple(saved["modalities"]),  # type: ignore[arg-type]
        priorities=tuple(saved["priorities"]),
    )  # type: ignore[arg-type]


def _saved_choices(options: dict[str, list], period: tuple) -> dict[str, object]:
    """The session's choices, each first taken from the URL, else the default."""
    defaults: dict[str, object] = {
        "period": period,
        "trusts": [],
        "modalities": [],
        "priorities": [],
    }
    saved: dict[str, object] = st.session_state.setdefault(_SAVED, {})
    for key in KEYS:
        if key not in saved:
            url = _from_url(key, options)
            saved[key] = url if url is not None else defaults[key]
    return saved


def _period_boxes(months: list, period: tuple) -> tuple:
    """From and To months side by side; a reversed pair is put in order."""
    a, b = period
    left, right = st.columns(2)
    a = left.selectbox(
        "From",
        months,
        index=months.index(a),
        key="flt_from",
        format_func=lambda m: f"{m:%b %Y}",
    )
    b = right.selectbox(
        "To",
        months,
        index=months.index(b),
        key="flt_to",
        format_func=lambda m: f"{m:%b %Y}",
    )
    return (min(a, b), max(a, b))


_CHOICE_LABELS = {
    "trusts": ("Trusts", "All trusts"),
    "modalities": ("Modality", "All modalities"),
    "priorities": ("Priority", "All priorities"),
}


def _choice_box(key: str, options: list, default: list, trust_names: dict[str, str]) -> list:
    label, placeholder = _CHOICE_LABELS[key]
    extra = {}
    if key == "trusts":
        extra["format_func"] = lambda c: f"{c} {trust_names.get(c, '')}".strip()
    value = st.multiselect(
        label, options, default=default, key=f"flt_{key}", placeholder=placeholder, **extra
    )
    return list(value)


def _reset(saved: dict[str, object]) -> None:
    for wkey in ("flt_from", "flt_to", "flt_trusts", "flt_modalities", "flt_priorities"):
        st.session_state.pop(wkey, None)
    saved.clear()
    st.query_params.clear()
    st.rerun()
