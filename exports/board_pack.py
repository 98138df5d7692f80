"""The monthly board pack: `<out_dir>/<YYYY-MM>/board_pack_<YYYY-MM>.xlsx` and `.pdf`.

Reads only the published database (opened read-only). The PDF is the board paper (cover,
summary with Making Data Count icons, trust x measure matrix, the network's XmR charts,
completeness and feed cautions, how to read it: at most 12 pages); the workbook adds the detail
per trust, modality and priority. Disclosure control is on by default (`suppress=False` for
internal use); the pack says which mode it is in on every page. docs/board-pack.md explains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from exports.atomic import write_atomically
from exports.pack_data import Headline, collect
from exports.pack_pdf import write_pdf
from exports.pack_xlsx import write_workbook
from reporting import disclosure as dc


@dataclass
class BoardPackResult:
    month: str
    xlsx_path: Path
    pdf_path: Path
    suppressed: bool
    as_of_date: date | None
    published_at: datetime | None
    data_window: tuple[date | None, date | None]
    partial_month: bool
    pages: int
    sheets: list[str]
    headlines: list[Headline] = field(default_factory=list)
    cautions: dict[str, str] = field(default_factory=dict)  # trust -> completeness assessment

    @property
    def mode(self) -> str:
        return "disclosure control ON" if self.suppressed else "INTERNAL (disclosure control OFF)"

    def __str__(self) -> str:
        lines = [
            f"Board pack {self.month} ({self.mode}), data as of {self.as_of_date}, "
            f"data window {self.data_window[0]} to {self.data_window[1]}"
            + (" - incomplete month" if self.partial_month else ""),
            f"  {self.xlsx_path}",
            f"  {self.pdf_path} ({self.pages} pages)",
        ]
        lines += [f"  {t}: {a}" for t, a in self.cautions.items() if a != "complete"]
        return "\n".join(lines)

    def __rich__(self) -> str:
        from rich.markup import escape

        return escape(str(self))


def build_board_pack(
    analytics_db: Path, month: str, out_dir: Path, suppress: bool = True
) -> BoardPackResult:
    """Build the month's board pack from the published database; return what was written.

    Raises ValueError for a malformed month or a month with no published data, and
    FileNotFoundError when the database does not exist."""
    analytics_db = Path(analytics_db)
    if not analytics_db.exists():
        raise FileNotFoundError(f"published database not found: {analytics_db}")
    con = duckdb.connect(str(analytics_db), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        data = collect(con, month, suppress)
    finally:
        con.close()
    label = data.month.strftime("%Y-%m")
    folder = Path(out_dir) / label
    folder.mkdir(parents=True, exist_ok=True)
    mode_text = dc.MODE_SUPPRESSED if suppress else dc.MODE_INTERNAL
    xlsx = folder / f"board_pack_{label}.xlsx"
    pdf = folder / f"board_pack_{label}.pdf"
    sheets = write_atomically(xlsx, lambda p: write_workbook(data, p, mode_text))
    pages = write_atomically(pdf, lambda p: write_pdf(data, p, mode_text))
    return BoardPackResult(
        month=label,
        xlsx_path=xlsx,
        pdf_path=pdf,
        suppressed=suppress,
        as_of_date=data.as_of_date,
        published_at=data.published_at,
        data_window=(data.window_start, data.window_end),
        partial_month=data.partial_month,
        pages=pages,
        sheets=sheets,
        headlines=data.headlines,
        cautions={r["trust_code"]: r["assessment"] for r in data.tables["completeness"].rows},
    )
