"""The city's review and recommendation, and the province's acceptance, walked through the pages.

Two Guangzhou applications are submitted through the services (setup); everything after that is
done in the browser: the city returns one with a field comment, the applicant fixes and resubmits,
the city sees the difference, recommends both, reorders, exports the 推荐汇总表, uploads the
推荐函 and sends the set; the province filters, checks the per-city progress and accepts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (
    GUANGZHOU,
    VALID_CODE,
    log_in,
    log_in_officer,
    make_organisation,
    officer_with_device,
    shot,
)

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SECOND_CODE = factories.credit_code_for(GUANGZHOU, 4242)
FIRST_NAME = "广州示范制造有限公司"
SECOND_NAME = "广州第二装备有限公司"
NEW_MAIN_BUSINESS = "高端数控装备研发制造及远程运维、培训服务"
RETURN_REASON = "主营业务描述过于笼统，请写明主要产品和服务内容。"
FIELD_COMMENT = "请写明主要产品及服务，与营业执照经营范围一致。"
SAVE_TIMEOUT = 15_000

SUMMARY_HEADER = [
    "推荐排序",
    "申报编号",
    "申报单位",
    "区县",
    "统一社会信用代码",
    "申报类别",
    "申报模式",
    "上年主营业务收入（万元）",
    "上年服务收入占比（%）",
    "联系人",
]


# Setup, through the services ----------------------------------------------------------------


def submitted_application(
    batch: Any, *, admin_email: str, admin_name: str, name: str, credit_code: str
) -> Any:
    """Register a Guangzhou organisation and submit a complete enterprise application for it."""
    from shifan.applications import services
    from shifan.applications.answers import prefill_answers
    from shifan.demo.answers import complete_answers

    membership = make_organisation(
        admin_email=admin_email, admin_name=admin_name, name=name, credit_code=credit_code
    )
    organisation, admin = membership.organisation, membership.user
    application = services.start_application(actor=admin, batch=batch, category="enterprise")
    answers = {**complete_answers(application.form), **prefill_answers(application.form, organisation)}
    services.save_answers(
        actor=admin, application=application, base_version=application.version, values=answers
    )
    application.refresh_from_db()
    services.submit_application(actor=admin, application=application)
    application.refresh_from_db()
    return application


def open_from_queue(page: Any, organisation_name: str) -> None:
    page.locator("[data-testid=queue-row]").filter(has_text=organisation_name).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/review/applications/\d+/$"))
    expect(page.locator("h1")).to_have_text(organisation_name)


def recommend(page: Any, opinion: str) -> None:
    panel = page.locator("[data-testid=review-panel]")
    form = panel.locator("form").filter(has=page.locator("#recommend-text"))
    form.locator("#recommend-text").fill(opinion)
    form.get_by_label("已对申报材料的真实性进行复核确认").check()
    form.get_by_role("button", name="推荐", exact=True).click()
    expect(panel.locator("[data-testid=review-state]")).to_have_text("已推荐")
    expect(page.locator(".alert-success")).to_contain_text("已推荐")


# The test -----------------------------------------------------------------------------------


def test_city_returns_applicant_fixes_city_recommends_ranks_exports_province_accepts(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    import openpyxl

    batch = factories.BatchFactory()
    first = submitted_application(
        batch, admin_email="admin@example.com", admin_name="陈管理", name=FIRST_NAME, credit_code=VALID_CODE
    )
    second = submitted_application(
        batch,
        admin_email="second@example.com",
        admin_name="林管理",
        name=SECOND_NAME,
        credit_code=SECOND_CODE,
    )
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )
    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    base = live_server.url

    city_page, applicant_page, province_page = new_page(), new_page(), new_page()
    for each in (city_page, applicant_page, province_page):
        each.on("dialog", lambda dialog: dialog.accept())

    # 1. The city officer returns the first application with a reason and one field comment.
    page = city_page
    log_in_officer(page, base, city, "[data-testid=city-home]")
    page.get_by_role("link", name="申报审核", exact=True).click()
    expect(page).to_have_url(f"{base}/review/")
    expect(page.locator("h1")).to_have_text("广州市申报审核")
    rows = page.locator("[data-testid=queue-row]")
    expect(rows).to_have_count(2)
    for application in (first, second):
        row = rows.filter(has_text=application.number)
        expect(row).to_contain_text(application.organisation.name)
        expect(row).to_contain_text("已提交")
        # The eligibility summary of the check made at submission: complete answers fail no rule and
        # warn of nothing; the conditions the guide states in words wait for a person's judgment.
        summary = row.locator("td").nth(4)
        expect(summary.locator(".text-danger")).to_have_count(0)
        expect(summary.locator(".text-warning-emphasis")).to_have_count(0)
        expect(summary.locator(".sf-check-judgment")).to_have_attribute("title", "需专家判断")
    shot(page, "city-queue")

    open_from_queue(page, FIRST_NAME)
    panel = page.locator("[data-testid=review-panel]")
    expect(panel.locator("[data-testid=review-state]")).to_have_text("已提交")
    return_form = panel.locator("form").filter(has=page.locator("#return-text"))
    return_form.locator("#return-text").fill(RETURN_REASON)
    return_form.locator('select[name="comment_field_0"]').select_option("main_business")
    return_form.locator('input[name="comment_text_0"]').fill(FIELD_COMMENT)
    shot(page, "city-return-form")
    return_form.get_by_role("button", name="退回修改").click()
    expect(panel.locator("[data-testid=review-state]")).to_have_text("退回修改")
    expect(page.locator(".alert-success")).to_contain_text("已退回申报单位修改")
    expect(panel).to_contain_text(RETURN_REASON)
    shot(page, "city-returned")

    # 2. The applicant sees the notice, the reason and the comment, fixes 主营业务 and resubmits.
    page = applicant_page
    log_in(page, base, "admin@example.com")
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()
    bell = page.locator("[data-testid=notice-bell]")
    expect(bell.locator(".badge")).to_have_text("1")
    shot(page, "applicant-home-with-notice")
    bell.click()
    notice = page.locator("[data-testid=notice]")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(f"申报书已被退回修改：{first.number}")
    expect(notice).to_contain_text(RETURN_REASON)
    notice.get_by_role("button").click()
    expect(page).to_have_url(f"{base}/applications/{first.pk}/")
    expect(page.locator("[data-testid=application-state]")).to_have_text("退回修改")
    reason = page.locator("[data-testid=returned-reason]")
    expect(reason).to_contain_text("广州市工业和信息化局")
    expect(reason).to_contain_text(RETURN_REASON)
    expect(reason).to_contain_text(f"主营业务：{FIELD_COMMENT}")
    shot(page, "applicant-returned")

    # The outline marks the section the comment is on.
    section_link = page.get_by_role("link", name=re.compile(r"^一、企业基本情况"))
    expect(section_link.locator("[data-testid=outline-comments]")).to_contain_text("1 条审核意见")
    section_link.click()
    expect(page).to_have_url(f"{base}/applications/{first.pk}/sections/basic/")
    field = page.locator('#section-form [data-field="main_business"]')
    expect(field.locator("[data-testid=field-comment]")).to_contain_text(FIELD_COMMENT)
    expect(page.locator("[data-testid=field-comment]")).to_have_count(1)
    field.locator('[name="main_business"]').fill(NEW_MAIN_BUSINESS)
    status = page.locator("[data-testid=autosave-status]")
    expect(status).to_have_attribute("data-state", "saved", timeout=SAVE_TIMEOUT)
    expect(status).to_contain_text("已保存")
    shot(page, "applicant-fixed")

    # Only the last section links to the submit page: back to the overview through the breadcrumb.
    page.locator(".breadcrumb").get_by_role("link", name=f"{batch.name} · 示范企业").click()
    expect(page).to_have_url(f"{base}/applications/{first.pk}/")
    page.get_by_role("link", name="检查并提交").click()
    expect(page).to_have_url(f"{base}/applications/{first.pk}/submit/")
    expect(page.locator("[data-testid=submit-problems]")).to_have_count(0)
    page.get_by_role("button", name="提交申报书").click()
    expect(page).to_have_url(f"{base}/applications/{first.pk}/")
    expect(page.locator("[data-testid=application-state]")).to_have_text("已提交")
    expect(page.locator("[data-testid=application-number]")).to_have_text(first.number)
    shot(page, "applicant-resubmitted")

    # 3. The city sees what changed since the first submission and recommends both.
    page = city_page
    page.get_by_role("link", name="申报审核", exact=True).click()
    open_from_queue(page, FIRST_NAME)
    expect(page.locator("main")).to_contain_text("第 2 次提交")
    diff = page.locator("[data-testid=diff-summary]")
    expect(diff).to_contain_text("与第 1 次提交相比，1 项内容有变化")
    changed = page.locator("[data-changed=main_business]")
    # Only the characters that changed are marked: the rest reads as the new text.
    expect(changed.locator("del").first).to_have_text("智能")
    expect(changed.locator("ins").first).to_have_text("高端数控")
    expect(changed.locator("ins").nth(1)).to_have_text("远程运维、培训")
    expect(page.locator("[data-testid=changed-fields]").get_by_role("link")).to_have_text(
        ["一、企业基本情况 · 主营业务"]
    )
    expect(page.locator("[data-changed]")).to_have_count(1)
    shot(page, "city-diff")
    recommend(page, "企业服务型制造转型成效明显，同意推荐。")
    shot(page, "city-recommended-first")

    page.get_by_role("link", name="申报审核", exact=True).click()
    open_from_queue(page, SECOND_NAME)
    expect(page.locator("[data-testid=diff-summary]")).to_have_count(0)
    recommend(page, "服务收入占比较高，同意推荐。")

    # 4. The city swaps the ranking, exports the summary, uploads the letter and sends the set.
    page.get_by_role("link", name="申报审核", exact=True).click()
    page.get_by_role("link", name="推荐结果与报送").click()
    expect(page).to_have_url(f"{base}/review/batches/{batch.pk}/city/")
    rank_rows = page.locator("[data-testid=rank-row]")
    expect(rank_rows).to_have_count(2)
    expect(rank_rows.nth(0)).to_contain_text(FIRST_NAME)
    expect(rank_rows.nth(1)).to_contain_text(SECOND_NAME)
    page.locator(f'input[name="rank_{first.pk}"]').fill("2")
    page.locator(f'input[name="rank_{second.pk}"]').fill("1")
    page.get_by_role("button", name="保存排序").click()
    expect(page.locator(".alert-success")).to_contain_text("排序已保存")
    expect(rank_rows.nth(0)).to_contain_text(SECOND_NAME)
    expect(rank_rows.nth(1)).to_contain_text(FIRST_NAME)
    expect(page.locator(f'input[name="rank_{second.pk}"]')).to_have_value("1")
    shot(page, "city-ranked")

    with page.expect_download() as download_info:
        page.locator("[data-testid=summary-export]").click()
    download = download_info.value
    assert download.suggested_filename == "广州市推荐汇总表-2024.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    sheet = workbook.active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(values) if row and row[0] == "推荐排序")
    assert values[header_index][: len(SUMMARY_HEADER)] == SUMMARY_HEADER
    data = [row for row in values[header_index + 1 :] if any(cell is not None for cell in row)]
    assert len(data) == 2, data
    for rank, (row, application, code) in enumerate(
        [(data[0], second, SECOND_CODE), (data[1], first, VALID_CODE)], start=1
    ):
        assert row[0] == rank
        assert row[1] == application.number
        assert row[2] == application.organisation.name
        assert row[3] == application.organisation.county_name, row
        assert row[4] == code
        assert row[5] == "示范企业"
        assert row[6], row  # the modes chosen in the application
        assert 8000 <= float(row[7]) <= 10000, row
        assert float(row[8]) == pytest.approx(30), row
        assert row[9], row

    letter = tmp_path / "广州市推荐函.pdf"
    letter.write_bytes(PDF)
    page.locator('input[type=file][name="letter"]').set_input_files(letter)
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("推荐函已上传")
    expect(page.get_by_role("link", name="广州市推荐函.pdf")).to_be_visible()
    page.get_by_role("button", name="报送推荐结果").click()
    expect(page.locator(".alert-success").first).to_contain_text("已报送省工信厅")
    expect(page.locator(f'input[name="rank_{first.pk}"]')).to_be_disabled()
    expect(page.get_by_role("button", name="报送推荐结果")).to_have_count(0)
    shot(page, "city-sent")

    # 5. The province filters the recommended ones, checks the progress table and accepts one.
    page = province_page
    log_in_officer(page, base, province, "[data-testid=province-home]")
    page.get_by_role("link", name="形式审查", exact=True).click()
    expect(page).to_have_url(f"{base}/review/")
    page.locator("#state").select_option(label="已推荐")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"state=recommended"))
    rows = page.locator("[data-testid=queue-row]")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=FIRST_NAME)).to_contain_text("广州市")
    expect(rows.filter(has_text=SECOND_NAME)).to_contain_text("已推荐")
    shot(page, "province-queue")

    page.get_by_role("link", name="各市进度").click()
    expect(page).to_have_url(f"{base}/review/batches/{batch.pk}/progress/")
    guangzhou = page.locator("[data-testid=progress-row]").filter(has_text="广州市")
    expect(guangzhou).to_have_count(1)
    cells = guangzhou.locator("td")
    expect(cells.nth(4)).to_have_text("2")  # 已推荐
    expect(cells.nth(6)).to_contain_text("已报送")
    expect(page.locator("main")).to_contain_text("已报送推荐结果的城市：1 / 21")
    shot(page, "province-progress")

    page.get_by_role("link", name="形式审查").first.click()
    open_from_queue(page, FIRST_NAME)
    panel = page.locator("[data-testid=review-panel]")
    expect(panel).to_contain_text("广州市同类别推荐排序第 2 位")
    panel.get_by_role("button", name="受理", exact=True).click()
    expect(panel.locator("[data-testid=review-state]")).to_have_text("已受理")
    expect(page.locator(".alert-success")).to_contain_text("已受理")
    shot(page, "province-accepted")
