"""The application journey as its users live it: what waits, what is refused where, where one stands.

The city finds the submission on its home page, is stopped beside the truthfulness box before any
confirmation, recommends, uploads the letter through the Chinese file picker and sends the set; the
province accepts (setup); the applicant reads the timeline and prints the receipt. An applicant
typing a revenue below the threshold sees the failure beside the figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (
    GUANGZHOU,
    VALID_CODE,
    make_organisation,
    officer_with_device,
    shot,
    sign_in,
)
from tests.browser.test_city_review import PDF, submitted_application

pytestmark = pytest.mark.browser

NAME = "广州示范制造有限公司"


def test_city_is_told_recommends_and_the_applicant_sees_the_timeline_and_receipt(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    from shifan.reviews import services as reviews

    batch = factories.BatchFactory()
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )
    application = submitted_application(
        batch, admin_email="admin@example.com", admin_name="陈管理", name=NAME, credit_code=VALID_CODE
    )
    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    base = live_server.url

    # The city's home lists the submission with its deadline; the bell announced it.
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    sign_in(page.context, base, city)
    page.goto(f"{base}/")
    expect(page.locator("main")).not_to_contain_text("尚未上线")
    waiting = page.locator("[data-testid=city-waiting] [data-testid=waiting-item]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("有 1 份申报书待审核推荐")
    expect(waiting).to_contain_text("截止 ")
    expect(page.locator("[data-testid=notice-bell] .badge")).to_have_text("1")
    shot(page, "city-home-waiting")
    waiting.get_by_role("link").click()
    page.locator("[data-testid=queue-row]").get_by_role("link").click()
    expect(page.locator("[data-testid=city-deadline]")).to_contain_text("地市推荐截止：")

    # The truthfulness box is checked before the confirmation dialog, beside the box.
    form = page.locator("form").filter(has=page.locator("#recommend-text"))
    form.locator("#recommend-text").fill("同意推荐。")
    form.get_by_role("button", name="推荐", exact=True).click()
    error = page.locator("[data-testid=truthfulness-error]")
    expect(error).to_be_visible()
    expect(error).to_have_text("推荐前须确认已对申报材料的真实性进行复核。")
    assert dialogs == []
    shot(page, "truthfulness-refused-beside-the-box")
    form.get_by_label("已对申报材料的真实性进行复核确认").check()
    expect(error).to_be_hidden()
    form.get_by_role("button", name="推荐", exact=True).click()
    expect(page.locator("[data-testid=review-state]")).to_have_text("已推荐")
    assert dialogs == ["确认推荐该申报书至省工信厅？"]

    # The letter goes through the Chinese file picker.
    page.goto(f"{base}/review/batches/{batch.pk}/city/")
    picker = page.locator("[data-file-picker]")
    expect(picker).to_contain_text("选择文件")
    expect(picker.locator("[data-file-name]")).to_have_text("未选择文件")
    letter = tmp_path / "广州市推荐函.pdf"
    letter.write_bytes(PDF)
    picker.locator("input[type=file]").set_input_files(letter)
    expect(picker.locator("[data-file-name]")).to_have_text("广州市推荐函.pdf")
    shot(page, "letter-picker")
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("推荐函已上传")
    page.get_by_role("button", name="报送推荐结果").click()
    expect(page.locator(".alert-success").first).to_contain_text("已报送省工信厅")

    reviews.accept_application(actor=province, application=application)

    # The applicant sees every step, the receipt number, and prints the receipt.
    applicant = new_page()
    sign_in(applicant.context, base, application.organisation.memberships.get().user)
    applicant.goto(f"{base}/applications/{application.pk}/")
    steps = applicant.locator("[data-testid=timeline-step]")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("已提交")
    expect(steps.nth(1)).to_contain_text("已推荐")
    expect(steps.nth(1)).to_contain_text("广州市工业和信息化局")
    expect(steps.nth(2)).to_contain_text("已受理")
    expect(steps.nth(2).locator("[data-testid=receipt-number]")).to_have_text(f"SL-{application.number}")
    expect(applicant.locator("main")).to_contain_text("省工业和信息化厅已受理，将组织专家评审。")
    shot(applicant, "applicant-timeline")
    link = applicant.locator("[data-testid=receipt-link]")
    expect(link).to_have_attribute("target", "_blank")
    applicant.goto(base + link.get_attribute("href"))
    expect(applicant.locator("[data-testid=receipt]")).to_contain_text(NAME)
    expect(applicant.locator("[data-testid=receipt] [data-testid=receipt-number]")).to_have_text(
        f"SL-{application.number}"
    )
    shot(applicant, "receipt")


def test_a_revenue_below_the_threshold_is_refused_beside_the_figure(live_server: Any, page: Any) -> None:
    from shifan.applications import services

    batch = factories.BatchFactory()
    membership = make_organisation(
        admin_email="admin@example.com", admin_name="陈管理", name=NAME, credit_code=VALID_CODE
    )
    application = services.start_application(actor=membership.user, batch=batch, category="enterprise")
    base = live_server.url
    sign_in(page.context, base, membership.user)
    page.goto(f"{base}/applications/{application.pk}/sections/operations/")
    year = batch.application_year - 1
    page.locator(f'[name="operating__main_business_revenue__{year}"]').fill("3000")
    page.locator(f'[name="operating__main_business_revenue__{year}"]').blur()
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute(
        "data-state", "saved", timeout=15_000
    )
    feedback = page.locator("#feedback-operating")
    expect(feedback).to_contain_text("不符合申报条件（申报前一年主营业务收入）")
    shot(page, "revenue-beside-the-figure")
