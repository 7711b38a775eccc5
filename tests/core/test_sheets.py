"""The workbook writer: text stays text, numbers stay numbers, times are Beijing time; and no
module writes a cell around it."""

import ast
import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

import shifan
from shifan.core import sheets

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def raw_cells(data: bytes) -> dict[str, dict[str, tuple[str | None, str | None, bool]]]:
    """Return, per worksheet part of the .xlsx, each cell's (type, text, has a formula) from its XML."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            root = ElementTree.fromstring(archive.read(name))
            cells = {}
            for cell in root.iter(f"{MAIN}c"):
                inline = cell.find(f"{MAIN}is/{MAIN}t")
                value = cell.find(f"{MAIN}v")
                text = inline.text if inline is not None else value.text if value is not None else None
                cells[cell.get("r")] = (cell.get("t"), text, cell.find(f"{MAIN}f") is not None)
            found[name] = cells
    return found


def assert_no_formula(data: bytes) -> None:
    """Fail if any cell of the workbook is a formula, read by openpyxl and in the sheets' XML."""
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    for part, cells in raw_cells(data).items():
        for coordinate, (kind, text, formula) in cells.items():
            assert not formula, f"{part} {coordinate} holds a formula: {text!r}"
            assert kind != "str", f"{part} {coordinate} is a formula's result: {text!r}"


def saved(values: list) -> bytes:
    workbook = Workbook()
    sheets.append_row(workbook.active, values)
    return sheets.workbook_bytes(workbook)


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_looks_like_a_formula_is_kept_as_text(text):
    data = saved([text])
    assert_no_formula(data)
    cell = load_workbook(io.BytesIO(data)).active["A1"]
    assert (cell.value, cell.data_type) == (text, "s")
    # Excel's own mark for such text: editing the cell keeps it text; no apostrophe is shown.
    assert cell.quotePrefix
    assert raw_cells(data)["xl/worksheets/sheet1.xml"]["A1"] == ("inlineStr", text, False)


@given(
    lead=st.sampled_from(TRIGGERS),
    rest=st.text(max_size=60),
    number=st.integers(min_value=-(10**15), max_value=10**15),
    real=st.floats(min_value=-1e15, max_value=1e15),
)
def test_any_text_after_a_formula_character_stays_exact_text_beside_numbers(lead, rest, number, real):
    text = lead + rest
    data = saved([text, number, real, Decimal(number) / 100])
    assert_no_formula(data)
    a, b, c, d = next(load_workbook(io.BytesIO(data)).active.iter_rows())
    assert (a.value, a.data_type) == (sheets.UNWRITABLE.sub("", text), "s")
    assert (b.value, b.data_type) == (number, "n")
    # openpyxl writes 16 significant digits (Excel keeps 15).
    assert c.value == pytest.approx(real, rel=1e-15)
    assert c.data_type == "n"
    assert d.data_type == "n"
    assert d.value == pytest.approx(float(Decimal(number) / 100))


def test_plain_text_carries_no_quote_prefix_and_errors_stay_text():
    data = saved(["广州市某某制造有限公司", "#N/A", "1234", ""])
    assert_no_formula(data)
    name, error, digits, empty = next(load_workbook(io.BytesIO(data)).active.iter_rows())
    assert (name.value, name.data_type, name.quotePrefix) == ("广州市某某制造有限公司", "s", False)
    assert (error.value, error.data_type) == ("#N/A", "s")
    assert (digits.value, digits.data_type) == ("1234", "s")
    assert empty.value in ("", None)


def test_negative_numbers_and_decimals_stay_numbers():
    data = saved([-2, -2.5, Decimal("-3.25"), 0, True])
    row = next(load_workbook(io.BytesIO(data)).active.iter_rows())
    assert [cell.value for cell in row] == [-2, -2.5, -3.25, 0, True]
    assert [cell.data_type for cell in row] == ["n", "n", "n", "n", "b"]


def test_aware_times_are_written_in_beijing_time_with_a_readable_format():
    utc = datetime.datetime(2025, 3, 3, 17, 30, tzinfo=datetime.UTC)
    data = saved([utc, datetime.date(2025, 3, 4), None])
    when, day, nothing = load_workbook(io.BytesIO(data)).active["A1:C1"][0]
    assert when.value == datetime.datetime(2025, 3, 4, 1, 30)  # UTC+8, the day after
    assert when.number_format == "yyyy-mm-dd hh:mm"
    assert day.value == datetime.datetime(2025, 3, 4)  # Excel keeps a date as a day's midnight
    assert day.number_format == "yyyy-mm-dd"
    assert nothing.value is None
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


def test_lazy_text_is_written_and_unknown_values_are_refused():
    data = saved([gettext_lazy("已提交")])
    assert load_workbook(io.BytesIO(data)).active["A1"].value == "已提交"
    with pytest.raises(TypeError, match="object"):
        saved([object()])


def test_characters_xml_cannot_hold_are_dropped_not_fatal():
    data = saved(["=异议\x01人\x1f\uffff", "a\nb\tc"])
    a, b = next(load_workbook(io.BytesIO(data)).active.iter_rows())
    assert (a.value, a.data_type) == ("=异议人", "s")
    assert b.value == "a\nb\tc"


def test_write_cell_and_the_row_helpers_go_through_the_same_rules():
    workbook = Workbook()
    sheet = workbook.active
    sheets.title_row(sheet, "=标题", 3)
    header = sheets.header_row(sheet, [("=列", 10), ("+列", 10), ("-列", 10)])
    sheets.body_row(sheet, ["@甲", -1, "-1"])
    sheets.write_cell(sheet, header + 2, 2, "=1+1")
    data = sheets.workbook_bytes(workbook)
    assert_no_formula(data)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows == [
        ("=标题", None, None),
        ("=列", "+列", "-列"),
        ("@甲", -1, "-1"),
        (None, "=1+1", None),
    ]


# No way around the writer

SOURCE = Path(shifan.__file__).parent
WRITER = SOURCE / "core" / "sheets.py"
SHEETISH = re.compile(r"(sheet|\bws\b|worksheet)", re.IGNORECASE)


def direct_cell_writes(source: str, name: str) -> list[str]:
    """Return each place in the module's source that writes a workbook cell without the writer."""
    found: list[tuple[int, str]] = []

    def where(node: ast.AST, what: str) -> None:
        found.append((node.lineno, f"{name}:{node.lineno}: {what}"))

    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            # A cell's value (`cell.value = …`), not an object's own attribute of that name (a
            # widget's `self._value`, as django-simple-captcha's keeps its key).
            if (
                isinstance(target, ast.Attribute)
                and target.attr in {"value", "_value"}
                and ast.unparse(target.value) != "self"
            ):
                where(node, f"{ast.unparse(target)} = …")
            if isinstance(target, ast.Subscript) and SHEETISH.search(ast.unparse(target.value)):
                where(node, f"{ast.unparse(target)} = …")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            method = node.func.attr
            if method == "cell" and (len(node.args) >= 3 or any(k.arg == "value" for k in node.keywords)):
                where(node, f"{ast.unparse(node.func)}(…, value=…)")
            if method == "append" and SHEETISH.search(receiver):
                where(node, f"{ast.unparse(node.func)}(…)")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl.cell"):
            where(node, f"from {node.module} import …")
    return [place for _line, place in sorted(found)]


def test_no_module_writes_a_workbook_cell_around_the_writer():
    modules = [path for path in SOURCE.rglob("*.py") if path != WRITER and "migrations" not in path.parts]
    assert len(modules) > 50
    found = [
        place
        for path in modules
        for place in direct_cell_writes(path.read_text(encoding="utf-8"), str(path.relative_to(SOURCE)))
    ]
    assert not found, (
        "Write workbook cells with shifan.core.sheets (write_cell, append_row, …):\n" + "\n".join(found)
    )


def test_the_scan_sees_each_way_of_writing_a_cell():
    source = (
        "sheet.append([name])\n"
        "sheet.cell(row=1, column=1, value=name)\n"
        "sheet.cell(1, 1, name)\n"
        "sheet['A1'] = name\n"
        "cell.value = name\n"
        "help_sheet.append([name])\n"
        "rows.append(name)\n"
        "sheet.cell(row=1, column=1).font = bold\n"
        "cell._value = name\n"
        "self._value = [key, '']\n"
    )
    found = direct_cell_writes(source, "example.py")
    assert [place.split(": ", 1)[1] for place in found] == [
        "sheet.append(…)",
        "sheet.cell(…, value=…)",
        "sheet.cell(…, value=…)",
        "sheet['A1'] = …",
        "cell.value = …",
        "help_sheet.append(…)",
        "cell._value = …",
    ]
