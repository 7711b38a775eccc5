import io
import logging
import re
from datetime import date
from urllib.parse import quote

import docx
import pypdf
import pytest
from django.core.cache import cache
from django.urls import reverse
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from shifan.documents import typography as ty
from shifan.documents.announcement import (
    COLUMN_WIDTHS_MM,
    TEXT_WIDTH_MM,
    announcement_docx,
    announcement_pdf,
    announcement_text,
    attachment_note,
    body_paragraphs,
    chinese_date,
    chinese_numeral,
    list_title,
)
from tests.documents.conftest import ENTERPRISES, PLATFORMS, unit

NUMBER = "粤工信服务函〔2024〕58号"


@pytest.fixture
def word(announcement):
    return docx.Document(io.BytesIO(announcement_docx(announcement)))


@pytest.fixture
def pdf(announcement):
    return pypdf.PdfReader(io.BytesIO(announcement_pdf(announcement)))


def text_paragraphs(document):
    return [paragraph for paragraph in document.paragraphs if paragraph.text.strip()]


def pdf_text(reader):
    # Layout extraction may break a line anywhere; compare without white space.
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def embedded_fonts(reader):
    """Return {base font name: font file keys} over every page."""
    fonts = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descendant = descendant.get_object()
                descriptor = descendant["/FontDescriptor"].get_object()
                files = {key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor}
                fonts[str(descendant["/BaseFont"])] = files
    return fonts


# Text -----------------------------------------------------------------------------------------


def test_chinese_date_has_no_leading_zeros():
    assert chinese_date(date(2024, 12, 20)) == "2024年12月20日"
    assert chinese_date(date(2025, 1, 5)) == "2025年1月5日"


@pytest.mark.parametrize(
    ("number", "numeral"), [(1, "一"), (2, "二"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三")]
)
def test_chinese_numeral(number, numeral):
    assert chinese_numeral(number) == numeral


def test_body_splits_on_lines_and_drops_blank_ones():
    assert body_paragraphs("第一段。\r\n\r\n  第二段。\n第三段。\n\n") == ["第一段。", "第二段。", "第三段。"]


def test_list_title_names_the_programme_once():
    assert list_title("示范企业") == "服务型制造示范企业名单"
    assert list_title("服务型制造示范平台") == "服务型制造示范平台名单"


def test_attachment_note_numbers_attachments_only_when_there_are_several():
    assert attachment_note(["甲名单"]) == ["附件：甲名单"]
    assert attachment_note(["甲名单", "乙名单", "丙名单"]) == ["附件：1.甲名单", "2.乙名单", "3.丙名单"]


def test_table_columns_fill_the_text_width():
    assert sum(COLUMN_WIDTHS_MM) == TEXT_WIDTH_MM == 156


def test_sizes_follow_the_chinese_type_scale():
    assert ty.pt("二号") == 22
    assert ty.pt("三号") == 16
    assert ty.pt("小四") == 12
    assert ty.pt("五号") == 10.5


# Word -----------------------------------------------------------------------------------------


def test_docx_has_title_number_body_and_signature(word, announcement):
    paragraphs = text_paragraphs(word)
    assert paragraphs[0].text == announcement.title
    assert paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert paragraphs[1].text == NUMBER
    assert paragraphs[1].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert paragraphs[2].text.startswith("根据《广东省服务型制造示范遴选管理办法》")
    assert paragraphs[4].text == "特此通告。"
    # GB/T 9704 7.3.4: the 附件说明 after an empty line, two characters in, later names under "1.".
    note = paragraphs[5:7]
    assert [p.text for p in note] == ["附件：1.服务型制造示范企业名单", "2.服务型制造示范平台名单"]
    assert [p.paragraph_format.left_indent for p in note] == [Pt(32), Pt(80)]
    issuer, issued_on = paragraphs[7:9]
    assert (issuer.text, issued_on.text) == ("广东省工业和信息化厅", "2024年12月20日")
    assert issuer.alignment == issued_on.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # The date four characters in from the right margin, the issuer centred above it.
    assert issued_on.paragraph_format.right_indent == Pt(64)
    # 2024年12月20日 is 7 characters wide (digits count half), 广东省工业和信息化厅 10.
    assert issuer.paragraph_format.right_indent == Pt(16 * (4 - (10 - 7) / 2))


def test_docx_puts_each_list_on_pages_of_its_own_headed_by_its_attachment_number(word):
    paragraphs = word.paragraphs
    labels = [p for p in paragraphs if p.style.name == "Heading 1"]
    assert [p.text for p in labels] == ["附件1", "附件2"]
    for label in labels:
        assert label.paragraph_format.page_break_before
        assert label.paragraph_format.first_line_indent is None  # flush left
        index = next(i for i, p in enumerate(paragraphs) if p._p is label._p)
        empty, title = paragraphs[index + 1 : index + 3]
        assert empty.text == ""
        assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert ty.east_asian_font(title.runs[0]) == "方正小标宋简体"
        assert title.runs[0].font.size == Pt(22)
    titles = [paragraphs[i + 2].text for i, p in enumerate(paragraphs) if p.style.name == "Heading 1"]
    assert titles == ["服务型制造示范企业名单", "服务型制造示范平台名单"]
    # The signature comes before the attachments, not after the last list.
    body = word.element.body
    signature = next(p for p in paragraphs if p.text == "2024年12月20日")
    assert list(body).index(signature._p) < list(body).index(labels[0]._p)


def test_an_announcement_of_one_category_has_one_unnumbered_attachment(announcement):
    announcement.units.filter(category="platform").delete()
    text = announcement_text(announcement)
    assert [(listed.label, listed.title) for listed in text.lists] == [("附件", "服务型制造示范企业名单")]
    assert text.attachment_note == ["附件：服务型制造示范企业名单"]


def test_docx_lists_each_category_in_a_table_by_position(word):
    enterprises, platforms = word.tables
    rows = [[cell.text for cell in row.cells] for row in enterprises.rows]
    assert rows[0] == ["序号", "单位名称", "所在地市", "有效期"]
    assert rows[1:] == [
        [str(position), name, city, "2025年1月1日至\n2027年12月31日"]
        for position, (name, _code, city) in enumerate(ENTERPRISES, 1)
    ]
    assert [row.cells[1].text for row in platforms.rows[1:]] == [name for name, *_ in PLATFORMS]
    header = enterprises.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None


def test_docx_names_the_official_fonts_and_sizes(word):
    paragraphs = text_paragraphs(word)
    title_run = paragraphs[0].runs[0]
    assert ty.east_asian_font(title_run) == "方正小标宋简体"
    assert title_run.font.size == Pt(22)
    for paragraph in paragraphs[1:9]:
        for run in paragraph.runs:
            assert ty.east_asian_font(run) == "仿宋_GB2312"
            assert run.font.size == Pt(16)
    body = paragraphs[2]
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert body.paragraph_format.line_spacing == Pt(28.95)
    headings = [p for p in paragraphs if p.style.name == "Heading 1"]
    for heading in headings:
        assert ty.east_asian_font(heading.runs[0]) == "黑体"
        assert heading.runs[0].font.size == Pt(16)
    assert ty.east_asian_font(word.styles["Heading 1"]) == "黑体"
    assert ty.east_asian_font(word.styles["Normal"]) == "仿宋_GB2312"
    table = word.tables[0]
    header_run = table.rows[0].cells[0].paragraphs[0].runs[0]
    cell_run = table.rows[1].cells[1].paragraphs[0].runs[0]
    assert (ty.east_asian_font(header_run), header_run.font.size) == ("黑体", Pt(12))
    assert (ty.east_asian_font(cell_run), cell_run.font.size) == ("仿宋_GB2312", Pt(12))


def test_set_word_fonts_drops_theme_fonts_that_would_win():
    document = docx.Document()
    style = document.styles["Title"]
    ty.set_word_fonts(style, ty.KAITI)
    fonts = style.element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "楷体_GB2312"
    assert fonts.get(qn("w:ascii")) == "Times New Roman"
    assert fonts.get(qn("w:eastAsiaTheme")) is None
    assert fonts.get(qn("w:asciiTheme")) is None


def test_docx_font_table_offers_alternatives_for_the_gb2312_faces(word):
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import parse_xml

    table = parse_xml(word.part.part_related_by(RELATIONSHIP_TYPE.FONT_TABLE).blob)
    fonts = {font.get(qn("w:name")): font for font in table.findall(qn("w:font"))}
    assert {"仿宋_GB2312", "黑体", "方正小标宋简体", "宋体"} <= set(fonts)
    alternative = fonts["仿宋_GB2312"].find(qn("w:altName"))
    assert alternative.get(qn("w:val")) == "仿宋"
    assert fonts["黑体"].find(qn("w:charset")).get(qn("w:val")) == "86"


def test_docx_page_is_a4_with_gbt_9704_margins_and_page_numbers(word):
    section = word.sections[0]
    # In whole millimetres: Word stores twentieths of a point.
    page = [round(length.mm) for length in (section.page_width, section.page_height)]
    assert page == [210, 297]
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(margin.mm) for margin in margins] == [37, 35, 28, 26]
    assert word.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        assert paragraph.alignment == alignment
        assert paragraph.text == "— 1 —"
        instructions = paragraph._p.findall(f".//{qn('w:instrText')}")
        assert [element.text for element in instructions] == [" PAGE "]


def test_docx_properties_name_issuer_and_fonts(word, announcement):
    properties = word.core_properties
    assert properties.title == announcement.title
    assert properties.author == "广东省工业和信息化厅"
    assert properties.subject == NUMBER
    assert "仿宋_GB2312" in properties.comments
    assert "cwTeXFangSong（其缺少的简体字以 AR PL KaitiM GB 补足）代替仿宋_GB2312" in properties.comments


# PDF ------------------------------------------------------------------------------------------


def test_pdf_prints_number_headings_and_every_unit(pdf, announcement):
    text = pdf_text(pdf)
    assert "关于公布2024年广东省服务型制造示范名单的通告" in text
    assert NUMBER in text
    assert (
        "特此通告。附件：1.服务型制造示范企业名单2.服务型制造示范平台名单广东省工业和信息化厅2024年12月20日"
        in text
    )
    for name, _code, city in ENTERPRISES + PLATFORMS:
        assert name in text
        assert city in text
    lists = text[text.index("附件1服务型制造示范企业名单") :]
    names = [name for name, *_ in ENTERPRISES + PLATFORMS]
    assert sorted(names, key=lists.index) == names
    # Each attachment starts a page of its own, its number first; page numbers run on.
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in pdf.pages]
    assert len(pages) == 3
    assert pages[1].startswith("附件1服务型制造示范企业名单序号单位名称")
    assert pages[2].startswith("附件2服务型制造示范平台名单")
    assert [page[-3:] for page in pages] == ["—1—", "—2—", "—3—"]


def test_pdf_is_a4_and_embeds_the_cjk_stand_in_fonts(pdf):
    width, height = (float(value) for value in pdf.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    fonts = embedded_fonts(pdf)
    names = {re.sub(r"^[A-Z]{6}\+", "", name.lstrip("/")) for name in fonts}
    assert {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC"} <= names
    assert all(files for files in fonts.values()), "every font is embedded"


def test_pdf_properties_name_issuer_and_the_substitute_fonts(pdf, announcement):
    metadata = pdf.metadata
    assert metadata.title == announcement.title
    assert metadata.author == "广东省工业和信息化厅"
    assert metadata.subject.startswith("字体说明：")
    assert "正文以 cwTeXFangSong（其缺少的简体字以 AR PL KaitiM GB 补足）代替仿宋_GB2312" in metadata.subject
    assert "一级标题以 Noto Sans CJK SC 代替黑体" in metadata.subject


def test_pdf_renders_without_weasyprint_complaints(announcement, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        announcement_pdf(announcement)
    assert caplog.records == []


def test_long_list_runs_over_pages_repeating_the_column_headings(announcement):
    officer = announcement.published_by
    for position in range(4, 41):
        unit(
            announcement,
            position,
            "enterprise",
            "示范企业",
            f"广东示范制造{position}有限公司",
            "440100",
            "广州市",
            officer,
        )
    reader = pypdf.PdfReader(io.BytesIO(announcement_pdf(announcement)))
    assert len(reader.pages) >= 4
    pages_with_table = [page.extract_text() for page in reader.pages[1:-1]]
    assert all("单位名称" in page for page in pages_with_table)
    assert "广东示范制造40有限公司" in pdf_text(reader)


def test_url_fetcher_refuses_everything_but_local_files_and_data(tmp_path):
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = ty.url_fetcher()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher("https://example.com/logo.png")
    page = tmp_path / "page.css"
    page.write_text("p { color: red }")
    assert fetcher(page.as_uri()).read() == b"p { color: red }"
    assert fetcher("data:text/plain;base64,5LiA").read() == "一".encode()
    with pytest.raises(FatalURLFetchingError):
        HTML(string='<img src="http://example.com/seal.png">', url_fetcher=fetcher).write_pdf()


# Views ----------------------------------------------------------------------------------------


@pytest.fixture
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("_empty_cache")
@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [
        (
            "documents:announcement_docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        ("documents:announcement_pdf", "application/pdf", "pdf"),
    ],
)
def test_anyone_downloads_the_announcement_under_its_chinese_name(
    client, announcement, name, content_type, extension
):
    url = reverse(name, kwargs={"pk": announcement.pk})
    assert url == f"/public/announcements/{announcement.pk}/announcement.{extension}"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    filename = quote(f"{NUMBER} {announcement.title}.{extension}")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"announcement-{announcement.pk}.{extension}\"; filename*=UTF-8''{filename}"
    )
    assert response.content[:4] == (b"%PDF" if extension == "pdf" else b"PK\x03\x04")


@pytest.mark.usefixtures("_empty_cache")
def test_second_download_is_served_from_the_cache(client, announcement, django_assert_num_queries):
    url = reverse("documents:announcement_docx", kwargs={"pk": announcement.pk})
    first = client.get(url).content
    # The announcement and its units' latest save, nothing for the document itself.
    with django_assert_num_queries(2):
        assert client.get(url).content == first


@pytest.mark.usefixtures("_empty_cache")
@pytest.mark.parametrize("name", ["documents:announcement_docx", "documents:announcement_pdf"])
def test_unknown_announcement_is_404(client, db, name):
    assert client.get(reverse(name, kwargs={"pk": 999999})).status_code == 404
