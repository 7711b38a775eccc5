"""The 申报书 as a Word document that names the official fonts (see typography.py).

The same parts as the PDF (book_pdf.py): cover, 申报表, declarations, 文字说明 with the outline's
headings as Word heading styles (so the navigation pane lists them), attachments, commitment.
Body 小四 仿宋_GB2312 single spacing, level-1 headings 三号 黑体, level-2 headings 四号 楷体_GB2312.
A draft carries a 草稿 watermark in its header; a submitted book a footer with the number, the
short digest and the verification QR code on every page.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from shifan.documents import typography as ty
from shifan.documents.book import ATTACHMENT_HEADER, SUPPLEMENT_NOTE, SUPPLEMENT_TITLE
from shifan.documents.book_pdf import FACES_BY_PART, PAGE_MARGINS_MM, QR_SIZE_MM, TABLE_SIZE

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

    from shifan.documents.book import Book, Entry, Grid, TableSection

BODY_FACE = ty.FANGSONG
LEVEL1_FACE = ty.HEITI
LEVEL2_FACE = ty.KAITI
TITLE_FACE = ty.XIAOBIAOSONG
# Label, value, label, value: together the 156 mm text width.
COLUMN_WIDTHS_MM = (28, 50, 28, 50)
DECLARATION_WIDTHS_MM = (128, 28)
ATTACHMENT_WIDTHS_MM = (60, 44, 52)

# Word's own watermark: a WordArt shape in the header, behind the text on every page.
WATERMARK_XML = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
    "<w:pict>"
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
    '<v:textpath on="t" fitshape="t"/></v:shapetype>'
    '<v:shape id="ShifanDraftWatermark" o:spid="_x0000_s1025" type="#_x0000_t136" '
    'style="position:absolute;margin-left:0;margin-top:0;width:360pt;height:180pt;rotation:330;'
    "z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
    'mso-position-vertical:center;mso-position-vertical-relative:margin" '
    'o:allowincell="f" fillcolor="#d9d9d9" stroked="f">'
    '<v:fill opacity=".5"/><v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="草稿"/>'
    "</v:shape></w:pict></w:r>"
)


def book_docx(book: Book) -> bytes:
    from docx import Document as new_document
    from docx.enum.section import WD_SECTION
    from docx.shared import Mm

    document = new_document()
    _properties(document, book)
    ty.set_word_defaults(document, BODY_FACE, "小四")
    ty.declare_word_fonts(document, (BODY_FACE, LEVEL1_FACE, LEVEL2_FACE, TITLE_FACE, ty.SONGTI))
    ty.style_word_paragraphs(document.styles["Title"], TITLE_FACE, "小二")
    ty.style_word_paragraphs(document.styles["Heading 1"], LEVEL1_FACE, "三号")
    ty.style_word_paragraphs(document.styles["Heading 2"], LEVEL2_FACE, "四号")
    ty.style_word_paragraphs(document.styles["Heading 3"], BODY_FACE, "小四", bold=True)

    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(PAGE_MARGINS_MM["top"])
    section.bottom_margin = Mm(PAGE_MARGINS_MM["bottom"])
    section.left_margin = Mm(PAGE_MARGINS_MM["left"])
    section.right_margin = Mm(PAGE_MARGINS_MM["right"])
    section.footer_distance = Mm(8)
    _footer(section.footer, book)
    if book.is_draft:
        _watermark(section.header)

    _cover(document, book)
    _form_table(document, book)
    _written(document, book)
    _attachments(document, book)
    _commitment(document, book)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _properties(document: Document, book: Book) -> None:
    properties = document.core_properties
    properties.title = book.title
    properties.author = book.unit_name
    properties.last_modified_by = book.unit_name
    properties.category = "申报书（草稿）" if book.is_draft else "申报书"
    if book.verification:
        properties.subject = book.verification.number
        properties.keywords = f"{book.verification.number}; {book.verification.digest}"
        properties.identifier = book.verification.digest
    else:
        properties.subject = "草稿"
    properties.comments = ty.word_font_note(FACES_BY_PART)
    properties.language = "zh-CN"


# Pieces ----------------------------------------------------------------------------------------


def _run(
    paragraph: Paragraph, text: str, face: ty.Face = BODY_FACE, size: str = "小四", *, bold: bool = False
):  # type: ignore[no-untyped-def]
    from docx.shared import Pt

    run = paragraph.add_run(text)
    ty.set_word_fonts(run, face)
    run.font.size = Pt(ty.pt(size))
    if bold:
        run.bold = True
    return run


def _paragraph(
    document: Document,
    text: str = "",
    *,
    face: ty.Face = BODY_FACE,
    size: str = "小四",
    align: str = "left",
    style: str | None = None,
    indent: bool = False,
) -> Paragraph:
    paragraph = document.add_paragraph(style=style)
    paragraph.alignment = _alignment(align)
    if indent:
        ty.first_line_indent_chars(paragraph.paragraph_format, 2, size)
    if text:
        _run(paragraph, text, face, size)
    return paragraph


def _alignment(align: str) -> Any:
    """Return Word's paragraph alignment for "left", "center", "right" or "justify"."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    return getattr(WD_ALIGN_PARAGRAPH, align.upper())


def _page_break(document: Document) -> None:
    from docx.enum.text import WD_BREAK

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _cell_text(cell: _Cell, text: str, *, face: ty.Face = BODY_FACE, align: str = "left") -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = _alignment(align)
    _run(paragraph, text, face, TABLE_SIZE)


def _table(document: Document | _Cell, rows: int, widths_mm: tuple[float, ...]) -> Table:
    from docx.enum.table import WD_TABLE_ALIGNMENT

    table = document.add_table(rows=rows, cols=len(widths_mm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fix_widths(table, widths_mm)
    return table


def _fix_widths(table: Table, widths_mm: tuple[float, ...]) -> None:
    """Give a table fixed column widths, in the grid (LibreOffice, WPS) and on every cell (Word)."""
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table.autofit = False
    for column, grid_column in enumerate(table._tbl.tblGrid.findall(qn("w:gridCol"))):
        grid_column.set(qn("w:w"), str(round(widths_mm[column] / 25.4 * 1440)))
    for row in table.rows:
        for column, cell in enumerate(row.cells):
            cell.width = Mm(widths_mm[column])


# Footer and watermark --------------------------------------------------------------------------


def _footer(footer, book: Book) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Mm

    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    if book.verification:
        table = footer.add_table(rows=1, cols=2, width=Mm(156))
        _fix_widths(table, (QR_SIZE_MM + 4, 156 - QR_SIZE_MM - 4))
        qr_cell, text_cell = table.rows[0].cells
        qr_cell.paragraphs[0].add_run().add_picture(
            io.BytesIO(_qr_png(book.verification.url)), width=Mm(QR_SIZE_MM)
        )
        lines = book.footer_lines
        first = text_cell.paragraphs[0]
        for index, line in enumerate(lines):
            target = first if index == 0 else text_cell.add_paragraph()
            _run(target, line, ty.SONGTI, "小五")
        paragraph = text_cell.add_paragraph()
    else:
        _run(paragraph, book.footer_lines[0], ty.SONGTI, "小五")
        paragraph = footer.add_paragraph()
    _page_numbers(paragraph)


def _page_numbers(paragraph: Paragraph) -> None:
    """Append "第 PAGE 页 共 NUMPAGES 页" as Word fields."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field(instruction: str) -> None:
        for kind in ("begin", None, "separate", "end"):
            run = _run(paragraph, "", ty.SONGTI, "小五")
            if kind is None:
                text = OxmlElement("w:instrText")
                text.set(qn("xml:space"), "preserve")
                text.text = f" {instruction} "
                run.element.append(text)
            else:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run.element.append(char)
            if kind == "separate":
                _run(paragraph, "1", ty.SONGTI, "小五")

    _run(paragraph, "第 ", ty.SONGTI, "小五")
    field("PAGE")
    _run(paragraph, " 页 共 ", ty.SONGTI, "小五")
    field("NUMPAGES")
    _run(paragraph, " 页", ty.SONGTI, "小五")


def _qr_png(url: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=0)
    return out.getvalue()


def _watermark(header) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import parse_xml

    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    _run(paragraph, "草稿 · 尚未提交，不作为正式申报材料", ty.SONGTI, "小五")
    paragraph._p.append(parse_xml(WATERMARK_XML))


# Parts -----------------------------------------------------------------------------------------


def _cover(document: Document, book: Book) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    for _ in range(4):
        document.add_paragraph()
    _paragraph(document, "广东省服务型制造示范遴选", face=TITLE_FACE, size="一号", align="center")
    title = _paragraph(document, "申  报  书", face=TITLE_FACE, size="一号", align="center")
    title.paragraph_format.space_after = Mm(40)
    values = (
        ("申报单位", book.unit_name),
        ("申报类型", "    ".join(f"{box.mark} {box.label}" for box in book.categories)),
        ("推荐单位", book.recommender),
    )
    table = document.add_table(rows=len(values), cols=2)
    table.alignment = 1  # centre
    for row, (label, value) in zip(table.rows, values, strict=True):
        label_cell, value_cell = row.cells
        label_cell.width, value_cell.width = Mm(30), Mm(100)
        _run(label_cell.paragraphs[0], label, BODY_FACE, "三号")
        _run(value_cell.paragraphs[0], value, BODY_FACE, "三号")
        for cell in (label_cell, value_cell):
            cell.paragraphs[0].paragraph_format.space_before = Pt(10)
        if label != "申报类型":
            borders = value_cell._tc.get_or_add_tcPr()
            edges = OxmlElement("w:tcBorders")
            bottom = OxmlElement("w:bottom")
            for attribute, value_text in (("val", "single"), ("sz", "6"), ("color", "000000")):
                bottom.set(qn(f"w:{attribute}"), value_text)
            edges.append(bottom)
            borders.append(edges)
    year = _paragraph(document, f"（{book.year}年）", size="三号", align="center")
    year.paragraph_format.space_before = Mm(45)
    _page_break(document)


def _form_table(document: Document, book: Book) -> None:
    _paragraph(document, book.table_label, face=LEVEL1_FACE, size="三号")
    _paragraph(document, book.table_title, face=TITLE_FACE, size="小二", align="center", style="Title")
    rows = sum(1 + len(section.rows) for section in book.sections)
    table = _table(document, rows, COLUMN_WIDTHS_MM)
    index = 0
    for section in book.sections:
        index = _section_rows(table, index, section)
    if book.declarations:
        document.add_paragraph()
        entries = [entry for row in book.declarations.rows for entry in row]
        declarations = _table(document, 1 + len(entries), DECLARATION_WIDTHS_MM)
        heading = declarations.rows[0].cells[0].merge(declarations.rows[0].cells[1])
        _cell_text(heading, book.declarations.title, face=LEVEL1_FACE)
        for row, entry in zip(declarations.rows[1:], entries, strict=True):
            _cell_text(row.cells[0], entry.label)
            _cell_text(row.cells[1], _entry_text(entry), align="center")
    if book.supplement:
        document.add_paragraph()
        supplement = _table(
            document, 2 + sum(1 + len(section.rows) for section in book.supplement), COLUMN_WIDTHS_MM
        )
        for index, (text, face) in enumerate(((SUPPLEMENT_TITLE, LEVEL1_FACE), (SUPPLEMENT_NOTE, BODY_FACE))):
            cells = supplement.rows[index].cells
            _cell_text(cells[0].merge(cells[3]), text, face=face)
        index = 2
        for section in book.supplement:
            index = _section_rows(supplement, index, section, title_face=BODY_FACE)
    _paragraph(document, "文字说明附后。")
    _page_break(document)


def _section_rows(
    table: Table, index: int, section: TableSection, *, title_face: ty.Face = LEVEL1_FACE
) -> int:
    cells = table.rows[index].cells
    title = cells[0].merge(cells[3])
    _cell_text(title, section.title, face=title_face)
    title.paragraphs[0].paragraph_format.keep_with_next = True
    index += 1
    for entries in section.rows:
        cells = table.rows[index].cells
        index += 1
        if len(entries) == 2:
            for offset, entry in zip((0, 2), entries, strict=True):
                _cell_text(cells[offset], entry.label, align="center")
                _cell_text(cells[offset + 1], _entry_text(entry))
            continue
        entry = entries[0]
        if entry.grid and entry.grid.labelled_rows:
            _grid(cells[0].merge(cells[3]), entry.grid, figures=True)
            continue
        _cell_text(cells[0], entry.label, align="center")
        value = cells[1].merge(cells[3])
        if entry.grid:
            _grid(value, entry.grid)
        else:
            _cell_text(value, _entry_text(entry))
    return index


def _entry_text(entry: Entry) -> str:
    if entry.groups:
        return "\n".join(
            (f"{group.label}：" if group.label else "")
            + "  ".join(
                f"{box.mark} {box.label}" + (f"：{box.other}" if box.other else "") for box in group.boxes
            )
            for group in entry.groups
        )
    return entry.text


def _grid(cell: _Cell, grid: Grid, *, figures: bool = False) -> None:
    if not grid.rows:
        _cell_text(cell, "无")
        return
    # The merged value cell is 128 mm wide (the whole row 156 mm), less its margins.
    width = 150 if figures else 122
    columns = len(grid.header)
    if figures:
        first = 40.0
    elif grid.header[0] == "序号":
        first = 12.0
    else:
        first = width / columns
    rest = (width - first) / max(1, columns - 1)
    nested = _table(cell, 1 + len(grid.rows), (first, *([rest] * (len(grid.header) - 1))))
    for row, values in zip(nested.rows, (grid.header, *grid.rows), strict=True):
        for column, (nested_cell, value) in enumerate(zip(row.cells, values, strict=True)):
            align = (
                "right"
                if figures and column and row is not nested.rows[0]
                else "center"
                if column == 0 or row is nested.rows[0]
                else "left"
            )
            _cell_text(nested_cell, value, align=align)
    # Word needs a paragraph after a nested table; keep it as small as it can be.
    cell.paragraphs[-1].paragraph_format.space_after = 0


def _written(document: Document, book: Book) -> None:
    _paragraph(document, "文字说明", face=TITLE_FACE, size="小二", align="center", style="Title")
    styles = {
        1: ("Heading 1", LEVEL1_FACE, "三号"),
        2: ("Heading 2", LEVEL2_FACE, "四号"),
        3: ("Heading 3", BODY_FACE, "小四"),
    }
    for passage in book.passages:
        for heading in passage.headings:
            style, face, size = styles[heading.level]
            paragraph = _paragraph(document, style=style, indent=heading.level == 3)
            paragraph.paragraph_format.keep_with_next = True
            _run(paragraph, heading.text, face, size, bold=heading.level == 3)
        if not passage.paragraphs:
            _paragraph(document, "（未填写）", indent=True)
        for text in passage.paragraphs:
            _paragraph(document, text, align="justify", indent=True)
        if passage.evidence:
            _paragraph(document, f"佐证材料：见{'、'.join(passage.evidence)}。", indent=True)
    _page_break(document)


def _attachments(document: Document, book: Book) -> None:
    heading = _paragraph(document, style="Heading 1", align="center")
    _run(heading, "附件清单", LEVEL1_FACE, "三号")
    if not book.attachments:
        _paragraph(document, "无附件。", indent=True)
        return
    table = _table(document, 1 + len(book.attachments), ATTACHMENT_WIDTHS_MM)
    for cell, text in zip(table.rows[0].cells, ATTACHMENT_HEADER, strict=True):
        _cell_text(cell, text, align="center")
    for row, line in zip(table.rows[1:], book.attachments, strict=True):
        for cell, text in zip(
            row.cells, (line.label, line.topic, f"{line.name}\n{line.identity}"), strict=True
        ):
            _cell_text(cell, text)


def _commitment(document: Document, book: Book) -> None:
    from docx.enum.text import WD_BREAK
    from docx.shared import Mm

    heading = _paragraph(document, style="Heading 1", align="center")
    heading.paragraph_format.page_break_before = True
    _run(heading, "填报单位意见及真实性承诺", LEVEL1_FACE, "三号")
    text = _paragraph(document, book.commitment.text, size="四号", indent=True)
    text.paragraph_format.space_before = Mm(8)
    text.paragraph_format.space_after = Mm(25)
    signatures = _paragraph(document, "申报单位（章）：", size="四号")
    _run(signatures, "\t\t\t负责人（签章）：", BODY_FACE, "四号")
    if book.commitment.responsible_person:
        run = _run(signatures, "", BODY_FACE, "四号")
        run.add_break(WD_BREAK.LINE)
        _run(signatures, f"\t\t\t\t\t\t（{book.commitment.responsible_person}）", BODY_FACE, "四号")
    date = _paragraph(document, book.commitment.date or "年　　月　　日", size="四号", align="right")
    date.paragraph_format.space_before = Mm(40)
    date.paragraph_format.right_indent = Mm(10)
