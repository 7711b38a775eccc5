"""The one way the project writes an Excel cell, and the look of the workbooks officers download.

Every workbook cell is written by `write_cell`, directly or through `append_row`, `title_row`,
`header_row` and `body_row`; tests/core/test_sheets.py fails when a module under src/shifan
writes a cell any other way. Names, contacts, opinions and the public's objections reach these
cells as typed, so the writer, not each export, decides what a value becomes:

- Text stays text. openpyxl would store a string beginning with "=" as a formula (and "#N/A" as
  an error), so `=HYPERLINK("http://…","点我")` typed as an organisation's name would become a
  live link in the officer's Excel. Every string is stored as an inline string; one beginning
  with =, +, -, @, tab or carriage return (the OWASP CSV-injection list) also carries Excel's
  quote prefix, so that editing the cell in Excel keeps it text. Neither shows an apostrophe, and
  the text is kept exactly, but for the characters XML cannot hold (`UNWRITABLE`), which are
  dropped, and anything past Excel's 32,767 characters.
- Numbers (int, float, Decimal) stay numbers, negative ones included.
- An aware datetime is written as the time in the project's zone (Asia/Shanghai), as the pages
  show it, without a zone (Excel has none), as yyyy-mm-dd hh:mm; a date as yyyy-mm-dd.
"""

import datetime
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# A spreadsheet reads text beginning with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
# Excel's limit on a cell's text.
MAX_TEXT = 32767
# What XML 1.0 cannot hold: control characters other than tab, line feed and carriage return,
# lone surrogates, U+FFFE and U+FFFF. openpyxl would refuse the whole workbook for one of them.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return UNWRITABLE.sub("", value)[:MAX_TEXT]


def _put(cell: Cell, value: Any) -> None:
    """Store `value` in `cell` by the rules of the module docstring."""
    if isinstance(value, Promise):
        value = str(value)
    if value is None:
        cell.value = None
    elif isinstance(value, str):
        text = _text(value)
        cell.value = text
        # Set after the value: openpyxl has just typed "=…" as a formula and "#N/A" as an error.
        cell.data_type = "s"
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    elif isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        cell.value = value
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, bool | int | float | Decimal):
        cell.value = value
    else:
        raise TypeError(f"No spreadsheet cell for a {type(value).__name__}: give text, a number or a time.")


def write_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write `value` at (row, column) as text, number or local time; return the cell."""
    cell = sheet.cell(row=row, column=column)
    _put(cell, value)
    return cell


def append_row(sheet: Worksheet, values: Iterable[Any]) -> int:
    """Write `values` as the row below the last one written; return its row number."""
    cells = []
    for value in values:
        cell = Cell(sheet)
        _put(cell, value)
        cells.append(cell)
    # Worksheet.append places ready-made cells as they are, where the next row goes.
    sheet.append(cells)
    return cells[0].row if cells else sheet.max_row


def title_row(sheet: Worksheet, text: str, width: int, *, size: int = 16) -> None:
    """Append a merged title row across `width` columns."""
    row = append_row(sheet, [text])
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = sheet.cell(row=row, column=1)
    cell.font = Font(size=size, bold=size > 12)
    if size > 12:
        cell.alignment = Alignment(horizontal="center")


def header_row(sheet: Worksheet, columns: Sequence[tuple[str, float]]) -> int:
    """Append the header row of (title, width) columns, styled; return its row number."""
    header = append_row(sheet, [title for title, _width in columns])
    for column, (_title, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=header, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        sheet.column_dimensions[cell.column_letter].width = width
    return header


def body_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a bordered, top-aligned, wrapping data row."""
    row = append_row(sheet, values)
    for cell in sheet[row]:
        cell.border = BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=True)


def print_landscape(sheet: Worksheet, *, title_rows: int) -> None:
    """Print the sheet on A4 landscape, as wide as one page, rows 1 to `title_rows` on every page,
    and "第 n 页 共 N 页" in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    # One page wide, as many pages high as the rows need (0: no limit).
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{title_rows}"
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
