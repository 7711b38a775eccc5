"""The 申报书 downloaded from the pages: the applicant's draft, then the submitted book by the city.

The applicant prints the draft from the application page (草稿 on every page, no number), submits
through the services, and downloads the submitted book, whose every page carries the number and
the digest shown on the page; the city officer downloads the same book from the submitted version.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (
    GUANGZHOU,
    log_in,
    log_in_officer,
    make_organisation,
    officer_with_device,
    shot,
)

pytestmark = pytest.mark.browser


def pages_text(path: Path) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def download(page: Any, locator: Any, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        locator.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_applicant_prints_the_draft_then_the_submitted_book_the_city_downloads_it(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    import docx

    from shifan.applications import services
    from shifan.applications.answers import prefill_answers
    from shifan.demo.answers import complete_answers

    batch = factories.BatchFactory()
    membership = make_organisation()
    organisation, admin = membership.organisation, membership.user
    application = services.start_application(actor=admin, batch=batch, category="enterprise")
    answers = {**complete_answers(application.form), **prefill_answers(application.form, organisation)}
    services.save_answers(actor=admin, application=application, base_version=0, values=answers)
    base = live_server.url

    # 1. The draft, from the application page.
    page = new_page()
    log_in(page, base, admin.email)
    page.goto(f"{base}/applications/{application.pk}/")
    card = page.locator("[data-testid=book-downloads]")
    expect(card).to_contain_text("草稿")
    shot(page, "application-page-draft")
    draft = download(page, card.get_by_role("link", name="草稿 PDF", exact=True), tmp_path)
    assert draft.name.startswith("草稿 ")
    texts = pages_text(draft)
    assert len(texts) >= 6
    assert all("草稿" in text and "GD-SMD" not in text for text in texts)
    word = download(page, card.get_by_role("link", name="草稿 Word"), tmp_path)
    assert 'string="草稿"' in docx.Document(str(word)).sections[0].header._element.xml

    # 2. Submitted: the book carries the number and the digest the page shows.
    application.refresh_from_db()
    blank = io.BytesIO()
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(blank)
    services.add_attachment(
        actor=admin,
        application=application,
        field_key="strategy_planning",
        uploaded=SimpleUploadedFile("规划.pdf", blank.getvalue()),
        title="发展规划",
    )
    snapshot = services.submit_application(actor=admin, application=application)
    page.reload()
    expect(card).to_contain_text(snapshot.short_digest)
    shot(page, "application-page-submitted")
    book = download(page, card.get_by_role("link", name="PDF", exact=True), tmp_path)
    assert book.name.startswith(snapshot.number)
    for text in pages_text(book):
        assert snapshot.number in text
        assert snapshot.short_digest in text
    # With its attachments: the book, then 附件1 on a page of its own, with the same footer.
    whole = download(page, card.get_by_role("link", name="PDF（含附件）"), tmp_path / "whole")
    assert whole.name.endswith("（含附件）.pdf")
    texts = pages_text(whole)
    assert texts[:-1] == pages_text(book)
    assert texts[-1].startswith("附件1：发展规划")
    assert snapshot.short_digest in texts[-1]

    # 3. The city officer downloads it from the submitted version's page.
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )
    officer_page = new_page()
    log_in_officer(officer_page, base, city, "[data-testid=city-home]")
    officer_page.goto(f"{base}/applications/{application.pk}/snapshots/{snapshot.sequence}/")
    expect(officer_page.locator("[data-testid=snapshot-digest]")).to_have_text(snapshot.short_digest)
    shot(officer_page, "snapshot-page")
    same = download(officer_page, officer_page.locator("[data-testid=snapshot-book-pdf]"), tmp_path / "city")
    assert pages_text(same) == pages_text(book)
