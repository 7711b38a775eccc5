"""Two Guangzhou applicants submit near-copies; the city officer opens the flag on one
application and reads the two sections side by side, the shared text marked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import GUANGZHOU, VALID_CODE, shot, sign_in
from tests.browser.test_city_review import submitted_application

pytestmark = pytest.mark.browser

SECOND_CODE = factories.credit_code_for(GUANGZHOU, 4343)
COPIED = (
    "公司以数控机床远程运维平台为核心，向客户提供设备选型、安装调试、预测性维护和备件共享服务，"
    "接入设备超过三千二百台，故障响应时间由四十八小时缩短到六小时，客户续约率达到百分之八十七。"
)


def test_city_sees_two_applicants_near_copies_side_by_side(live_server: Any, new_page: Any) -> None:
    from shifan.applications import services

    batch = factories.BatchFactory()
    first = submitted_application(
        batch,
        admin_email="a@example.com",
        admin_name="陈管理",
        name="广州甲制造有限公司",
        credit_code=VALID_CODE,
    )
    # The second applicant copies the first's texts, changing a few words.
    second = submitted_application(
        batch,
        admin_email="b@example.com",
        admin_name="林管理",
        name="广州乙装备有限公司",
        credit_code=SECOND_CODE,
    )
    admin = second.organisation.memberships.get().user
    services.withdraw_application(actor=admin, application=second, reason="补充")
    second.refresh_from_db()
    changed = {
        "intro": COPIED + "（本段由乙公司撰写）",
        "typical_cases": COPIED.replace("三千二百", "三千五百"),
    }
    services.save_answers(actor=admin, application=second, base_version=second.version, values=changed)
    second.refresh_from_db()
    services.submit_application(actor=admin, application=second)
    city = factories.CityOfficerFactory(city_code=GUANGZHOU)

    page = new_page()
    sign_in(page.context, live_server.url, city)
    page.goto(f"{live_server.url}/review/applications/{second.pk}/")
    flag = page.locator("[data-testid=similarity-flag]").filter(has_text=first.number)
    expect(flag).to_contain_text("广州甲制造有限公司")
    flag.scroll_into_view_if_needed()
    page.locator("[data-testid=similarity-flags]").screenshot(
        path=str(shot(page, "application").with_name("flags.png"))
    )
    flag.get_by_role("link", name="对照查看").click()
    expect(page).to_have_url(re.compile(r"/similarity/pairs/\d+/#passage-1$"))
    expect(page.locator("[data-testid=pair-left]")).to_contain_text("广州乙装备有限公司")
    expect(page.locator("[data-testid=pair-right]")).to_contain_text(first.number)
    passages = page.locator("[data-testid=passage]")
    expect(passages.first).to_be_visible()
    # Each side shows its section with the shared text marked.
    expect(passages.first.locator("[data-testid=similar-text]").nth(0).locator("mark").first).to_be_visible()
    expect(passages.first.locator("[data-testid=similar-text]").nth(1).locator("mark").first).to_be_visible()
    expect(page.get_by_text("保存处理结果")).to_have_count(0)  # the decision is the province's
    shot(page, "similarity-pair-city")
