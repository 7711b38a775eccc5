"""The programme dashboard in the browser: a province officer opens it from the bar, ECharts draws
every chart from the page's data (no console error, no CSP violation, its tooltips shown too), each
chart has a description and its data as a table, one chart's data downloads as Excel, and, once
the tracking app is there, a new report and its evaluation show in its panel. On the English page
the charts, their legends, tooltips, descriptions and tables are in English.
"""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import log_in_officer, officer_with_device, shot, sign_in
from tests.dashboard.world import build_programme

pytestmark = pytest.mark.browser

BATCH_CHARTS = ["progress", "funnel", "states", "cities", "modes", "industries", "eligibility", "scores"]


def chart_data(page: Any) -> dict[str, Any]:
    return json.loads(page.locator("#sf-dashboard-data").text_content())


# What ECharts was given to draw: titles, legends, axes and series, as the canvas shows them.
DRAWN = """(element) => {
  const chart = echarts.getInstanceByDom(element);
  const option = chart.getOption();
  return {
    legend: chart.getModel().getComponent("legend").getData().map((item) => item.get("name")),
    labels: [...option.xAxis, ...option.yAxis].flatMap((axis) => axis.data || []),
    series: option.series.map((series) => series.name),
    title: (option.title || []).map((title) => title.text || ""),
    turned: option.xAxis[0].axisLabel.rotate || 0,
  };
}"""
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


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
        if key == "funnel":  # the Chinese stages wrap within their bars
            assert chart.evaluate(DRAWN)["turned"] == 0
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


def test_the_english_dashboard_draws_its_charts_in_english(live_server: Any, new_page: Any) -> None:
    programme = build_programme()
    page = new_page()
    sign_in(page.context, live_server.url, programme["province"], "en")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("[data-testid=dashboard-title]")).to_have_text("Statistics")
    assert page.locator("html").get_attribute("lang") == "en"
    for key in BATCH_CHARTS:
        expect(page.locator(f"[data-chart={key}]")).to_have_attribute("data-chart-ready", "true")

    funnel = page.locator("[data-chart=funnel]")
    drawn = funnel.evaluate(DRAWN)
    # The stages in English; the legend holds the spec's category names, Chinese on every page.
    assert drawn["labels"][:3] == ["Started (drafts included)", "Submitted", "Recommended by the city"]
    assert drawn["legend"] == drawn["series"] == ["示范企业", "示范平台"]
    progress = page.locator("[data-chart=progress]").evaluate(DRAWN)
    assert progress["series"][-2:] == ["Cumulative", "Needed to meet the targets on time (cumulative)"]
    assert progress["labels"][0].isdigit()
    scores = page.locator("[data-chart=scores]").evaluate(DRAWN)
    assert scores["labels"][0] == "Below 60"
    for key in ["funnel", "states", "eligibility", "scores"]:
        chart = page.locator(f"[data-chart={key}]").evaluate(DRAWN)
        assert not CJK.search(" ".join(chart["labels"] + chart["title"])), (key, chart)
    # Labels too long for their bars are turned rather than run into each other; those whose
    # words fit wrap within their bars.
    assert drawn["turned"] == 40
    assert page.locator("[data-chart=eligibility]").evaluate(DRAWN)["turned"] == 0
    for key in BATCH_CHARTS:
        card = page.locator(f"[data-testid=chart-{key}]")
        expect(card.locator("h2")).not_to_have_text(CJK)
        expect(page.locator(f"[data-testid=chart-description-{key}]")).to_contain_text(
            "The figures are in the data table below the chart."
        )
        expect(card.locator("thead th").first).not_to_have_text(CJK)

    # The tooltip, drawn on the canvas, names the stage in English.
    funnel.scroll_into_view_if_needed()
    box = funnel.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    page.wait_for_timeout(300)  # the tooltip follows the pointer after a frame
    full = shot(page, "english")
    funnel.screenshot(path=str(full.with_name(f"{full.stem}-funnel-tooltip.png")))
    page.locator("[data-testid=chart-table-cities] summary").click()
    cities_table = page.locator("[data-testid=chart-table-cities] table")
    expect(cities_table.locator("thead th")).to_have_text(
        [
            "City",
            "Started (drafts included)",
            "Submitted",
            "Recommended by the city",
            "Accepted by the province",
            "Expert review",
            "Proposed for recognition",
            "Recognised",
        ]
    )
    expect(cities_table.locator("tr", has_text="广州市").locator("td")).to_have_text(
        ["3", "2", "1", "0", "0", "0", "0"]
    )


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
