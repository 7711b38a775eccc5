"""Figures that cannot be right, conditions judged in words, and holiday years, in the browser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (
    GUANGZHOU,
    allow_console_error,
    make_officer,
    make_organisation,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser


def started(category: str = "enterprise") -> tuple[Any, Any]:
    from shifan.applications import services
    from tests.applications.test_services import complete

    batch = factories.BatchFactory()
    membership = make_organisation()
    application = services.start_application(actor=membership.user, batch=batch, category=category)
    return complete(application, membership.user), membership.user


def test_a_revenue_typed_in_yuan_is_questioned_beside_the_field(live_server: Any, page: Any) -> None:
    application, admin = started()
    sign_in(page.context, live_server.url, admin)
    page.goto(f"{live_server.url}/applications/{application.pk}/sections/operations/")
    page.locator('input[name="operating__operating_revenue__2023"]').fill("120000000")
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute("data-state", "saved")
    feedback = page.locator('[data-feedback-for="operating"]')
    expect(feedback).to_contain_text("请确认单位为万元")
    expect(feedback).to_contain_text("120,000,000 万元")
    rule = page.locator('[data-eligibility-panel] [data-rule="figures_plausible"]')
    expect(rule).to_have_attribute("data-outcome", "warning")
    shot(page, "unit-doubt")


def test_the_city_judges_a_condition_stated_in_words_against_its_passage(live_server: Any, page: Any) -> None:
    from shifan.applications import services

    application, admin = started()
    services.submit_application(actor=admin, application=application)
    officer = make_officer(email="city@example.com", name="林审核", role="city_officer", city_code=GUANGZHOU)
    sign_in(page.context, live_server.url, officer)
    page.goto(f"{live_server.url}/review/applications/{application.pk}/")
    item = page.locator('[data-testid=judgment-item][data-rule="transformation"]')
    expect(item.locator("[data-testid=judgment-passage]").first).to_contain_text("企业简介")
    item.get_by_role("radio", name="存疑").check()
    item.get_by_role("button", name="记录判断").click()
    expect(page.locator(".alert").filter(has_text="请写明理由")).to_be_visible()
    item = page.locator('[data-testid=judgment-item][data-rule="transformation"]')
    item.get_by_role("radio", name="存疑").check()
    item.get_by_label("理由（不符合或存疑时必填）").fill("转型过程描述不具体")
    item.get_by_role("button", name="记录判断").click()
    expect(page.locator('[data-rule="transformation"] [data-testid=judgments]')).to_contain_text(
        "存疑 地市工信局 · 林审核"
    )
    shot(page, "condition-judged")


def test_an_uncovered_year_gets_its_holidays_proposed_and_is_marked_complete(
    live_server: Any, page: Any
) -> None:
    province = make_officer(email="prov@example.com", name="省厅", role="province_officer")
    sign_in(page.context, live_server.url, province)
    page.goto(f"{live_server.url}/manage/calendar/?year=2027")
    allow_console_error(page, "status of 400")  # the refused paste answers 400
    text = page.get_by_label("粘贴放假安排")
    text.fill("2027-02-30 休 春节")
    page.get_by_role("button", name="检查并登记").click()
    expect(page.locator("#import")).to_contain_text("这一天不存在")
    missing = page.locator('[data-testid=missing-year][data-year="2027"]')
    expect(missing.locator("[data-testid=holiday-proposals]")).to_contain_text("02-05 春节")
    missing.locator("[data-testid=fill-proposals]").click()
    expect(page.get_by_label("粘贴放假安排")).to_contain_text("2027-02-05 休 春节")
    page.get_by_role("button", name="检查并登记").click()
    expect(page.locator(".alert-success")).to_contain_text("已登记 13 天")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('[data-testid=missing-year][data-year="2027"] [data-testid=mark-complete]').click()
    expect(page.locator("[data-testid=year-complete]")).to_contain_text("已完整登记")
    expect(page.locator('[data-testid=missing-year][data-year="2027"]')).to_have_count(0)
    shot(page, "year-complete")


def test_a_notice_whose_end_an_override_moves_is_extended(live_server: Any, page: Any) -> None:
    from django.utils import timezone

    from shifan.expert_review.models import ProposedList
    from shifan.publicity import services
    from shifan.publicity.calendar import add_calendar_override
    from shifan.publicity.models import DayKind
    from tests.publicity.conftest import proposed

    province = make_officer(email="prov@example.com", name="省厅", role="province_officer")
    batch = factories.BatchFactory()
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province)
    proposed(batch)
    starts_on = timezone.localdate() + timedelta(days=7)
    notice = services.open_notice(
        actor=province,
        batch=batch,
        starts_on=starts_on,
        title="拟认定名单公示",
        contact_office="生产服务业处",
        contact_phone="020-83133333",
        accept_uncovered=True,
    )
    published_end = notice.ends_on
    add_calendar_override(actor=province, day=published_end, kind=DayKind.HOLIDAY, note="临时调整")
    new_end = services.end_review(notice)
    assert new_end is not None
    sign_in(page.context, live_server.url, province)
    page.goto(f"{live_server.url}/manage/publicity/notices/{notice.pk}/")
    review = page.locator("[data-testid=notice-end-review]")
    expect(review.locator("[data-testid=calendar-end]")).to_have_text(f"{new_end:%Y-%m-%d}")
    shot(page, "notice-end-review")
    review.locator("[data-testid=extend-notice]").click()
    expect(page.locator(".alert-success")).to_contain_text(f"公示截止日期已改为 {new_end:%Y-%m-%d}")
    expect(page.locator("[data-testid=notice-end-review]")).to_have_count(0)
