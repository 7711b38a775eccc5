"""The 申报书 with its attachments appended after it, as officers print the whole set."""

import io
import re

import docx
import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from shifan.applications import services
from shifan.documents import book as books
from shifan.documents.appended import MM, book_with_attachments
from shifan.documents.book_pdf import PAGE_MARGINS_MM
from tests import factories
from tests.documents.test_book import body
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


def two_page_landscape_pdf():
    from weasyprint import HTML

    html = """<html><meta charset="utf-8"><style>@page { size: A4 landscape; margin: 10mm }</style>
    <p>SOURCE PAGE ONE</p><p style="break-before: page">SOURCE PAGE TWO</p></html>"""
    return HTML(string=html).write_pdf()


def png():
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def word_file():
    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("章程")
    document.save(out)
    return out.getvalue()


@pytest.fixture
def files(application, applicant_admin):
    for name, data, title in (
        ("a-资质证书.pdf", two_page_landscape_pdf(), "资质证书"),
        ("b-现场照片.png", png(), "=现场照片"),
        ("c-章程.docx", word_file(), "公司章程"),
    ):
        services.add_attachment(
            actor=applicant_admin,
            application=application,
            field_key="strategy_planning",
            uploaded=SimpleUploadedFile(name, data),
            title=title,
        )
    return application


def page_texts(content):
    reader = pypdf.PdfReader(io.BytesIO(content))
    return reader, [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def test_each_attachment_follows_the_book_headed_numbered_and_with_the_footer(files, applicant_admin):
    submitted = services.submit_application(actor=applicant_admin, application=files)
    book = books.submitted_book(submitted)
    alone = books.book_pdf(book)
    book_pages = len(pypdf.PdfReader(io.BytesIO(alone)).pages)
    reader, texts = page_texts(book_with_attachments(book, alone, files))
    appended = texts[book_pages:]
    # In the 附件清单's order: the two-page PDF, the image, the Word file, then the fixture's file.
    assert [line.label for line in book.attachments] == [
        "附件1：资质证书",
        "附件2：=现场照片",
        "附件3：公司章程",
        "附件4：组织架构图",
    ]
    assert len(appended) == 5
    assert appended[0].startswith("附件1：资质证书")
    assert "SOURCEPAGEONE" in appended[0]
    assert "SOURCEPAGETWO" in appended[1]
    assert "附件1：资质证书·第1页共2页" in appended[0]
    assert "附件1：资质证书·第2页共2页" in appended[1]
    assert appended[2].startswith("附件2：=现场照片")
    assert reader.pages[book_pages + 2].images  # the photo, as a page
    assert "本附件为Word文档，不能作为页面附入PDF" in appended[3]
    assert "PDF文件已加密或无法读取" in appended[4]  # the fixture's stub is no real PDF
    for text in appended:
        assert f"申报编号{submitted.number}" in text
        assert f"摘要{submitted.digest[:12]}" in text
    for page in reader.pages[book_pages:]:
        assert (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM)) == (210, 297)


def test_a_landscape_page_is_scaled_into_the_text_area(files, applicant_admin):
    book = books.draft_book(files)
    alone = books.book_pdf(book)
    book_pages = len(pypdf.PdfReader(io.BytesIO(alone)).pages)
    content = book_with_attachments(book, alone, files)
    import subprocess

    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(book_pages + 1), "-l", str(book_pages + 1), "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    (x_min,) = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="[\d.]+">SOURCE', boxes)
    # The A4 landscape page (297 mm wide) is shrunk to the 156 mm text width: its 10 mm margin
    # becomes about 5 mm, inside the book's left margin.
    left = PAGE_MARGINS_MM["left"] * MM
    assert left < float(x_min) < left + 10 * MM


def test_applicant_and_city_officer_download_the_book_with_attachments(client, files, applicant_admin):
    login_verified(client, applicant_admin)
    draft = client.get(reverse("documents:draft_pdf", args=[files.pk]) + "?attachments=1")
    assert draft.status_code == 200
    assert "%EF%BC%88%E5%90%AB%E9%99%84%E4%BB%B6%EF%BC%89" in draft["Content-Disposition"]  # （含附件）
    assert "SOURCEPAGEONE" in "".join(page_texts(draft.content)[1])
    submitted = services.submit_application(actor=applicant_admin, application=files)
    client.logout()
    login_verified(client, factories.CityOfficerFactory(city_code=files.organisation.city_code))
    url = reverse("documents:book_pdf", args=[files.pk, submitted.sequence])
    alone, appended = body(client.get(url)), body(client.get(url + "?attachments=1"))
    assert (
        len(pypdf.PdfReader(io.BytesIO(appended)).pages) == len(pypdf.PdfReader(io.BytesIO(alone)).pages) + 5
    )
    client.logout()
    login_verified(client, factories.CityOfficerFactory(city_code="445300"))
    assert client.get(url + "?attachments=1").status_code == 404


def odd_pdf(change) -> bytes:
    """A one-page PDF changed by `change(page)` before it is written."""
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    change(page, writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rotated_45(page, writer):
    page[pypdf.generic.NameObject("/Rotate")] = pypdf.generic.NumberObject(45)


def flat_box(page, writer):
    page.mediabox = pypdf.generic.RectangleObject([0, 0, 0, 842])


def million_operators(page, writer):
    # A few kilobytes compressed, some megabytes of drawing instructions to parse.
    stream = pypdf.generic.DecodedStreamObject()
    stream.set_data(b"0 0 m 1 1 l S\n" * 400_000)
    page[pypdf.generic.NameObject("/Contents")] = writer._add_object(stream.flate_encode())


def huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (12_000, 7_400)).save(out, format="PNG")  # some kilobytes, 89 million pixels
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "notice"),
    [
        ("turned.pdf", lambda: odd_pdf(rotated_45), "此页旋转角度无效"),
        ("flat.pdf", lambda: odd_pdf(flat_box), "此页尺寸无效"),
        ("dense.pdf", lambda: odd_pdf(million_operators), "此页内容过于复杂"),
        ("huge.png", huge_png, "图片像素过多"),
    ],
)
def test_an_attachment_that_would_be_costly_or_cannot_be_drawn_gets_a_notice(
    application, applicant_admin, name, data, notice
):
    services.add_attachment(
        actor=applicant_admin,
        application=application,
        field_key="strategy_planning",
        uploaded=SimpleUploadedFile(name, data()),
        title="问题文件",
    )
    book = books.draft_book(application)
    alone = books.book_pdf(book)
    book_pages = len(pypdf.PdfReader(io.BytesIO(alone)).pages)
    _reader, texts = page_texts(book_with_attachments(book, alone, application))
    appended = texts[book_pages:]
    problem = next(text for text in appended if re.search(r"附件\d+：问题文件", text))
    assert re.sub(r"\s+", "", notice) in problem
