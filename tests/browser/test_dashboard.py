"""The programme dashboard in the browser: a province officer opens it from the bar, ECharts draws
every chart from the page's data (no console error, no CSP violation, its tooltips shown too), each
chart has a description and its data as a table, one chart's data downloads as Excel, and, once
the tracking app is there, a new report and its evaluation show in its panel.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import log_in_officer, officer_with_device, shot
from tests.dashboard.world import build_programme

pytestmark = pytest.mark.browser

BATCH_CHARTS = ["progress", "funnel", "states", "cities", "modes", "industries", "eligibility", "scores"]


def chart_data(page: Any) -> dict[str, Any]:
    return json.loads(page.locator("#sf-dashboard-data").text_content())


def test_province_officer_reads_the_dashboard_and_downloads_a_chart(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    from shifan.accounts.models import Role

    programme = build_programme()
    province = officer_with_device(email="tongji@gdii.gov.cn", name="统计员", role=Role.PROVINCE_OFFICER)
    page = new_page()
    log_in_officer(page, live_server.url, province, "[data-testid=province-home]")
    page.locator(".sf-navbar").get_by_role("link", name="统计", exact=True).click()
    expect(page.locator("[data-testid=dashboard-title]")).to_have_text("统计分析")

    for key in BATCH_CHARTS:
        chart = page.locator(f"[data-chart={key}]")
        expect(chart).to_have_attribute("data-chart-ready", "true")
        expect(chart.locator("canvas")).to_have_count(1)
        # A tooltip on hovering: drawn without inline styles, so no CSP error (the page watch fails on one).
        chart.hover()
        # Described for a screen reader, its data a table behind a toggle.
        description = page.locator(f"#{chart.get_attribute('aria-describedby')}")
        expect(description).to_contain_text("各项数值见图下的数据表")
        expect(page.locator(f"[data-testid=chart-table-{key}] table")).to_be_hidden()
    expect(page.locator("[data-testid=chart-description-cities]")).to_contain_text("已提交最多为广州市：2")
    page.locator("[data-testid=chart-table-cities] summary").click()
    cities_table = page.locator("[data-testid=chart-table-cities] table")
    expect(cities_table).to_be_visible()
    guangzhou = cities_table.locator("tr", has_text="广州市").locator("td")
    expect(guangzhou).to_have_text(["3", "2", "1", "0", "0", "0", "0"])
    expect(page.locator("[data-testid=target-2027-reached]")).to_have_text("1 / 160")
    funnel = page.locator("[data-testid=funnel-table]")
    expect(funnel.locator("tr", has_text="广州市")).to_contain_text("3")
    shot(page, "dashboard")

    with page.expect_download() as download_info:
        page.locator("[data-testid=download-cities]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "cities.xlsx"
    download.save_as(saved)
    rows = [list(row) for row in load_workbook(saved).active.iter_rows(values_only=True)]
    assert rows[0][0] == "各地市申报情况"
    header = next(row for row in rows if row[0] == "地市")
    assert header[1:4] == ["填报（含暂存）", "已提交", "地市推荐"]
    assert next(row for row in rows if row[0] == "广州市")[1:4] == [3, 2, 1]

    # The category filter narrows the batch's charts.
    page.locator("#sf-category").select_option(label="示范平台")
    page.get_by_role("button", name="查看").click()
    expect(page.locator("[data-chart=funnel]")).to_have_attribute("data-chart-ready", "true")
    assert [series["name"] for series in chart_data(page)["funnel"]["series"]] == ["示范平台"]

    if importlib.util.find_spec("shifan.tracking") is None:
        return
    check_tracking_panel(page, live_server.url, programme)


def check_tracking_panel(page: Any, base: str, programme: dict[str, Any]) -> None:
    """A report (from a round the province opens) and its evaluation change the tracking counts."""
    from django.utils import timezone

    from shifan.tracking import services as tracking
    from shifan.tracking.models import Report

    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-chart=progress]")).to_have_attribute("data-chart-ready", "true")
    assert "reports" not in chart_data(page)  # no report yet, no panel

    today = timezone.localdate()
    tracking.open_round(
        actor=programme["province"],
        title="2024年度运行情况报告",
        year=today.year - 1,
        due_on=today - timedelta(days=1),
        batch=programme["batch"],
        today=today - timedelta(days=10),
    )
    report = Report.objects.get()
    tracking.evaluate_report(
        actor=programme["province"], report=report, evaluation="attention", reason="逾期未提交报告，请关注。"
    )
    page.reload()
    expect(page.locator("[data-testid=tracking]")).to_be_visible()
    expect(page.locator("[data-chart=evaluations]")).to_have_attribute("data-chart-ready", "true")
    data = chart_data(page)
    evaluations = dict(
        zip(data["evaluations"]["labels"], data["evaluations"]["series"][0]["values"], strict=True)
    )
    assert evaluations["关注"] == 1
    reports = dict(zip(data["reports"]["labels"], data["reports"]["series"][0]["values"], strict=True))
    assert sum(reports.values()) == 1
    shot(page, "tracking")
