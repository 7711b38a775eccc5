"""The province imports experts from an Excel list, checks the preview, then edits one of them."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core import mail
from openpyxl import Workbook
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in_officer, officer_with_device, shot

pytestmark = pytest.mark.browser

HEADER = [
    "姓名",
    "电子邮箱",
    "工作单位",
    "工作单位统一社会信用代码",
    "所在城市",
    "联系电话",
    "专业领域",
    "职称",
]
GOOD_ROWS = [
    [
        "林晓华",
        "lin@example.com",
        "华南理工大学",
        "12440000455600002G",
        "广州",
        "13800000001",
        "工业设计服务、数字化转型",
        "教授",
    ],
    [
        "陈志远",
        "chen@example.com",
        "深圳市智能制造研究院",
        factories.credit_code_for("440300", 8801, "12"),
        "深圳市",
        "13800000002",
        "供应链管理\n共享制造",
        "高级工程师",
    ],
]
BAD_ROW = [
    "赵错误",
    "zhao@example.com",
    "某某咨询公司",
    "91440101MA5CJQ4N58",
    "广州",
    "13800000003",
    "人工智能",
    "研究员",
]
PAST_CODE = "91440101MA5CJQ4N59"


def expert_list() -> bytes:
    """An .xlsx as an officer would fill it in: columns in their own order, one row with mistakes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "专家名单"
    sheet.append(HEADER)
    for row in [GOOD_ROWS[0], BAD_ROW, GOOD_ROWS[1]]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_province_imports_experts_from_excel_then_adds_a_past_employment(live_server: Any, page: Any) -> None:
    from shifan.accounts.models import ExpertProfile, Role, User

    base = live_server.url
    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    mail.outbox.clear()
    page.on("dialog", lambda dialog: dialog.accept())

    log_in_officer(page, base, province, "[data-testid=province-home]")
    page.get_by_role("link", name="批量导入专家").click()
    expect(page).to_have_url(f"{base}/manage/experts/import/")
    expect(page.get_by_role("link", name="下载导入模板")).to_be_visible()
    page.locator("#id_file").set_input_files(
        {
            "name": "专家名单.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": expert_list(),
        }
    )
    page.get_by_role("button", name="上传并检查").click()

    expect(page.locator("h1")).to_contain_text("核对导入名单")
    rows = page.locator("[data-testid=import-row]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-status", "new")
    bad = rows.nth(1)
    expect(bad).to_have_attribute("data-status", "error")
    expect(bad).to_have_class(re.compile(r"table-danger"))
    expect(bad).to_contain_text("工作单位统一社会信用代码：校验位错误：第18位应为“9”")
    expect(bad).to_contain_text("专业领域：未知领域“人工智能”")
    expect(rows.nth(2)).to_contain_text("供应链管理、共享制造")
    expect(page.locator("[data-testid=import-summary]")).to_contain_text("共 3 行")
    shot(page, "import-preview")
    assert not User.objects.filter(role=Role.EXPERT).exists()

    page.get_by_role("button", name="导入 2 位专家（跳过 1 行有错误的行）").click()
    expect(page).to_have_url(f"{base}/manage/accounts/?role=expert")
    expect(page.locator(".alert-success")).to_contain_text("已导入 2 位专家：新增 2 位")
    for name in ("林晓华", "陈志远"):
        expect(page.get_by_role("row").filter(has_text=name)).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="赵错误")).to_have_count(0)
    shot(page, "expert-list-after-import")
    assert sorted(message.to[0] for message in mail.outbox) == ["chen@example.com", "lin@example.com"]

    page.get_by_role("row").filter(has_text="林晓华").get_by_role("link", name="编辑").click()
    expect(page).to_have_url(re.compile(r"/manage/experts/\d+/edit/$"))
    expect(page.locator("#id_employer")).to_have_value("华南理工大学")
    page.locator("#id_past-employer").fill("广州示范制造有限公司")
    page.locator("#id_past-credit_code").fill(PAST_CODE)
    page.locator("#id_past-until_year").fill("2019")
    page.get_by_role("button", name="登记曾任职单位").click()

    expect(page.locator(".alert-success")).to_contain_text("已登记曾任职单位“广州示范制造有限公司”")
    past = page.locator("[data-testid=past-employments]")
    expect(past).to_contain_text(PAST_CODE)
    expect(past).to_contain_text("2019")
    shot(page, "past-employment-added")
    profile = ExpertProfile.objects.get(user__email="lin@example.com")
    assert list(profile.past_employments.values_list("credit_code", "until_year")) == [(PAST_CODE, 2019)]
