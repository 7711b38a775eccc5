"""The 通告 of recognised demonstration units, as Word and PDF, laid out as GB/T 9704-2012 lays out a 公文.

Page (5.2): A4, text area 156 × 225 mm placed 37 mm from the top and 28 mm from the left edge,
so the margins are 37 / 35 / 28 / 26 mm (top, bottom, left, right); body 三号 仿宋 on a fixed
28.95 pt line (22 lines on the 225 mm height); title 二号 小标宋; page numbers "— 1 —" in 四号
宋体 7 mm under the text area, one character in from the outer edge, running on through the
attachments (7.5).

Order (7.3): title, 发文字号, body; the 附件说明 under the body after an empty line, two
characters in ("附件：1.…", further names aligned under the first); the issuer centred over the
date, the date four characters from the right (7.3.5.1, the layout of a sealed document: the seal
is pressed over both, and the two empty lines above them leave it room). Each list (one per
category, 示范企业 then 示范平台, by position) is an attachment on pages of its own (8): "附件1" in
三号 黑体 at the top left, the list's title centred on the third line, then the table.
"""

from __future__ import annotations

import io
import itertools
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from shifan.core.dates import chinese_date
from shifan.documents import typography as ty
from shifan.publicity.models import Announcement

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

PAGE_MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TEXT_WIDTH_MM = 210 - PAGE_MARGINS_MM["left"] - PAGE_MARGINS_MM["right"]
BODY_LINE_PT = 28.95
# 序号, 单位名称, 所在地市, 有效期: together the 156 mm text width. The period takes two lines,
# "2025年1月1日至" over "2027年12月31日", so the unit's name can have the room.
COLUMN_WIDTHS_MM = (12, 88, 22, 34)
COLUMN_HEADINGS = ("序号", "单位名称", "所在地市", "有效期")
TABLE_SIZE = "小四"

# The faces each part is set in, for the document and for its font note.
TITLE_FACE = ty.XIAOBIAOSONG
BODY_FACE = ty.FANGSONG
HEADING_FACE = ty.HEITI
PAGE_NUMBER_FACE = ty.SONGTI


@dataclass(frozen=True)
class ListedUnit:
    position: int
    unit_name: str
    city_name: str
    valid_from: str
    valid_until: str


@dataclass(frozen=True)
class CategoryList:
    # "附件1", or "附件" when the announcement has one list only (GB/T 9704 8).
    label: str
    # "服务型制造示范企业名单": the attachment's title, and its name in the 附件说明.
    title: str
    units: list[ListedUnit]


@dataclass(frozen=True)
class AnnouncementText:
    """What both formats print, worked out once."""

    title: str
    number: str
    paragraphs: list[str]
    lists: list[CategoryList]
    # The 附件说明 under the body: "附件：1.…" and the further names, a line each.
    attachment_note: list[str]
    issuer: str
    issued_on: str
    # Right indents (in characters) that centre the issuer over the date, the date 4 characters in.
    issuer_indent: float
    date_indent: float


def chinese_numeral(number: int) -> str:
    """Return 1–99 in Chinese numerals, as heading numbers (一、二、… 十一、) use them."""
    digits = "零一二三四五六七八九"
    if not 0 < number < 100:
        raise ValueError(f"heading number out of range: {number}")
    tens, ones = divmod(number, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def text_width(text: str) -> float:
    """Return the width of a line in characters: a Chinese character 1, a Latin letter or digit ½."""
    return sum(1 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in text)


def body_paragraphs(body: str) -> list[str]:
    """Split the stored body into paragraphs: every non-empty line is one."""
    return [line.strip() for line in body.splitlines() if line.strip()]


def list_title(category_name: str) -> str:
    """Return an attachment's title: "服务型制造示范企业名单", naming the programme once."""
    name = category_name if category_name.startswith("服务型制造") else f"服务型制造{category_name}"
    return f"{name}名单"


def attachment_note(titles: list[str]) -> list[str]:
    """Return the 附件说明's lines: "附件：name" for one, "附件：1.name", "2.name"… for more."""
    if len(titles) == 1:
        return [f"附件：{titles[0]}"]
    return [f"{'附件：' if index == 1 else ''}{index}.{title}" for index, title in enumerate(titles, 1)]


def announcement_text(announcement: Announcement) -> AnnouncementText:
    """Return the announcement's printed text: title, paragraphs, one list per category, signature."""
    units = announcement.units.order_by("category", "position", "pk")
    groups = [list(group) for _category, group in itertools.groupby(units, key=lambda u: u.category)]
    lists = []
    for index, members in enumerate(groups, 1):
        lists.append(
            CategoryList(
                label="附件" if len(groups) == 1 else f"附件{index}",
                title=list_title(members[0].category_name),
                units=[
                    ListedUnit(
                        position=unit.position,
                        unit_name=unit.unit_name,
                        city_name=unit.city_name,
                        valid_from=chinese_date(unit.valid_from),
                        valid_until=chinese_date(unit.valid_until),
                    )
                    for unit in members
                ],
            )
        )
    issued_on = chinese_date(announcement.issued_on)
    # GB/T 9704 7.3.5.1: the date 4 characters from the right, the issuer centred above it.
    date_indent = 4.0
    issuer_indent = max(0.0, date_indent + (text_width(issued_on) - text_width(announcement.issuer)) / 2)
    return AnnouncementText(
        title=announcement.title,
        number=announcement.number,
        paragraphs=body_paragraphs(announcement.body),
        lists=lists,
        attachment_note=attachment_note([listed.title for listed in lists]) if lists else [],
        issuer=announcement.issuer,
        issued_on=issued_on,
        issuer_indent=issuer_indent,
        date_indent=date_indent,
    )


FACES_BY_PART = {"标题": TITLE_FACE, "正文": BODY_FACE, "一级标题": HEADING_FACE}


# Word -----------------------------------------------------------------------------------------


def announcement_docx(announcement: Announcement) -> bytes:
    """Return the announcement as a Word document naming the official fonts."""
    from docx import Document as new_document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    text = announcement_text(announcement)
    document = new_document()
    _set_word_properties(document, announcement)
    ty.set_word_defaults(document, BODY_FACE, "三号")
    ty.declare_word_fonts(document, (TITLE_FACE, BODY_FACE, HEADING_FACE, PAGE_NUMBER_FACE))
    ty.style_word_paragraphs(document.styles["Title"], TITLE_FACE, "二号")
    ty.style_word_paragraphs(document.styles["Heading 1"], HEADING_FACE, "三号")

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(PAGE_MARGINS_MM["top"])
    section.bottom_margin = Mm(PAGE_MARGINS_MM["bottom"])
    section.left_margin = Mm(PAGE_MARGINS_MM["left"])
    section.right_margin = Mm(PAGE_MARGINS_MM["right"])
    # The number's top 7 mm below the text area (GB/T 9704 7.5); Word measures the footer from
    # the page's edge to the bottom of its line, about 6 mm for 四号.
    section.footer_distance = Mm(PAGE_MARGINS_MM["bottom"] - 7 - 6)
    document.settings.odd_and_even_pages_header_footer = True
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        # One character in from the outer edge (GB/T 9704 7.5).
        if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = Pt(ty.pt("四号"))
        else:
            paragraph.paragraph_format.left_indent = Pt(ty.pt("四号"))
        ty.add_page_number_field(paragraph, PAGE_NUMBER_FACE, "四号")

    def body_paragraph(
        content: str = "", *, face: ty.Face = BODY_FACE, style: str | None = None
    ) -> Paragraph:
        paragraph = document.add_paragraph(style=style)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        paragraph.paragraph_format.line_spacing = Pt(BODY_LINE_PT)
        if content:
            run = paragraph.add_run(content)
            ty.set_word_fonts(run, face)
            run.font.size = Pt(ty.pt("三号"))
        return paragraph

    title = document.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = Pt(0)
    title_run = title.add_run(text.title)
    ty.set_word_fonts(title_run, TITLE_FACE)
    title_run.font.size = Pt(ty.pt("二号"))

    number = body_paragraph(text.number)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    body_paragraph()

    for content in text.paragraphs:
        paragraph = body_paragraph(content)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        ty.first_line_indent_chars(paragraph.paragraph_format, 2, "三号")

    if text.attachment_note:
        body_paragraph()
        for index, content in enumerate(text.attachment_note):
            paragraph = body_paragraph(content)
            # Two characters in; further names under the first one's number, after "附件：".
            paragraph.paragraph_format.left_indent = Pt(ty.pt("三号") * (2 if index == 0 else 5))
            paragraph.paragraph_format.keep_with_next = True

    body_paragraph()
    body_paragraph()
    for content, indent in ((text.issuer, text.issuer_indent), (text.issued_on, text.date_indent)):
        paragraph = body_paragraph(content)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(ty.pt("三号") * indent)
        paragraph.paragraph_format.keep_with_next = content == text.issuer

    for listed in text.lists:
        # "附件1" on the first line of a new page, flush left; the title on the third, centred.
        label = body_paragraph(listed.label, face=HEADING_FACE, style="Heading 1")
        label.paragraph_format.page_break_before = True
        label.paragraph_format.space_before = Pt(0)
        label.paragraph_format.space_after = Pt(0)
        label.paragraph_format.keep_with_next = True
        body_paragraph().paragraph_format.keep_with_next = True
        list_heading = body_paragraph(listed.title, face=TITLE_FACE)
        list_heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        list_heading.paragraph_format.keep_with_next = True
        for run in list_heading.runs:
            run.font.size = Pt(ty.pt("二号"))
        _word_table(document, listed)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _set_word_properties(document: Document, announcement: Announcement) -> None:
    # Written as UTC: midnight UTC is 08:00 on the issue date in Guangdong.
    issued = datetime.combine(announcement.issued_on, time(0))
    properties = document.core_properties
    properties.title = announcement.title
    properties.subject = announcement.number
    properties.author = announcement.issuer
    properties.last_modified_by = announcement.issuer
    properties.category = "通告"
    properties.keywords = "服务型制造示范; 通告"
    properties.comments = ty.word_font_note(FACES_BY_PART)
    properties.language = "zh-CN"
    properties.created = issued
    properties.modified = issued
    properties.revision = 1


def _word_table(document: Document, listed: CategoryList) -> Table:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    table = document.add_table(rows=1, cols=len(COLUMN_HEADINGS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Each cell as its lines.
    rows = [tuple((heading,) for heading in COLUMN_HEADINGS)] + [
        (
            (str(unit.position),),
            (unit.unit_name,),
            (unit.city_name,),
            (f"{unit.valid_from}至", unit.valid_until),
        )
        for unit in listed.units
    ]
    for _ in rows[1:]:
        table.add_row()
    for row_index, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        row_properties = row._tr.get_or_add_trPr()
        row_properties.append(OxmlElement("w:cantSplit"))
        if row_index == 0:
            # Repeat the column headings on every page the table runs onto.
            row_properties.append(OxmlElement("w:tblHeader"))
        for column, (cell, lines) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Mm(COLUMN_WIDTHS_MM[column])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if row_index and column == 1 else WD_ALIGN_PARAGRAPH.CENTER
            )
            paragraph.paragraph_format.space_before = Pt(3)
            paragraph.paragraph_format.space_after = Pt(3)
            run = paragraph.add_run(lines[0])
            for line in lines[1:]:
                run.add_break()
                run.add_text(line)
            ty.set_word_fonts(run, HEADING_FACE if row_index == 0 else BODY_FACE)
            run.font.size = Pt(ty.pt(TABLE_SIZE))
    grid = table._tbl.tblGrid
    for column, grid_column in enumerate(grid.findall(qn("w:gridCol"))):
        grid_column.set(qn("w:w"), str(round(COLUMN_WIDTHS_MM[column] / 25.4 * 1440)))
    return table


# PDF ------------------------------------------------------------------------------------------


def announcement_pdf(announcement: Announcement) -> bytes:
    """Return the announcement as a PDF with the free stand-in fonts embedded."""
    from weasyprint import HTML

    text = announcement_text(announcement)
    html = render_to_string(
        "documents/announcement_pdf.html",
        {
            "text": text,
            "font_rules": ty.css_font_rules(),
            "font_note": ty.pdf_font_note(FACES_BY_PART),
            "margins": PAGE_MARGINS_MM,
            "column_widths": COLUMN_WIDTHS_MM,
            "column_headings": COLUMN_HEADINGS,
            "body_line": BODY_LINE_PT,
            "signature_gap": BODY_LINE_PT * 2,
            "title_size": ty.pt("二号"),
            "body_size": ty.pt("三号"),
            "table_size": ty.pt(TABLE_SIZE),
            "page_number_size": ty.pt("四号"),
            "page_number_font": PAGE_NUMBER_FACE.css(),
        },
    )
    return bytes(HTML(string=html, url_fetcher=ty.url_fetcher()).write_pdf())
