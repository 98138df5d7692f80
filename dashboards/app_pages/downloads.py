"""Downloads: the month's board pack files and extracts of the published marts (CSV, Parquet)."""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Callable

import streamlit as st

from dashboards import data, filters, ui
from reporting.disclosure import suppress_mart

f = filters.render(show=("period", "trusts"))
ui.header(
    "Downloads",
    "The monthly board pack and extracts of the published marts for the period and trusts.",
)
access = data.viewer()


def audited(make: Callable[[], bytes], what: str, **details: object) -> Callable[[], bytes]:
    """The file's bytes, made and audited when the browser fetches them. A download does not
    rerun the page (on_click="ignore"): a rerun would drop the file the browser is fetching."""

    def fetch() -> bytes:
        data.audit("download", access, what=what, **details)
        return make()

    return fetch


st.subheader(f"Board pack, {ui.month_label(f.end_month)}")
files = data.board_pack_files(f.end_month)
if data.exports_dir() is None:
    st.info("No exports folder configured (WMIN_EXPORTS_DIR, set by `wmin serve`).")
elif not files:
    st.info(
        f"No exports for {f.end_month:%Y-%m} yet (they are produced when the month closes: "
        f"`wmin export board-pack --month {f.end_month:%Y-%m}`)."
    )
else:
    for i, path in enumerate(files):
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        st.download_button(
            f"⬇️ {path.name} ({path.stat().st_size / 1024:,.0f} KB)",
            data=audited(path.read_bytes, path.name),
            file_name=path.name,
            mime=mime,
            key=f"pack_{i}",
            on_click="ignore",
        )

if access is None or access.role == "board_member":
    st.stop()  # a board member has the board pack; the data module refuses the rest too

st.subheader("Exam-level rows")
exam_trusts = f.trusts if access.all_trusts else (f.trusts or (access.trust or "",))
try:
    exams = data.exam_rows(f.start, f.end, exam_trusts)
except data.AccessDenied as e:
    data.audit("refused", access, what="exam rows", trusts=list(exam_trusts))
    st.error(
        f"Refused: {e}. Choose your own trust in the filters, or ask the network team "
        "for a figure of another trust."
    )
else:
    st.caption(
        f"{len(exams):,} pseudonymised exams tested {ui.month_label(f.start)} to "
        f"{ui.month_label(f.end_month)}, "
        + (", ".join(exam_trusts) if exam_trusts else "all trusts")
        + ". No disclosure control: keep within the data sharing agreement."
    )
    exam_stem = f"fct_exams_{'-'.join(exam_trusts) or 'all'}_{f.start:%Y-%m}_{f.end_month:%Y-%m}"
    st.download_button(
        "⬇️ Exam rows (CSV)",
        data=audited(
            lambda: exams.to_csv(index=False).encode("utf-8"),
            f"{exam_stem}.csv",
            rows=len(exams),
            trusts=list(exam_trusts),
        ),
        file_name=f"{exam_stem}.csv",
        mime="text/csv",
        key="dl_exams",
        on_click="ignore",
    )

st.subheader("Mart extracts")
available = [t for t in (*data.MART_TABLES, "dq_scorecard_monthly") if data.has_table(t)]
table = filters.choice("Mart", available, name="mart")
extract = data.mart_extract(table, f.start, f.end, f.trusts)
st.caption(
    f"{len(extract):,} rows for {ui.month_label(f.start)} to {ui.month_label(f.end_month)}"
    + (f", trusts {', '.join(f.trusts)} and NETWORK" if f.trusts else "")
    + ". Disclosure control is applied to trust rows: * in CSV, empty in Parquet."
)
text_version = suppress_mart(table, extract)
ui.table(text_version.head(200), key="dl_preview")
stem = f"{table}_{f.start:%Y-%m}_{f.end_month:%Y-%m}"


# The files are encoded when a button is clicked, not on every run of the page (a year of a
# daily mart is tens of thousands of rows).
def csv_bytes() -> bytes:
    return text_version.to_csv(index=False).encode("utf-8")


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    suppress_mart(table, extract, numeric=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


c1, c2 = st.columns(2)
c1.download_button(
    "⬇️ CSV",
    data=audited(csv_bytes, f"{stem}.csv", rows=len(extract)),
    file_name=f"{stem}.csv",
    mime="text/csv",
    key="dl_csv",
    on_click="ignore",
)
c2.download_button(
    "⬇️ Parquet",
    data=audited(parquet_bytes, f"{stem}.parquet", rows=len(extract)),
    file_name=f"{stem}.parquet",
    mime="application/vnd.apache.parquet",
    key="dl_parquet",
    on_click="ignore",
)
