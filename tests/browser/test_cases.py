"""Typical cases walked through the pages.

Two units are recognised (made as the announcement makes them); one of them already has a
published case. In the browser the province writes a case for the other unit, adds a picture,
publishes it after confirming, and a visitor without an account finds it in the public library
by filtering by mode and city, and opens it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import allow_console_error, log_in_officer, officer_with_device, shot
from tests.cases.conftest import png, published_case, recognised_unit

pytestmark = pytest.mark.browser

TITLE = "以工业设计服务带动整机升级"


@pytest.mark.django_db(transaction=True)
def test_officer_publishes_a_case_and_a_visitor_finds_it(live_server, new_page, tmp_path):
    from shifan.cases.models import CaseState, TypicalCase

    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    unit = recognised_unit(city_code="440300", city_name="深圳市")
    other = recognised_unit(city_code="440100", city_name="广州市")
    published_case(province, other, title="广州的设计服务案例", mode="industrial_design")
    picture = tmp_path / "设计中心.png"
    picture.write_bytes(png(1200, 675))
    base = live_server.url

    # 1. The province writes the case from the unit, with a picture, and publishes it.
    page = new_page()
    log_in_officer(page, base, province, "[data-testid=province-home]")
    page.get_by_role("link", name="公示公布", exact=True).click()
    page.get_by_role("link", name="典型案例", exact=True).click()
    expect(page).to_have_url(f"{base}/manage/cases/")
    page.locator("[data-testid=new-case]").click()
    page.locator("#id_unit").select_option(str(unit.pk))
    page.locator("[data-testid=pick-unit]").click()
    expect(page.locator("[data-testid=chosen-unit]")).to_contain_text(unit.unit_name)
    expect(page.locator("[data-testid=chosen-unit]")).to_contain_text("深圳市")
    expect(page.locator("#id_mode option:checked")).to_have_text("供应链管理")  # declared in its application
    page.locator("#id_title").fill(TITLE)
    allow_console_error(page, r"status of 400 .*/manage/cases/new/")
    page.locator("[data-testid=save-case]").click()
    # Refused beside the fields; what was typed stays.
    expect(page.locator("#id_summary-error")).to_have_text("请填写摘要。")
    expect(page.locator("#id_title")).to_have_value(TITLE)
    page.locator("#id_summary").fill("设计中心对外开放，三年服务企业 130 余家。")
    page.locator("#id_mode").select_option("industrial_design")
    page.locator("#id_body").fill("企业设立工业设计中心。\n面向产业链提供设计服务。")
    page.locator("[data-testid=save-case]").click()
    expect(page.locator(".alert-success")).to_contain_text("案例草稿已保存")
    expect(page.locator("[data-testid=case-state]")).to_have_text("草稿")
    page.locator("#id_picture").set_input_files(str(picture))
    page.locator("#id_caption").fill("设计中心样机间")
    page.locator("[data-testid=add-picture]").click()
    expect(page.locator(".alert-success")).to_contain_text("图片已添加")
    expect(page.locator("[data-testid=case-picture]")).to_contain_text("设计中心样机间")
    expect(page.locator("[data-testid=case-picture]")).to_contain_text("1200×675")
    shot(page, "cases-officer-draft")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=publish-case]").click()
    expect(page.locator(".alert-success")).to_contain_text("案例已发布")
    expect(page.locator("[data-testid=case-state]")).to_have_text("已发布")
    expect(page.locator("main")).to_contain_text("发布典型案例")  # the history
    case = TypicalCase.objects.get(title=TITLE)
    assert case.state == CaseState.PUBLISHED

    # 2. A visitor finds it by mode and city and opens it.
    page = new_page()
    page.goto(f"{base}/public/notices/")
    page.get_by_role("link", name="典型案例", exact=True).click()
    expect(page).to_have_url(f"{base}/public/cases/")
    expect(page.locator("[data-testid=case-card]")).to_have_count(2)
    page.locator("[data-testid=filter-mode]").select_option(label="工业设计服务")
    page.locator("[data-testid=filter-city]").select_option(label="深圳市")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"mode=industrial_design&city=440300"))
    cards = page.locator("[data-testid=case-card]")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text(unit.unit_name)
    thumbnail = cards.locator("img")
    expect(thumbnail).to_have_attribute("alt", "设计中心样机间")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 640  # the thumbnail
    shot(page, "cases-public-list")
    cards.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("[data-testid=case-unit]")).to_contain_text(unit.unit_name)
    expect(page.locator("[data-testid=case-city]")).to_have_text("深圳市")
    expect(page.locator("[data-testid=case-mode]")).to_have_text("工业设计服务")
    expect(page.get_by_role("link", name=unit.announcement.number)).to_be_visible()
    expect(page.locator("figcaption")).to_contain_text("设计中心样机间")
    expect(page.locator("main")).to_contain_text("面向产业链提供设计服务。")
    shot(page, "cases-public-case")
