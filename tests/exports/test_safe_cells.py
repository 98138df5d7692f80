"""Formula-injection neutralisation: dangerous text gets a leading quote, numbers stay numbers."""

import openpyxl
import pytest
import xlsxwriter

from exports.safe_cells import WORKBOOK_OPTIONS, neutralise, write_cell


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+44 121",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\nx",
        '=HYPERLINK("http://evil","click")',
    ],
)
def test_dangerous_text_is_prefixed(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["RRK", "a=b", "", " =x", 5, -5, 2.5, None, True])
def test_other_values_pass_through(value):
    assert neutralise(value) == value


def test_workbook_cells_are_inert_and_numbers_numeric(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("s")
    for i, v in enumerate(["=1+1", "-5", -5, 12.5, "@cmd", "plain", None]):
        write_cell(ws, i, 0, v)
    wb.close()
    cells = [c for (c,) in openpyxl.load_workbook(path).active.iter_rows(max_col=1)]
    assert cells[0].value == "'=1+1" and cells[0].data_type == "s"
    assert cells[1].value == "'-5" and cells[1].data_type == "s"
    assert cells[2].value == -5 and cells[2].data_type == "n"
    assert cells[3].value == 12.5 and cells[3].data_type == "n"
    assert cells[4].value == "'@cmd"
    assert cells[5].value == "plain"
    assert all(c.data_type != "f" for c in cells)


def test_dates_and_times_are_spreadsheet_dates(tmp_path):
    from datetime import UTC, date, datetime

    path = tmp_path / "d.xlsx"
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("s")
    day_format = wb.add_format({"num_format": "dd mmm yyyy"})
    write_cell(ws, 0, 0, date(2026, 11, 1), day_format)
    write_cell(ws, 1, 0, datetime(2026, 11, 1, 2, 15, tzinfo=UTC), day_format)
    wb.close()
    a, b = [c for (c,) in openpyxl.load_workbook(path).active.iter_rows(max_col=1)]
    assert a.is_date and a.value == datetime(2026, 11, 1) and a.number_format == "dd mmm yyyy"
    assert b.is_date and b.value == datetime(2026, 11, 1, 2, 15)
