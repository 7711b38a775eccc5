"""Dynamic tracking in the browser: a unit submits its report, the province evaluates it.

A recognised unit is made through the factories and a round is opened for it (due in 30 days).
The unit's member reaches the report from the nav, saves a draft with a mistyped figure and sees
the message beside the field, fixes it, adds an event row, submits with a 15% service share and
sees 已提交. The province officer opens the round from 动态跟踪, sees the flag with its numbers,
opens the report and rates it 关注: first without a reason (refused beside the field), then with one;
the dashboard's tracking panel counts one more 关注 than before.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import allow_console_error, log_in, log_in_officer, officer_with_device, shot
from tests.browser.test_dashboard import chart_data
from tests.tracking.conftest import announced, member_of, recognised

pytestmark = pytest.mark.browser

REASON = "服务收入占比降至15%，低于申报条件，请说明原因并报送提升计划。"


@pytest.mark.django_db(transaction=True)
def test_unit_submits_a_report_and_the_province_evaluates_it(live_server, new_page):
    from django.utils import timezone

    from shifan.tracking import services
    from shifan.tracking.models import Report
    from tests import factories

    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    batch = factories.BatchFactory()
    unit = recognised(announced(batch, province), city_code="440100")
    round_ = services.open_round(
        actor=province,
        title="2025年度运行情况报告",
        year=2025,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    report = Report.objects.get(round=round_, unit=unit)
    base = live_server.url

    # 1. The unit fills the report: a mistyped figure is refused beside its field, the draft kept.
    page = new_page()
    log_in(page, base, member_of(unit).email)
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()
    page.get_by_role("link", name="运行情况报告", exact=True).click()
    expect(page.locator("[data-testid=own-report-row]")).to_contain_text("未提交")
    page.get_by_role("link", name="填报", exact=True).click()
    expect(page).to_have_url(f"{base}/tracking/reports/{report.pk}/")
    page.locator("input[name=total_assets]").fill("52000")
    page.locator("input[name=operating_revenue]").fill("一万二")
    page.locator("input[name=service_revenue]").fill("1800")
    page.locator("input[name=net_profit]").fill("900")
    page.locator("input[name=rd_intensity]").fill("4.1")
    page.locator("input[name=employees]").fill("350")
    page.locator("textarea[name=work_done]").fill("本年度上线设备远程运维平台，新增备件服务。")
    page.locator("textarea[name=experience]").fill("以设备运行数据为基础开展预测性维护。")
    page.locator("#major_accident-no").check()
    page.locator("[data-testid=save-report]").click()
    feedback = page.locator("[data-feedback-for=operating_revenue]")
    expect(feedback).not_to_be_empty()
    expect(page.locator("textarea[name=work_done]")).to_have_value(
        "本年度上线设备远程运维平台，新增备件服务。"
    )
    shot(page, "report-draft-error")
    page.locator("input[name=operating_revenue]").fill("12000")
    page.locator("[data-table=events] [data-add-row]").click()
    row = page.locator("[data-table=events] [data-row]").first
    row.locator("input[name$='__name']").fill("广东省服务型制造现场交流会")
    row.locator("input[name$='__date']").fill("2025-09-12")
    row.locator("select[name$='__role']").select_option("speaker")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=submit-report]").click()
    expect(page.locator(".alert-success")).to_contain_text("报告已提交。")
    expect(page.locator("[data-testid=report-state]")).to_have_text("已提交")
    expect(page.locator("main")).to_contain_text("广东省服务型制造现场交流会")
    shot(page, "report-submitted")

    # 2. The province sees the flag in the round and rates the report 关注, with a reason.
    page = new_page()
    allow_console_error(page, r"/evaluate/")  # the refused evaluation answers 400
    log_in_officer(page, base, province, "[data-testid=province-home]")
    before = dashboard_evaluations(page, base)
    page.get_by_role("link", name="动态跟踪", exact=True).click()
    page.get_by_role("link", name="2025年度运行情况报告").click()
    row = page.locator("[data-testid=report-row]").filter(has_text=unit.unit_name)
    expect(row.locator("[data-testid=report-state]")).to_have_text("已提交")
    expect(row.locator("[data-testid=report-flag]").first).to_contain_text(
        "服务收入占比 15.00% 低于申报条件 20%"
    )
    shot(page, "round")
    row.get_by_role("link", name="查看并评价").click()
    page.get_by_label("关注").check()
    page.locator("[data-testid=evaluate]").click()
    expect(page.locator("main")).to_contain_text("评价为“关注”时请写明理由。")
    page.get_by_label("关注").check()
    page.locator("#id_reason").fill(REASON)
    page.locator("[data-testid=evaluate]").click()
    expect(page.locator(".alert-success")).to_contain_text("已评价为“关注”")
    expect(page.locator("[data-testid=evaluation-result]")).to_contain_text(REASON)
    shot(page, "report-evaluated")
    page.get_by_role("link", name="2025年度运行情况报告").click()
    expect(
        page.locator("[data-testid=report-row]")
        .filter(has_text=unit.unit_name)
        .locator("[data-testid=report-evaluation]")
    ).to_have_text("关注")
    report.refresh_from_db()
    assert (report.evaluation, report.evaluation_reason) == ("attention", REASON)

    # 3. The dashboard counts the evaluation.
    after = dashboard_evaluations(page, live_server.url)
    assert after["关注"] == before["关注"] + 1
    shot(page, "dashboard-tracking")


def dashboard_evaluations(page, base):
    """Open the dashboard and return its tracking panel's evaluation counts by label."""
    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-chart=evaluations]")).to_have_attribute("data-chart-ready", "true")
    data = chart_data(page)
    labels, values = data["evaluations"]["labels"], data["evaluations"]["series"][0]["values"]
    return dict(zip(labels, values, strict=True))
