"""Public notice, an objection and the announcement walked through the pages.

A batch's proposed list is fixed through the factories. In the browser the province publishes the
notice from today, after checking the computed end date; a visitor without an account opens the
public list and the notice, objects to a unit (reading the CAPTCHA's answer from the database by
the key in the page), gets a reference and looks it up; the province asks the unit to explain and
dismisses the objection. The notice's dates are then moved into the past in the database: the
pages must show the period as over by themselves, and the province publishes the announcement and
lands on its public page, whose PDF and Word files download.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import allow_console_error, log_in_officer, officer_with_device, shot
from tests.publicity.conftest import proposed

pytestmark = pytest.mark.browser

UNITS = ["广州智造装备有限公司", "深圳云链科技有限公司", "佛山共享制造服务有限公司"]
PHONE = "13800138000"
GROUNDS = "该企业2023年发生较大安全生产事故，与申报材料所述不符，请核查。"
NUMBER = "粤工信融合函〔2026〕12号"


def day(value: Any) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


@pytest.mark.django_db(transaction=True)
def test_notice_objection_and_announcement(live_server, new_page, tmp_path):
    from captcha.models import CaptchaStore
    from django.utils import timezone

    from shifan.expert_review.models import ProposedList
    from shifan.publicity.models import Inquiry, Notice, Objection, ObjectionState

    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    batch = factories.BatchFactory()
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province)
    proposed(batch, city_code="440100", name=UNITS[0])
    proposed(batch, city_code="440300", name=UNITS[1])
    proposed(batch, city_code="440600", category="platform", name=UNITS[2])
    today = timezone.localdate()
    base = live_server.url

    # 1. The province publishes the notice from today, after checking the end date.
    page = province_page = new_page()
    log_in_officer(page, base, province, "[data-testid=province-home]")
    page.get_by_role("link", name="公示公布", exact=True).click()
    expect(page).to_have_url(f"{base}/manage/publicity/")
    page.get_by_role("link", name="发布公示", exact=True).click()
    expect(page).to_have_url(f"{base}/manage/publicity/batches/{batch.pk}/notice/")
    for name in UNITS:
        expect(page.locator("main")).to_contain_text(name)
    page.locator("#id_starts_on").fill(today.isoformat())
    page.locator("#id_contact_phone").fill("020-83133333")
    page.locator("[data-testid=preview-period]").click()
    expect(page.locator("[data-testid=period]")).to_contain_text("截止日期：")
    end_text = page.locator("[data-testid=period] strong").inner_text()
    expect(page.locator("#id_contact_phone")).to_have_value("020-83133333")
    shot(page, "publicity-notice-form")
    if page.locator("#id_accept_uncovered").count():  # late December: the next year may be uncovered
        page.locator("#id_accept_uncovered").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=publish-notice]").click()
    expect(page.locator(".alert-success")).to_contain_text("公示已发布")
    notice = Notice.objects.get(batch=batch)
    assert day(notice.ends_on) == end_text
    expect(page).to_have_url(f"{base}/manage/publicity/notices/{notice.pk}/")
    expect(page.locator("[data-testid=notice-phase]")).to_have_text("公示中")

    # 2. A visitor opens the notice and objects to a unit.
    page = new_page()
    page.goto(f"{base}/public/notices/")
    page.get_by_role("link", name=re.compile(notice.title)).click()
    expect(page).to_have_url(f"{base}/public/notices/{notice.pk}/")
    expect(page.locator("h1")).to_have_text(notice.title)
    expect(page.locator("[data-testid=notice-phase]")).to_have_text("公示中")
    expect(page.locator("main")).to_contain_text(f"{day(notice.starts_on)} 至 {end_text}")
    expect(page.locator("main")).to_contain_text("020-83133333")
    shot(page, "publicity-notice")
    row = page.locator("tr").filter(has_text=UNITS[1])
    expect(row).to_contain_text("深圳市")
    row.get_by_role("link", name="提出异议").click()
    expect(page.locator("#id_entry option:checked")).to_contain_text(UNITS[1])
    expect(page.locator("#id_credit_code")).to_be_hidden()  # a person's fields by default
    # Sent blank: the real-name rule beside the name, not a bare "required".
    allow_console_error(page, r"status of 400 \(Bad Request\) \(http://[^/]+/public/notices/\d+/objection/")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("#group-id_name .invalid-feedback")).to_contain_text("匿名异议不予受理")
    expect(page.locator("main")).not_to_contain_text("这个字段是必填项")
    shot(page, "publicity-blank-objection")
    page.locator("#id_name").fill("张明")
    page.locator("#id_phone").fill(PHONE)
    page.locator("#id_grounds").fill(GROUNDS)
    key = page.locator("input[name=captcha_0]").input_value()
    page.locator("input[name=captcha_1]").fill(CaptchaStore.objects.get(hashkey=key).response)
    shot(page, "publicity-objection-form")
    page.get_by_role("button", name="提交异议").click()
    reference = page.locator("[data-testid=objection-reference]")
    expect(reference).to_have_text(re.compile(r"^YY2024-\w{4}-\w{4}$"))
    reference_text = reference.inner_text()
    expect(page.locator("main")).to_contain_text(UNITS[1])
    shot(page, "publicity-objection-received")

    page.get_by_role("link", name="异议查询").first.click()
    page.locator("#id_reference").fill(reference_text)
    page.locator("#id_phone").fill(PHONE)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("[data-testid=objection-state]")).to_have_text("已受理，待核查")
    shot(page, "publicity-status")
    visitor = page

    # 3. The province asks the unit to explain and dismisses the objection.
    page = province_page
    page.goto(f"{base}/manage/publicity/notices/{notice.pk}/")
    rows = page.locator("[data-testid=objection-row]")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("张明")
    rows.get_by_role("link", name=reference_text).click()
    expect(page.locator("main")).to_contain_text(GROUNDS)
    page.locator("#id_addressee").select_option("unit")
    page.locator("#id_question").fill("请说明2023年安全生产情况，并提供应急管理部门证明。")
    page.get_by_role("button", name="发出核查请求").click()
    expect(page.locator(".alert-success")).to_contain_text("核查请求已发出")
    expect(page.locator("[data-testid=inquiry]")).to_contain_text("被异议单位")
    expect(page.locator("[data-testid=objection-state]")).to_have_text("核查中")
    assert Inquiry.objects.filter(objection__reference=reference_text).count() == 1
    page.locator("#id_decision_findings").fill("经向应急管理部门核实，该事故发生在2019年，不在近三年内。")
    page.get_by_label("异议不成立，保留在名单中").check()
    page.locator("#id_decision_reason").fill("所反映的事故不在申报条件规定的近三年内，异议不成立。")
    shot(page, "publicity-objection")
    # The inquiry is unanswered: deciding asks first, beside a checkbox.
    allow_console_error(
        page, r"status of 400 \(Bad Request\) \(http://[^/]+/manage/publicity/objections/\d+/decide/"
    )
    expect(page.locator("[data-testid=unanswered-warning]")).to_contain_text("还有 1 项核查尚未答复")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=decide]").click()
    expect(page.locator("#group-id_decision_despite_unanswered")).to_contain_text("请等待答复，或勾选此项")
    assert Objection.objects.get(reference=reference_text).state != ObjectionState.DISMISSED
    shot(page, "publicity-decision-waits-for-the-inquiry")
    page.get_by_label("不待核查答复，现在处理").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=decide]").click()
    expect(page.locator(".alert-success")).to_contain_text("异议已处理")
    expect(page).to_have_url(f"{base}/manage/publicity/notices/{notice.pk}/")
    assert Objection.objects.get(reference=reference_text).state == ObjectionState.DISMISSED
    # Still open: the announcement waits for the end of the period.
    expect(page.locator("[data-testid=announcement-refusal]")).to_contain_text("期满后才能发布认定通告")

    visitor.reload()
    expect(visitor.locator("[data-testid=objection-state]")).to_have_text("异议不成立")
    expect(visitor.locator("main")).to_contain_text("异议不成立。")

    # 4. The period is over (moved in the database): the pages say so without any worker.
    Notice.objects.filter(pk=notice.pk).update(
        starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=20)
    )
    page.get_by_role("link", name="公示公布", exact=True).click()
    expect(page.locator("main")).to_contain_text("公示期满")
    page.get_by_role("link", name=notice.title).click()
    expect(page.locator("[data-testid=notice-phase]")).to_have_text("公示期满")
    page.locator("[data-testid=announce]").click()
    expect(page).to_have_url(f"{base}/manage/publicity/notices/{notice.pk}/announce/")
    page.locator("#id_number").fill(NUMBER)
    expect(page.locator("#id_issued_on")).to_have_value(today.isoformat())
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=publish-announcement]").click()

    # 5. The public announcement with the recognised units and its files.
    expect(page).to_have_url(re.compile(r"/public/announcements/\d+/$"))
    expect(page.locator("h1")).to_contain_text("2024年广东省服务型制造示范名单的通告")
    expect(page.locator("main")).to_contain_text(NUMBER)
    for name in UNITS:
        expect(page.locator("main")).to_contain_text(name)
    expect(page.locator("main")).to_contain_text("示范企业（2 家）")
    expect(page.locator("main")).to_contain_text("示范平台（1 家）")
    shot(page, "publicity-announcement")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 PDF").click()
    pdf = tmp_path / "announcement.pdf"
    download_info.value.save_as(pdf)
    assert download_info.value.suggested_filename.endswith(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Word").click()
    docx = tmp_path / "announcement.docx"
    download_info.value.save_as(docx)
    assert download_info.value.suggested_filename.endswith(".docx")
    assert docx.read_bytes().startswith(b"PK")
    # Back on the officer pages: the announcement is there, and no stale message pops up.
    page.goto(f"{base}/manage/publicity/")
    expect(page.get_by_role("link", name=NUMBER)).to_be_visible()
    expect(page.locator(".alert")).to_have_count(0)

    # A unit revoked later is marked on the announcement, with the date.
    from shifan.publicity.models import DemonstrationUnit, UnitStatus

    revoked = DemonstrationUnit.objects.get(unit_name=UNITS[1])
    DemonstrationUnit.objects.filter(pk=revoked.pk).update(
        status=UnitStatus.REVOKED, revoked_at=timezone.now()
    )
    announcement_url = f"{base}/public/announcements/{revoked.announcement_id}/"
    visitor.goto(announcement_url)
    expect(visitor.locator("[data-testid=revoked-mark]")).to_have_text(f"已于{day(today)}撤销示范称号")
    shot(visitor, "publicity-announcement-revoked-later")

    # The visitor's list shows the announcement too.
    visitor.goto(f"{base}/public/notices/")
    expect(visitor.get_by_role("link", name=re.compile(re.escape(NUMBER)))).to_be_visible()
    shot(visitor, "publicity-public-list")
