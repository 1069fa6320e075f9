"""Workbooks written with openpyxl from what people typed (unit, item and applicant names,
findings): text stays text.

- openpyxl takes a string beginning with "=" as a formula, so a unit or an item named
  `=HYPERLINK("http://…","点我")` would become a live link or a computed cell in the exported
  report (formula injection, OWASP "CSV injection"). `no_formulas` turns every such cell back
  into a string cell before the workbook is saved: the exporters here never write formulas of
  their own. (+, - and @ start a formula only when typed into Excel, not in a stored string
  cell, which is what every text cell becomes.)
- openpyxl refuses the control characters XML cannot hold (IllegalCharacterError: the export
  would fail); the forms refuse them (core/text.py), and what came in before, or through the
  admin, is dropped from the cell by `xlsx_value` — the ledger (XlsxWriter) does the same."""

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def xlsx_value(value: Any) -> Any:
    """The value as a cell may hold it: a string without the control characters Excel refuses."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def xlsx_row(values: Iterable[Any]) -> list[Any]:
    return [xlsx_value(value) for value in values]


def no_formulas(book: Workbook) -> Workbook:
    """Every cell openpyxl took for a formula made a string cell again (call before saving)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    return book
