"""The look shared by the Excel workbooks officers download: bold shaded headers, thin borders."""

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def title_row(sheet: Worksheet, text: str, width: int, *, size: int = 16) -> None:
    """Append a merged title row across `width` columns."""
    sheet.append([text])
    row = sheet.max_row
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = sheet.cell(row=row, column=1)
    cell.font = Font(size=size, bold=size > 12)
    if size > 12:
        cell.alignment = Alignment(horizontal="center")


def header_row(sheet: Worksheet, columns: Sequence[tuple[str, float]]) -> int:
    """Append the header row of (title, width) columns, styled; return its row number."""
    sheet.append([title for title, _width in columns])
    header = sheet.max_row
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
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.border = BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=True)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
