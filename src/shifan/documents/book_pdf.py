"""The 申报书 as PDF: HTML laid out by WeasyPrint with the free stand-in fonts embedded.

Typography from the 填报说明: body 小四 仿宋 (cwTeX 仿宋, its gaps filled from a 楷体, see typography.py) with
single spacing, level-1 headings 三号 黑体, level-2 headings 四号 楷体. Every page's footer carries
the verification block (a submitted book) or the 草稿 mark (a draft), and "第 n 页 共 N 页", so a
missing page shows on paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string

from shifan.documents import typography as ty
from shifan.documents.book import ATTACHMENT_HEADER, SUPPLEMENT_NOTE, SUPPLEMENT_TITLE

if TYPE_CHECKING:
    from shifan.documents.book import Book

PAGE_MARGINS_MM = {"top": 25, "bottom": 30, "left": 28, "right": 26}
QR_SIZE_MM = 16
# What Word calls single spacing for these faces: about 1.3 times the size.
SINGLE_SPACING = 1.3
TABLE_SIZE = "五号"

BODY_FACE = ty.FANGSONG
LEVEL1_FACE = ty.HEITI
LEVEL2_FACE = ty.KAITI
TITLE_FACE = ty.XIAOBIAOSONG
FACES_BY_PART = {
    "标题": TITLE_FACE,
    "正文": BODY_FACE,
    "一级标题": LEVEL1_FACE,
    "二级标题": LEVEL2_FACE,
}


QR_SCALE = 4  # pixels per module


def qr_image(url: str) -> tuple[str, float]:
    """Return the verification link as a QR code: a PNG data URI, and the resolution that prints it
    QR_SIZE_MM wide whatever the number of modules.

    A PNG rather than an SVG: the image is embedded once and shown on every page, where an SVG
    path would be drawn again per page.
    """
    import segno

    code = segno.make(url, error="m")
    width_px, _height = code.symbol_size(scale=QR_SCALE, border=0)
    return str(code.png_data_uri(scale=QR_SCALE, border=0)), width_px * 25.4 / QR_SIZE_MM


def css_string(text: str) -> str:
    """Return text for a CSS string between double quotes in a <style> element.

    Backslashes, quotes and "<" (which could close the element) are escaped; line breaks become
    \\A, shown as breaks with white-space: pre-line.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    return "\\A ".join(escaped.splitlines())


# The book's pages count themselves; the attachments appended after it count their own pages.
BOOK_PAGE_NUMBER = '"第 " counter(page) " 页 共 " counter(pages) " 页"'


def page_context(book: Book, *, page_number: str = BOOK_PAGE_NUMBER) -> dict[str, Any]:
    """Return what every page of the book, or of an attachment appended to it, is laid out with:
    the margins, the sizes, the fonts and the footer (_book_page_footer.css)."""
    qr, qr_dpi = qr_image(book.verification.url) if book.verification else ("", 0.0)
    return {
        "book": book,
        "qr": qr,
        "qr_dpi": round(qr_dpi, 2),
        "footer_text": css_string("\n".join(book.footer_lines)),
        "page_number": page_number,
        "font_rules": ty.css_font_rules(),
        "margins": PAGE_MARGINS_MM,
        "sizes": {
            "body": ty.pt("小四"),
            "level1": ty.pt("三号"),
            "level2": ty.pt("四号"),
            "table": ty.pt(TABLE_SIZE),
            "table_title": ty.pt("小二"),
            "cover_title": ty.pt("一号"),
            "cover_field": ty.pt("三号"),
            "footer": ty.pt("小五"),
        },
    }


def book_html(book: Book) -> str:
    return render_to_string(
        "documents/book_pdf.html",
        {
            **page_context(book),
            "attachment_header": ATTACHMENT_HEADER,
            "supplement_title": SUPPLEMENT_TITLE,
            "supplement_note": SUPPLEMENT_NOTE,
            "font_note": ty.pdf_font_note(FACES_BY_PART),
            "qr_size": QR_SIZE_MM,
            "line": SINGLE_SPACING,
        },
    )


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html, url_fetcher=ty.url_fetcher()).write_pdf())
