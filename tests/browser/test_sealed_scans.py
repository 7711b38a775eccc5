"""The sealed commitment page and the public verification, walked through the pages.

The applicant uploads the scan of a submitted application; the city sees it; the applicant
withdraws and resubmits; the city sees that the scan belongs to the older version. Anyone checks
a printed book's number and digest on the public page: the current one, an older one, an unknown one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (
    GUANGZHOU,
    VALID_CODE,
    allow_console_error,
    log_in,
    log_in_officer,
    officer_with_device,
    shot,
)
from tests.browser.test_city_review import submitted_application

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NAME = "广州示范制造有限公司"
SCAN_NAME = "盖章承诺页.pdf"


def application_for_test(batch: Any) -> Any:
    return submitted_application(
        batch, admin_email="admin@example.com", admin_name="陈管理", name=NAME, credit_code=VALID_CODE
    )


def open_in_queue(page: Any) -> None:
    page.get_by_role("link", name="申报审核", exact=True).click()
    expect(page.locator("h1")).to_have_text("广州市申报审核")


def test_applicant_uploads_the_sealed_scan_city_sees_it_and_then_the_mismatch(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    batch = factories.BatchFactory()
    application = application_for_test(batch)
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )
    base = live_server.url
    applicant_page, city_page = new_page(), new_page()
    for each in (applicant_page, city_page):
        each.on("dialog", lambda dialog: dialog.accept())

    # 1. The applicant reads the steps and uploads the scan of the printed, sealed page.
    page = applicant_page
    log_in(page, base, "admin@example.com")
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()
    page.goto(f"{base}/applications/{application.pk}/")
    panel = page.locator("[data-testid=sealed-scan]")
    expect(panel.locator("[data-testid=sealed-scan-status]")).to_have_attribute("data-state", "missing")
    expect(panel).to_contain_text("打印最后一页《真实性承诺》")
    expect(panel).to_contain_text("加盖申报单位公章，由负责人签章")
    shot(page, "applicant-before-upload")
    # A text file named .pdf is refused beside the field.
    fake = tmp_path / "假的.pdf"
    fake.write_text("这不是扫描件。", encoding="utf-8")
    allow_console_error(page, r"status of 400")
    panel.locator("#id_file").set_input_files(fake)
    panel.get_by_role("button", name="上传扫描件").click()
    expect(page.locator("#id_file-error")).to_contain_text("扩展名为 .pdf 但内容不是 PDF")
    shot(page, "applicant-refused")
    scan = tmp_path / SCAN_NAME
    scan.write_bytes(PDF)
    page.locator("[data-testid=sealed-scan] #id_file").set_input_files(scan)
    page.locator("[data-testid=sealed-scan]").get_by_role("button", name="上传扫描件").click()
    expect(page.locator(".alert-success")).to_contain_text("盖章页扫描件已上传，对应第 1 次提交")
    status = page.locator("[data-testid=sealed-scan-status]")
    expect(status).to_have_attribute("data-state", "current")
    expect(status).to_contain_text(SCAN_NAME)
    expect(page.locator("[data-testid=sealed-scan-history] tbody tr")).to_have_count(1)
    shot(page, "applicant-uploaded")

    # 2. The city sees the scan in its queue and on the application, and can open it.
    page = city_page
    log_in_officer(page, base, city, "[data-testid=city-home]")
    open_in_queue(page)
    row = page.locator("[data-testid=queue-row]").filter(has_text=NAME)
    expect(row.locator("[data-testid=scan-badge]")).to_have_attribute("data-state", "current")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/review/applications/\d+/$"))
    status = page.locator("[data-testid=review-panel] [data-testid=sealed-scan-status]")
    expect(status).to_have_attribute("data-state", "current")
    expect(status).to_contain_text("已上传（对应当前版本，第 1 次提交")
    href = status.get_by_role("link", name=SCAN_NAME).get_attribute("href")
    response = page.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == PDF
    shot(page, "city-sees-scan")

    # 3. The applicant withdraws and submits again, without a new scan.
    page = applicant_page
    page.goto(f"{base}/applications/{application.pk}/")
    page.get_by_role("button", name="撤回申报书").click()
    expect(page.locator("[data-testid=application-state]")).to_have_text("已撤回")
    expect(page.locator("[data-testid=sealed-scan-reason]")).to_contain_text("申报书已撤回，请重新提交后")
    page.get_by_role("link", name="检查并提交").click()
    page.get_by_role("button", name="提交申报书").click()
    expect(page.locator("[data-testid=application-state]")).to_have_text("已提交")
    expect(page.locator("[data-testid=sealed-scan-status]")).to_have_attribute("data-state", "stale")
    expect(page.locator("[data-testid=sealed-scan-renew]")).to_contain_text("请下载第 2 次提交的申报书")
    shot(page, "applicant-stale")

    # 4. The city sees that the scan is of the first submission.
    second = application.snapshots.get(sequence=2)
    first = application.snapshots.get(sequence=1)
    on = timezone.localtime(second.submitted_at)
    warning = (
        f"盖章页扫描件对应第 1 次提交（摘要 {first.short_digest}），申报书已于 "
        f"{on.year}年{on.month}月{on.day}日 重新提交为第 2 次，扫描件与当前版本不一致。"
    )
    page = city_page
    open_in_queue(page)
    row = page.locator("[data-testid=queue-row]").filter(has_text=NAME)
    expect(row.locator("[data-testid=scan-badge]")).to_have_attribute("data-state", "stale")
    expect(row).to_contain_text("盖章页与当前版本不一致")
    shot(page, "city-queue-stale")
    row.get_by_role("link").click()
    status = page.locator("[data-testid=review-panel] [data-testid=sealed-scan-status]")
    expect(status).to_have_attribute("data-state", "stale")
    expect(status).to_have_class(re.compile(r"alert-warning"))
    expect(status).to_contain_text(warning)
    shot(page, "city-sees-mismatch")


def test_anyone_verifies_a_printed_book_by_number_and_digest(live_server: Any, page: Any) -> None:
    from shifan.applications import services

    cache.clear()  # the lookups per minute are counted per address
    batch = factories.BatchFactory()
    application = application_for_test(batch)
    admin = application.organisation.memberships.get().user
    services.withdraw_application(actor=admin, application=application, reason="补充材料")
    application.refresh_from_db()
    services.submit_application(actor=admin, application=application)
    first, second = application.snapshots.get(sequence=1), application.snapshots.get(sequence=2)
    base = live_server.url
    allow_console_error(page, r"status of 400")

    def verify(number: str, digest: str) -> Any:
        page.locator("#id_number").fill(number)
        page.locator("#id_digest").fill(digest)
        page.get_by_role("button", name="核验").click()
        return page.locator("[data-testid=verify-result]")

    page.goto(f"{base}/verify/")
    expect(page.locator("h1")).to_have_text("申报书核验")
    shot(page, "empty")

    result = verify(f" {second.number.lower()} ", second.short_digest.upper())
    expect(result).to_have_attribute("data-outcome", "current")
    expect(result).to_contain_text("最新的提交版本")
    expect(result).to_contain_text(f"申报编号 {second.number} 的第 2 次提交")
    # The unit's name and the page count, to compare with the paper; nothing of the content.
    expect(result).to_contain_text(f"申报单位：{NAME}")
    expect(result).to_contain_text(re.compile(r"共 \d+ 页"))
    shot(page, "current")

    result = verify(first.number, first.short_digest)
    expect(result).to_have_attribute("data-outcome", "old")
    expect(result).to_contain_text("旧版本")
    expect(result).to_contain_text("第 1 次提交")
    expect(result).to_contain_text("重新提交为第 2 次提交")
    shot(page, "old")

    result = verify(first.number, "0123456789ab")
    expect(result).to_have_attribute("data-outcome", "unknown")
    expect(result).to_contain_text("无法核验")
    shot(page, "unknown")

    verify(first.number, "12345")
    expect(page.locator("#id_digest-error")).to_contain_text("摘要应为 12 位或 64 位十六进制字符")
    expect(page.locator("[data-testid=verify-result]")).to_have_count(0)
    shot(page, "bad-digest")

    # The link of the QR code printed on every page of the second book.
    page.goto(f"{base}/verify/{second.number}/{second.short_digest}/")
    expect(page.locator("[data-testid=verify-result]")).to_have_attribute("data-outcome", "current")
    expect(page.locator("#id_number")).to_have_value(second.number)
    shot(page, "qr-link")
