"""The 申报书 with its attachments appended: the book's PDF, then each attachment in list order.

Every appended page is an A4 page of the book's layout: "附件3：营业执照" and "第 1 页 共 2 页" of that
attachment at the top, the book's footer (number, digest and QR code, or the 草稿 mark) at the
bottom. A PDF attachment's pages are scaled, never enlarged, into the text area, keeping their
proportions; an image becomes one page, fitted the same way. A file that cannot be shown as pages
(Word, Excel, an unreadable or encrypted PDF) gets one page saying so, with its name and digest,
so the numbering still matches the 附件清单.

The book's own pages keep their "第 n 页 共 N 页": the attachments are numbered per attachment.
Made on request, never stored: the stored book (documents.rendered) is the book alone.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from shifan.core.filetypes import UploadRefused, image_size
from shifan.documents import book_pdf
from shifan.documents.book_pdf import PAGE_MARGINS_MM, pdf_from_html

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pypdf import PageObject, PdfWriter

    from shifan.applications.models import Application
    from shifan.documents.book import AttachmentLine, Book

MM = 72 / 25.4
A4_MM = (210, 297)
# What a 20 MB scan would otherwise multiply into: a book and its attachments stay printable.
MAX_APPENDED_PAGES = 300
# A page's drawing instructions are read (decompressed and parsed) to place it: a small file can
# hold a page of millions of them. A page over the first bound, or any page once the whole
# document's drawings pass the second, gets a notice instead, so a request stays short.
MAX_PAGE_CONTENT_BYTES = 2_000_000
MAX_CONTENT_BYTES = 12_000_000
ROTATIONS = {0: (0, 0), 90: (0, 1), 180: (1, 1), 270: (1, 0)}  # the turned page's offset, in (width, height)
KIND_NAMES = {"word": "Word 文档", "excel": "Excel 表格"}


@dataclass(frozen=True)
class AppendedPage:
    """One page after the book: its heading, its number within the attachment, and what it shows."""

    heading: str  # 附件3：营业执照
    number: str  # 第 1 页 共 2 页, within the attachment
    image: str = ""  # a data URI, for an image attachment
    notice: str = ""  # why the attachment is not shown, for one that cannot be
    pdf_page: PageObject | None = None  # to draw into the text area


def book_with_attachments(book: Book, content: bytes, application: Application) -> bytes:
    """Return the book's PDF `content` followed by the attachments its 附件清单 lists."""
    import pypdf
    from pypdf.errors import PyPdfError

    pages = list(_pages(book.attachments, application))
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(content)))
    if not pages:
        return _written(writer)
    stamps = pypdf.PdfReader(io.BytesIO(pdf_from_html(_stamps_html(book, pages))))
    box_width = (A4_MM[0] - PAGE_MARGINS_MM["left"] - PAGE_MARGINS_MM["right"]) * MM
    box_height = (A4_MM[1] - PAGE_MARGINS_MM["top"] - PAGE_MARGINS_MM["bottom"] - HEADING_MM) * MM
    for page, stamp in zip(pages, stamps.pages, strict=True):
        added = writer.add_page(stamp)
        if page.pdf_page is not None:
            source = page.pdf_page
            box = source.mediabox
            width, height = float(box.width), float(box.height)
            # A page shown turned (/Rotate, clockwise) is drawn turned: rotate its content back
            # into the positive quadrant, then it is as wide as it shows.
            rotation = source.rotation % 360
            turn = pypdf.Transformation().translate(-float(box.left), -float(box.bottom)).rotate(-rotation)
            if rotation in (90, 270):
                width, height = height, width
            across, up = ROTATIONS[rotation]
            turn = turn.translate(across * width, up * height)
            scale = min(1.0, box_width / width, box_height / height)
            left = PAGE_MARGINS_MM["left"] * MM + (box_width - width * scale) / 2
            bottom = PAGE_MARGINS_MM["bottom"] * MM + (box_height - height * scale)
            try:
                added.merge_transformed_page(source, turn.scale(scale).translate(left, bottom))
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, ZeroDivisionError):
                # Checked before (`_unplaceable`); a page that fails anyway shows its heading alone.
                continue
    return _written(writer)


# The heading line above an appended page's content, in millimetres.
HEADING_MM = 10


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _unplaceable(source: PageObject, room: int) -> str | int:
    """Return why a PDF page cannot be placed (a text for its notice), or its drawings' size."""
    from pypdf.errors import PyPdfError

    try:
        box = source.mediabox
        if float(box.width) <= 0 or float(box.height) <= 0:
            return "此页尺寸无效，未能附入，请查阅电子文件。"
        if source.rotation % 360 not in ROTATIONS:
            return "此页旋转角度无效，未能附入，请查阅电子文件。"
        contents = source.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError):
        return "此页无法读取，未能附入，请查阅电子文件。"
    if size > min(MAX_PAGE_CONTENT_BYTES, room):
        return "此页内容过于复杂，未能附入，请查阅电子文件。"
    return size


def _pages(lines: Iterable[AttachmentLine], application: Application) -> Iterable[AppendedPage]:
    import pypdf
    from pypdf.errors import PdfReadError, PyPdfError

    files = {
        attachment.pk: attachment
        for attachment in application.attachments.filter(
            pk__in=[line.attachment_id for line in lines if line.attachment_id]
        )
    }
    budget = MAX_APPENDED_PAGES
    drawn = 0  # bytes of drawing instructions of the pages placed so far
    for line in lines:
        attachment = files.get(line.attachment_id) if line.attachment_id else None

        def notice(text: str, line: AttachmentLine = line) -> AppendedPage:
            return AppendedPage(
                line.label, "第 1 页 共 1 页", notice=f"{text}\n文件：{line.name}（{line.identity}）"
            )

        if attachment is None:
            yield notice("文件未能找到，请查阅电子申报材料。")
            continue
        if budget <= 0:
            yield notice(f"附入的页数已达 {MAX_APPENDED_PAGES} 页上限，此附件请查阅电子文件。")
            continue
        with attachment.file.open("rb") as stored:
            data = stored.read()
        if attachment.kind == "image":
            try:
                image_size(data)
            except UploadRefused as refused:
                yield notice(f"{refused.message}未能附入，请查阅电子文件。")
                continue
            budget -= 1
            uri = f"data:{attachment.content_type};base64,{base64.b64encode(data).decode('ascii')}"
            yield AppendedPage(line.label, "第 1 页 共 1 页", image=uri)
        elif attachment.kind == "pdf":
            try:
                reader = pypdf.PdfReader(io.BytesIO(data))
                if reader.is_encrypted:
                    raise PdfReadError("encrypted")
                source_pages = list(reader.pages)
            except (PyPdfError, ValueError, KeyError, OSError):
                yield notice("PDF 文件已加密或无法读取，未能附入，请查阅电子文件。")
                continue
            if not source_pages:
                yield notice("PDF 文件没有页面。")
                continue
            shown = source_pages[:budget]
            budget -= len(shown)
            for number, source in enumerate(shown, start=1):
                heading = f"第 {number} 页 共 {len(source_pages)} 页"
                problem = _unplaceable(source, MAX_CONTENT_BYTES - drawn)
                if isinstance(problem, str):
                    yield AppendedPage(
                        line.label, heading, notice=f"{problem}\n文件：{line.name}（{line.identity}）"
                    )
                    continue
                drawn += problem
                yield AppendedPage(line.label, heading, pdf_page=source)
            if len(shown) < len(source_pages):
                yield notice(f"其余 {len(source_pages) - len(shown)} 页超出附入上限，请查阅电子文件。")
        else:
            kind = KIND_NAMES.get(attachment.kind, "文件")
            yield notice(f"本附件为{kind}，不能作为页面附入 PDF，请查阅电子文件。")


def _stamps_html(book: Book, pages: list[AppendedPage]) -> str:
    return render_to_string(
        "documents/appended_pdf.html",
        {
            **book_pdf.page_context(book, page_number="string(pageinfo)"),
            "pages": pages,
            "heading_mm": HEADING_MM,
        },
    )
