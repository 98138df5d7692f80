"""Formula-injection neutralisation: dangerous text gets a leading quote, numbers stay numbers."""

import openpyxl
import pytest
import xlsxwriter

from exports.safe_cells import WORKBOOK_OPTIONS, neutralise, write_cell


@pytest.mark.parametrize("text", ["=1+1", "+44 121", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx",
                                  '=HYPERLINK("http://evil","click")'])
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
