"""The 申报书: what it holds, and the Word and PDF files opened as a reader's software would."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx.oxml.ns import qn
from PIL import Image

from shifan.applications import services
from shifan.documents import book as books
from shifan.documents.typography import east_asian_font
from tests import factories
from tests.documents.conftest import PDF
from tests.documents.test_announcement import embedded_fonts, pdf_text
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

OUTPUT = Path("test-output/documents")


# What the book holds ----------------------------------------------------------------------------


def test_cover_ticks_the_category_and_names_the_city_bureau(snapshot, organisation):
    book = books.submitted_book(snapshot)
    assert book.unit_name == snapshot.answers["company_name"]
    assert [(box.label, box.ticked) for box in book.categories] == [("示范企业", True), ("示范平台", False)]
    assert book.recommender == f"{organisation.city.name}工业和信息化局"
    assert (book.year, book.table_label, book.table_title) == (2024, "表1-1", "服务型制造示范企业申报表")


def test_table_pairs_short_fields_and_prints_every_box(snapshot):
    book = books.submitted_book(snapshot)
    basic = book.sections[0]
    assert basic.title == "一、企业基本情况"
    first_row = basic.rows[0]
    assert [entry.label for entry in first_row] == ["企业名称", "统一社会信用代码"]
    assert first_row[1].text == snapshot.answers["credit_code"]
    entries = {entry.label: entry for section in book.sections for row in section.rows for entry in row}
    modes = entries["申报服务型制造示范企业模式（可多选）"]
    boxes = modes.groups[0].boxes
    assert len(boxes) == 10
    assert sum(box.ticked for box in boxes) == 2
    service_types = entries["服务类型（可多选）"]
    assert [group.label for group in service_types.groups] == [
        "研发设计阶段",
        "生产制造阶段",
        "品牌与服务阶段",
        "贯穿所有阶段",
    ]
    operating = entries["经营指标"].grid
    assert operating.header == ("经营指标", "2021年", "2022年", "2023年")
    # The computed share is printed as the form shows it, without a unit (the label has it).
    share = next(row for row in operating.rows if row[0] == "服务收入占比（%）")
    assert share[3] == snapshot.answers["operating"]["service_share"]["2023"] or share[3] == "30.00"
    # The commitment's fields print on its own page, not in the table.
    assert "负责人" not in entries
    assert "填报单位意见及真实性承诺" not in entries


def test_written_part_follows_the_outline_with_numbered_headings(snapshot):
    book = books.submitted_book(snapshot)
    headings = [(heading.level, heading.text) for passage in book.passages for heading in passage.headings]
    assert headings[:4] == [
        (1, "一、企业简介"),
        (1, "二、服务型制造发展现状"),
        (2, "（一）服务型制造企业战略制定情况"),
        (3, "1. 战略规划"),
    ]
    assert (3, "2. 组织架构调整") in headings
    assert (2, "（二）服务型制造业务开展情况") in headings
    assert (3, "1. 服务业务设计与实现流程") in headings
    assert headings[-1] == (1, "五、进一步发展思路和规划")
    assert all(passage.paragraphs for passage in book.passages)


def test_attachments_are_numbered_and_referenced_beside_their_answer(snapshot):
    book = books.submitted_book(snapshot)
    assert [(line.label, line.name, line.topic) for line in book.attachments] == [
        ("附件1：组织架构图", "组织架构图.pdf", "组织架构调整")
    ]
    restructuring = next(p for p in book.passages if any("组织架构调整" in h.text for h in p.headings))
    assert restructuring.evidence == ("附件1",)


def test_a_file_stored_before_titles_were_asked_for_goes_by_its_name(snapshot):
    snapshot.attachments = [{**record, "title": ""} for record in snapshot.attachments] + [
        {key: value for key, value in snapshot.attachments[0].items() if key != "title"}
    ]
    book = books.submitted_book(snapshot)
    assert [line.label for line in book.attachments] == ["附件1：组织架构图", "附件2：组织架构图"]


def test_attachment_list_keeps_long_titles_and_names_inside_the_text_area(application, applicant_admin):
    evidence = "strategy_planning"
    long_name = "A" * 90 + "证明材料" * 10 + ".pdf"
    services.add_attachment(
        actor=applicant_admin,
        application=application,
        field_key=evidence,
        uploaded=SimpleUploadedFile(long_name, PDF),
        title="广东省服务型制造示范企业" * 8,
    )
    pdf = books.book_pdf(books.draft_book(application))
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    page = next(page for page in boxes.split("<page ")[1:] if "附件清单" in page)
    right_edges = [float(edge) for edge in re.findall(r'xMax="([\d.]+)"', page)]
    text_right = (210 - 26) / 25.4 * 72  # the right margin, in points
    assert right_edges
    assert max(right_edges) <= text_right + 0.5
    assert "附件1：广东省服务型制造" in pdf_text(pypdf.PdfReader(io.BytesIO(pdf)))


def test_submitted_book_carries_number_digest_and_verification_link(snapshot, settings):
    book = books.submitted_book(snapshot)
    assert not book.is_draft
    verification = book.verification
    assert (verification.number, verification.short_digest) == (snapshot.number, snapshot.digest[:12])
    assert verification.url == f"{settings.SITE_URL}/verify/{snapshot.number}/{snapshot.digest[:12]}/"
    assert (book.commitment.responsible_person, book.commitment.date) == ("王建国", "2024年5月20日")
    assert books.book_filename(book, "pdf") == f"{snapshot.number} {book.unit_name} 申报书.pdf"


def test_draft_book_is_what_is_saved_now(application):
    book = books.draft_book(application)
    assert book.is_draft
    assert book.verification is None
    assert books.book_filename(book, "docx").startswith("草稿 ")
    assert book.attachments[0].name == "组织架构图.pdf"


def test_empty_draft_prints_unticked_boxes_and_blank_passages(applicant_admin):
    application = services.start_application(
        actor=applicant_admin, batch=factories.BatchFactory(), category="platform"
    )
    book = books.draft_book(application)
    assert book.table_label == "表1-2"
    assert all(not passage.paragraphs for passage in book.passages)
    # A section left with nothing to print (the platform's commitment) is not an empty heading.
    assert all(section.rows for section in book.sections)
    assert not any(box.ticked for box in book.categories if box.label == "示范企业")


# Word ------------------------------------------------------------------------------------------


def paragraphs_in(document, style):
    return [p for p in document.paragraphs if p.style.name == style and p.text.strip()]


def test_docx_names_the_official_fonts_and_sizes(snapshot):
    document = docx.Document(io.BytesIO(books.book_docx(books.submitted_book(snapshot))))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "广东省服务型制造示范遴选" in text
    assert "表1-1" in text
    assert "填报单位意见及真实性承诺" in text
    level1 = paragraphs_in(document, "Heading 1")
    level2 = paragraphs_in(document, "Heading 2")
    assert level1[0].text == "一、企业简介"
    assert level2[0].text == "（一）服务型制造企业战略制定情况"
    for paragraph, font, size in ((level1[0], "黑体", 16), (level2[0], "楷体_GB2312", 14)):
        run = paragraph.runs[0]
        assert east_asian_font(run) == font
        assert run.font.size.pt == size
    body = next(p for p in document.paragraphs if p.style.name == "Normal" and len(p.text) > 40)
    assert east_asian_font(body.runs[0]) == "仿宋_GB2312"
    assert body.runs[0].font.size.pt == 12
    assert body.paragraph_format.first_line_indent.pt == 24
    # Single spacing is the document default.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f".//{qn('w:spacing')}").get(qn("w:line")) == "240"


def test_docx_table_holds_every_filled_field(snapshot):
    document = docx.Document(io.BytesIO(books.book_docx(books.submitted_book(snapshot))))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert snapshot.answers["credit_code"] in cells
    assert "一、企业基本情况" in cells
    assert "三、主要申报内容" in cells
    assert any("☑" in text and "☐" in text for text in cells)
    assert "附件1：组织架构图" in cells


def test_docx_footer_has_number_digest_qr_and_page_count(snapshot):
    document = docx.Document(io.BytesIO(books.book_docx(books.submitted_book(snapshot))))
    footer = document.sections[0].footer
    xml = footer._element.xml
    assert snapshot.number in xml
    assert snapshot.digest[:12] in xml
    assert "NUMPAGES" in xml
    assert " PAGE " in xml
    assert footer.part.related_parts, "the QR code is an image related to the footer"
    properties = document.core_properties
    assert properties.subject == snapshot.number
    assert snapshot.digest in properties.keywords
    assert "仿宋_GB2312" in properties.comments
    assert "cwTeXFangSong" in properties.comments


def test_docx_draft_has_a_watermark_and_no_number(application):
    document = docx.Document(io.BytesIO(books.book_docx(books.draft_book(application))))
    header = document.sections[0].header._element.xml
    assert 'string="草稿"' in header
    assert "GD-SMD" not in document.sections[0].footer._element.xml
    assert document.core_properties.category == "申报书（草稿）"


# PDF -------------------------------------------------------------------------------------------


def test_pdf_prints_number_and_digest_on_every_page_and_embeds_cjk_fonts(snapshot):
    reader = pypdf.PdfReader(io.BytesIO(books.book_pdf(books.submitted_book(snapshot))))
    assert len(reader.pages) >= 6
    for number, page in enumerate(reader.pages, start=1):
        text = re.sub(r"\s+", "", page.extract_text())
        assert snapshot.number in text
        assert snapshot.digest[:12] in text
        assert f"第{number}页共{len(reader.pages)}页" in text
    fonts = embedded_fonts(reader)
    names = " ".join(fonts)
    for family in ("Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC", "AR-PL-KaitiM-GB", "DejaVu-Sans"):
        assert family in names, names
    assert all(files for files in fonts.values()), "every font is embedded"
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    whole = pdf_text(reader)
    assert "一、企业简介" in whole
    assert "（一）服务型制造企业战略制定情况" in whole
    assert "附件清单" in whole
    metadata = reader.metadata
    assert snapshot.digest in metadata["/Keywords"]
    assert "以 cwTeXFangSong（其缺少的简体字以 AR PL KaitiM GB 补足）代替仿宋_GB2312" in metadata["/Subject"]


def sizes_in_points(page):
    """Return {text: font size in points} of a PDF page (WeasyPrint sets sizes in CSS pixels)."""
    sizes = {}

    def visit(text, _cm, _tm, _font, size):
        if text.strip():
            sizes[text.strip()] = round(size * 0.75, 1)

    page.extract_text(visitor_text=visit)
    return sizes


def sized_characters(page):
    """Return a page's text and each character's size in points, in drawing order.

    The body face's gaps are filled from another font, so a line is drawn as several runs.
    """
    text, sizes = [], []

    def visit(run, _cm, _tm, _font, size):
        text.append(run)
        sizes.extend([round(size * 0.75, 1)] * len(run))

    page.extract_text(visitor_text=visit)
    return "".join(text), sizes


def test_pdf_sets_the_prescribed_sizes_and_a_qr_code_of_the_verification_link(snapshot):
    import segno

    book = books.submitted_book(snapshot)
    reader = pypdf.PdfReader(io.BytesIO(books.book_pdf(book)))
    sizes = next(found for page in reader.pages if "一、企业简介" in (found := sizes_in_points(page)))
    assert sizes["一、企业简介"] == 16  # level 1: 三号
    assert sizes["（一）服务型制造企业战略制定情况"] == 14  # level 2: 四号
    page = next(page for page in reader.pages if "一、企业简介" in sizes_in_points(page))
    text, character_sizes = sized_characters(page)
    starts = [match.start() for match in re.finditer("一、总体情况。", text)]
    assert starts  # every written answer opens with its 总体情况
    assert {size for start in starts for size in character_sizes[start : start + 7]} == {12}  # body: 小四
    assert sizes[f"摘要 {snapshot.digest[:12]}"] == 9  # the footer: 小五
    # The QR code in the corner is the verification link, module for module.
    image = reader.pages[0].images[0].image.convert("1")
    matrix = segno.make(book.verification.url, error="m").matrix
    scale = image.size[0] // len(matrix)
    printed = [
        [
            image.getpixel((column * scale + scale // 2, row * scale + scale // 2)) == 0
            for column in range(len(matrix))
        ]
        for row in range(len(matrix))
    ]
    assert printed == [[bool(module) for module in row] for row in matrix]


def test_pdf_draft_is_marked_on_every_page(application):
    reader = pypdf.PdfReader(io.BytesIO(books.book_pdf(books.draft_book(application))))
    for page in reader.pages:
        text = re.sub(r"\s+", "", page.extract_text())
        assert "草稿" in text
        assert "GD-SMD" not in text


def test_pdf_page_images_are_kept_under_test_output(snapshot):
    """Render the book's pages as images for people to look at (test-output/documents)."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: `make install` installs poppler-utils")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    source = OUTPUT / "book-enterprise.pdf"
    source.write_bytes(books.book_pdf(books.submitted_book(snapshot)))
    for old in OUTPUT.glob("book-enterprise-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(source), str(OUTPUT / "book-enterprise-page")], check=True
    )
    pages = sorted(OUTPUT.glob("book-enterprise-page-*.png"))
    assert len(pages) >= 6
    for page in pages:
        with Image.open(page) as image:
            darkest, lightest = image.convert("L").getextrema()
            assert darkest < 100 < lightest, f"{page} looks blank"


# Downloads -------------------------------------------------------------------------------------


def body(response) -> bytes:
    """Return a download's bytes: a submitted book is streamed from its stored file, which the
    test client closes once the stream is read."""
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("_empty_cache")
def test_city_officer_downloads_the_submitted_book(client, snapshot, organisation):
    officer = factories.CityOfficerFactory(city_code=organisation.city_code)
    login_verified(client, officer)
    url = reverse("documents:book_pdf", args=[snapshot.application_id, snapshot.sequence])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert body(response).startswith(b"%PDF")
    assert "filename*=UTF-8''GD-SMD-2024-E-0001" in response["Content-Disposition"]
    docx_response = client.get(reverse("documents:book_docx", args=[snapshot.application_id, 1]))
    assert docx_response.status_code == 200
    assert body(docx_response).startswith(b"PK")
    # Officers have no drafts to print.
    assert client.get(reverse("documents:draft_pdf", args=[snapshot.application_id])).status_code == 404


@pytest.mark.usefixtures("_empty_cache")
def test_submitted_book_is_made_once(client, snapshot, applicant_admin, django_assert_max_num_queries):
    login_verified(client, applicant_admin)
    url = reverse("documents:book_docx", args=[snapshot.application_id, snapshot.sequence])
    first = body(client.get(url))
    with django_assert_max_num_queries(12):
        assert body(client.get(url)) == first


def test_applicant_downloads_the_draft(client, application, applicant_admin):
    login_verified(client, applicant_admin)
    response = client.get(reverse("documents:draft_docx", args=[application.pk]))
    assert response.status_code == 200
    assert (
        "草稿" in response["Content-Disposition"] or "%E8%8D%89%E7%A8%BF" in response["Content-Disposition"]
    )
    document = docx.Document(io.BytesIO(response.content))
    assert 'string="草稿"' in document.sections[0].header._element.xml


def test_other_cities_and_other_applicants_cannot_download(client, snapshot):
    url = reverse("documents:book_pdf", args=[snapshot.application_id, snapshot.sequence])
    login_verified(client, factories.CityOfficerFactory(city_code="445300"))
    assert client.get(url).status_code == 404
    client.logout()
    login_verified(client, factories.MembershipFactory().user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("documents:draft_pdf", args=[snapshot.application_id])).status_code == 404
    assert client.get(reverse("documents:book_pdf", args=[snapshot.application_id, 9])).status_code == 404


def test_declarations_print_as_ticked_boxes_in_both_formats(snapshot):
    book = books.submitted_book(snapshot)
    declarations = [entry for row in book.declarations.rows for entry in row]
    assert len(declarations) == 4
    assert all(
        [(box.label, box.ticked) for box in entry.groups[0].boxes] == [("是", True), ("否", False)]
        for entry in declarations
    )
    document = docx.Document(io.BytesIO(books.book_docx(book)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for entry in declarations:
        assert cells[cells.index(entry.label) + 1] == "☑ 是  ☐ 否"


def test_official_table_holds_only_the_forms_rows_and_the_supplement_the_rest(snapshot):
    book = books.submitted_book(snapshot)
    operations = next(section for section in book.sections if section.title == "二、经营管理状况")
    official_rows = [cells[0] for cells in operations.rows[0][0].grid.rows]
    assert "营业收入（万元）" in official_rows
    assert "主营业务收入（万元）" not in official_rows
    assert [section.title for section in book.supplement] == ["二、经营管理状况"]
    (grid_entry,) = book.supplement[0].rows[0]
    assert [cells[0] for cells in grid_entry.grid.rows] == ["主营业务收入（万元）"]
    assert grid_entry.grid.header == operations.rows[0][0].grid.header

    text = pdf_text(pypdf.PdfReader(io.BytesIO(books.book_pdf(book))))
    table_part = text[text.index("表1-1") : text.index("文字说明附后。")]
    assert table_part.index("申报条件声明") < table_part.index("补充信息") < table_part.index("主营业务收入")
    assert table_part.count("主营业务收入") == 1
    document = docx.Document(io.BytesIO(books.book_docx(book)))
    # Each top-level table's text, with the tables nested in its cells.
    tables = ["".join(table._tbl.itertext()) for table in document.tables]
    assert [books.SUPPLEMENT_TITLE in text for text in tables].count(True) == 1
    assert ["主营业务收入" in text for text in tables] == [books.SUPPLEMENT_TITLE in text for text in tables]


def test_platform_supplement_holds_the_operation_date_shared_manufacturing_and_figures(applicant_admin):
    application = services.start_application(
        actor=applicant_admin, batch=factories.BatchFactory(), category="platform"
    )
    book = books.draft_book(application)
    official = {entry.label for section in book.sections for row in section.rows for entry in row}
    added = {entry.label for section in book.supplement for row in section.rows for entry in row}
    assert {"正式投入运营日期", "共享制造平台具备的功能（可多选）", "共享制造模式说明", "经营指标"} == added
    assert not official & added
    assert "服务型制造主要模式（大类二选一）" in official
    assert "三、经营管理状况" not in {section.title for section in book.sections}


def test_long_text_in_the_table_keeps_its_paragraphs(applicant_admin):
    application = services.start_application(
        actor=applicant_admin, batch=factories.BatchFactory(), category="platform"
    )
    services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=0,
        values={"shared_description": "一、总体情况。\n二、主要做法。"},
    )
    application.refresh_from_db()
    book = books.draft_book(application)
    assert "一、总体情况。<br>二、主要做法。" in books.book_html(book)
    document = docx.Document(io.BytesIO(books.book_docx(book)))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "一、总体情况。\n二、主要做法。" in cells
