"""An oversized file and an Office file expanding to a gigabyte, refused beside the attachment field;
a save or an upload refused for its size before any view (413) is said so on the application form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import archives, factories
from tests.browser.conftest import allow_console_error, make_organisation, shot
from tests.browser.test_application_form import log_in_applicant, upload, wait_saved, write_pdf

pytestmark = pytest.mark.browser

MEGABYTE = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_an_oversized_attachment_is_refused_beside_the_field(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    from shifan.applications import services
    from shifan.applications.models import Attachment

    batch = factories.BatchFactory()
    admin = make_organisation()
    application = services.start_application(actor=admin.user, batch=batch, category="enterprise")
    base = live_server.url
    log_in_applicant(page, base)
    page.goto(f"{base}/applications/{application.pk}/sections/written_status/")
    slot = page.locator('[data-attachments-for="strategy_planning"]')
    error = slot.locator("[data-testid=upload-error]")

    big = tmp_path / "战略规划扫描件.pdf"
    big.write_bytes(PDF + bytes(25 * MEGABYTE))
    # Each file goes with its title; the slot comes back empty after a refusal.
    slot.get_by_label("附件标题").fill("战略规划")
    slot.locator("input[type=file]").set_input_files(big)
    expect(error).to_have_text("文件过大：25.1 MB，上限 20 MB。", timeout=30_000)
    shot(page, "oversized-refused")

    bomb = tmp_path / "战略规划.docx"
    bomb.write_bytes(archives.gigabyte_docx())
    slot.get_by_label("附件标题").fill("战略规划")
    page.locator('[data-attachments-for="strategy_planning"] input[type=file]').set_input_files(bomb)
    expect(
        page.locator('[data-attachments-for="strategy_planning"] [data-testid=upload-error]')
    ).to_have_text("文件解压后共 1024.1 MB，超过 200 MB 上限：压缩后展开超过 200 MB 的文件不予接收。")
    shot(page, "expanding-refused")
    assert not Attachment.objects.filter(application=application).exists()

    # The slot still takes an ordinary file afterwards.
    upload(page, "strategy_planning", write_pdf(tmp_path, "战略文件.pdf"))
    assert Attachment.objects.filter(application=application).count() == 1


def test_a_save_or_an_upload_refused_as_too_large_is_said_so(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    from shifan.applications import services

    admin = make_organisation()
    application = services.start_application(
        actor=admin.user, batch=factories.BatchFactory(), category="enterprise"
    )
    base = live_server.url
    log_in_applicant(page, base)
    page.goto(f"{base}/applications/{application.pk}/sections/written_status/")
    allow_console_error(page, r"status of 413")

    # More than the 5 MB of text a request may carry: Django answers 413 before the save view.
    text = page.locator('textarea[name="strategy_planning"]')
    text.evaluate("(area, length) => { area.value = '字'.repeat(length); }", 2 * MEGABYTE)
    text.dispatch_event("input")
    status = page.locator("[data-testid=autosave-status]")
    expect(status).to_have_attribute("data-state", "error", timeout=30_000)
    expect(status).to_contain_text("填写的内容超过服务器接收的上限，未能保存，请删减后再试。")
    text.evaluate("area => { area.value = '企业制定了服务型制造发展战略。'; }")
    text.dispatch_event("input")
    wait_saved(page)

    # The reverse proxy refuses a body over its limit with its own 413, before the server sees it.
    page.route("**/attachments/", lambda route: route.fulfill(status=413, body="Request Entity Too Large"))
    with page.expect_event("dialog") as dialog_info:
        page.locator('[data-attachments-for="strategy_planning"] input[type=file]').set_input_files(
            write_pdf(tmp_path, "战略文件.pdf")
        )
    dialog = dialog_info.value
    assert dialog.message == "上传失败：文件超过服务器接收的上限。"
    dialog.accept()
