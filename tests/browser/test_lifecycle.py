"""The whole lifecycle of a batch in one browser test, every step through the pages.

On a fresh database only what no page can do is set up directly: the first province officer, the
two city officers and the experts, each with a confirmed authenticator (as the other browser
tests make them). Then, in the browser:

1. the province officer opens a batch from the Guangdong 2024 spec (3 experts per application);
2. an enterprise in 广州 (珠三角) and a platform in 汕头 register and apply; the enterprise is
   first blocked by the revenue rule, corrects the figure, and both submit;
3. 广州 returns the enterprise with a reason, the applicant resubmits; each city recommends, ranks,
   uploads its 推荐函 and sends its set;
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import PASSWORD, log_in_officer, officer_with_device, shot
from tests.browser.test_application_form import (
    BREAKDOWN,
    TEXT_VALUES,
    start_application,
    submit_and_check,
    walk_sections,
    write_pdf,
)
from tests.browser.test_city_review import PDF, open_from_queue, recommend
from tests.browser.test_registration import type_credit_code, wait_for_live_checks

pytestmark = pytest.mark.browser

GUANGZHOU, SHANTOU = "440100", "440500"
ENTERPRISE = "广州全周期示范制造有限公司"
PLATFORM = "汕头协同制造服务平台有限公司"
ENTERPRISE_CODE = factories.credit_code_for(GUANGZHOU, 5101)
PLATFORM_CODE = factories.credit_code_for(SHANTOU, 5102)
RETURN_REASON = "主营业务描述过于笼统，请写明主要产品和服务内容。"
NEW_MAIN_BUSINESS = "高端数控装备研发制造及远程运维、培训服务"


@dataclass
class Applicant:
    name: str
    credit_code: str
    city_code: str
    email: str
    category: str  # enterprise or platform
    page: Any = None
    pk: int = 0
    number: str = ""


@dataclass
class World:
    base: str
    tmp_path: Path
    province: Any
    cities: dict[str, Any]
    experts: list[Any]
    new_page: Any
    batch_pk: int = 0
    pages: dict[str, Any] = field(default_factory=dict)


def accepting(page: Any) -> Any:
    page.on("dialog", lambda dialog: dialog.accept())
    return page


# 1. The batch --------------------------------------------------------------------------------


def open_batch(world: World) -> None:
    from django.utils import timezone

    page = world.pages["province"]
    page.locator(".sf-navbar").get_by_role("link", name="征集批次", exact=True).click()
    page.get_by_role("link", name="发布征集批次").click()
    expect(page.locator("h1")).to_have_text("发布征集批次")
    expect(page.locator("#id_spec_file option:checked")).to_contain_text("guangdong")
    now = timezone.localtime().replace(second=0, microsecond=0)
    for name, moment in (
        ("opens_at", now - timedelta(hours=1)),
        ("closes_at", now + timedelta(days=7)),
        ("city_deadline", now + timedelta(days=14)),
    ):
        page.locator(f"#id_{name}").fill(moment.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_experts_per_application").fill("3")
    shot(page, "province-batch-form")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已发布征集批次")
    world.batch_pk = int(re.search(r"/batches/(\d+)/$", page.url).group(1))
    expect(page.locator("main")).to_contain_text("示范企业")
    shot(page, "province-batch-opened")


# 2. Registration and the application form ----------------------------------------------------


def register(world: World, applicant: Applicant) -> None:
    from shifan.core import reference

    page = applicant.page
    page.goto(f"{world.base}/register/")
    page.locator("#id_name").fill(applicant.name)
    type_credit_code(page, applicant.credit_code, "代码校验通过")
    page.locator("#id_nature").select_option("enterprise")
    page.locator("#id_city_code").select_option(applicant.city_code)
    page.locator("#id_county_code").select_option(reference.counties(applicant.city_code)[0].code)
    page.locator("#id_address").fill(f"{reference.city(applicant.city_code).name}示范大道8号")
    page.locator("#id_contact_name").fill("刘联系")
    page.locator("#id_contact_phone").fill("020-87654321")
    page.locator("#id_contact_email").fill(f"contact-{applicant.email}")
    page.locator("#id_admin_name").fill("周申报")
    page.locator("#id_admin_email").fill(applicant.email)
    page.locator("#id_admin_phone").fill("13912345678")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    wait_for_live_checks(page)
    shot(page, f"register-{applicant.category}")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()
    expect(page.locator("h1")).to_have_text(applicant.name)


def fill_enterprise(world: World, applicant: Applicant) -> None:
    from shifan.applications.models import Application

    page = applicant.page
    applicant.pk = start_application(page, world.base, "申报示范企业")
    form = Application.objects.get(pk=applicant.pk).form  # the spec's form, to walk its sections
    walk_sections(
        page,
        form,
        world.base,
        applicant.pk,
        choices={"modes": ["industrial_design"], "service_types": list(BREAKDOWN)},
        texts=TEXT_VALUES,
        skip=set(),
        uploads={"written_status": {"strategy_planning": write_pdf(world.tmp_path, "战略文件.pdf")}},
    )
    # The revenue of 2023 mistyped below the 珠三角 threshold: the rule fails, submitting is blocked.
    base, pk = world.base, applicant.pk
    page.goto(f"{base}/applications/{pk}/sections/operations/")
    revenue = page.locator('input[name="operating__main_business_revenue__2023"]')
    rule = page.locator('[data-eligibility-panel] [data-rule="prior_year_revenue"]')
    revenue.fill("4200")
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute("data-state", "saved")
    expect(rule).to_have_attribute("data-outcome", "fail")
    page.goto(f"{base}/applications/{pk}/submit/")
    expect(page.locator("[data-testid=submit-blocked]")).to_contain_text("4,200万元 < 5,000万元")
    expect(page.get_by_role("button", name="提交申报书")).to_be_disabled()
    shot(page, "enterprise-blocked-by-revenue")
    page.goto(f"{base}/applications/{pk}/sections/operations/")
    revenue.fill("9000")
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute("data-state", "saved")
    expect(rule).to_have_attribute("data-outcome", "pass")
    shot(page, "enterprise-revenue-corrected")
    page.goto(f"{base}/applications/{pk}/submit/")
    submit_and_check(page, base, pk, r"GD-SMD-2024-E-\d{4}")
    applicant.number = page.locator("[data-testid=application-number]").inner_text()


def fill_platform(world: World, applicant: Applicant) -> None:
    from shifan.applications.models import Application

    page = applicant.page
    applicant.pk = start_application(page, world.base, "申报示范平台")
    form = Application.objects.get(pk=applicant.pk).form
    walk_sections(
        page,
        form,
        world.base,
        applicant.pk,
        choices={
            "main_mode": ["shared_manufacturing"],
            "shared_capabilities": [option.key for option in form.field("shared_capabilities").options],
        },
        texts=TEXT_VALUES,
        skip={"other_modes"},
        uploads={"written_construction": {"strategy": write_pdf(world.tmp_path, "平台战略.pdf")}},
    )
    submit_and_check(page, world.base, applicant.pk, r"GD-SMD-2024-P-\d{4}")
    applicant.number = page.locator("[data-testid=application-number]").inner_text()


# 3. The cities -------------------------------------------------------------------------------


def city_returns(world: World, applicant: Applicant) -> None:
    page = world.pages[applicant.city_code]
    page.get_by_role("link", name="申报审核", exact=True).click()
    open_from_queue(page, applicant.name)
    panel = page.locator("[data-testid=review-panel]")
    form = panel.locator("form").filter(has=page.locator("#return-text"))
    form.locator("#return-text").fill(RETURN_REASON)
    form.get_by_role("button", name="退回修改").click()
    expect(panel.locator("[data-testid=review-state]")).to_have_text("退回修改")
    shot(page, "city-returned")


def applicant_resubmits(world: World, applicant: Applicant) -> None:
    page, base, pk = applicant.page, world.base, applicant.pk
    page.goto(f"{base}/applications/{pk}/")
    expect(page.locator("[data-testid=application-state]")).to_have_text("退回修改")
    expect(page.locator("[data-testid=returned-reason]")).to_contain_text(RETURN_REASON)
    page.goto(f"{base}/applications/{pk}/sections/basic/")
    page.locator('[name="main_business"]').fill(NEW_MAIN_BUSINESS)
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute("data-state", "saved")
    page.goto(f"{base}/applications/{pk}/submit/")
    page.get_by_role("button", name="提交申报书").click()
    expect(page.locator("[data-testid=application-state]")).to_have_text("已提交")
    expect(page.locator("[data-testid=application-number]")).to_have_text(applicant.number)
    shot(page, "applicant-resubmitted")


def city_recommends_and_sends(world: World, applicant: Applicant) -> None:
    page = world.pages[applicant.city_code]
    page.get_by_role("link", name="申报审核", exact=True).click()
    open_from_queue(page, applicant.name)
    recommend(page, "服务型制造转型成效明显，同意推荐。")
    page.get_by_role("link", name="申报审核", exact=True).click()
    page.get_by_role("link", name="推荐结果与报送").click()
    expect(page).to_have_url(f"{world.base}/review/batches/{world.batch_pk}/city/")
    expect(page.locator("[data-testid=rank-row]")).to_have_count(1)
    page.locator(f'input[name="rank_{applicant.pk}"]').fill("1")
    page.get_by_role("button", name="保存排序").click()
    expect(page.locator(".alert-success")).to_contain_text("排序已保存")
    letter = world.tmp_path / f"推荐函-{applicant.city_code}.pdf"
    letter.write_bytes(PDF)
    page.locator('input[type=file][name="letter"]').set_input_files(letter)
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("推荐函已上传")
    page.get_by_role("button", name="报送推荐结果").click()
    expect(page.locator(".alert-success").first).to_contain_text("已报送省工信厅")
    shot(page, f"city-sent-{applicant.city_code}")


# 4-6. The province accepts, the experts score, the proposed list ------------------------------


def province_accepts(world: World, applicants: list[Applicant]) -> None:
    page = world.pages["province"]
    for accepted, applicant in enumerate(applicants):
        page.get_by_role("link", name="形式审查", exact=True).click()
        page.locator("#state").select_option(label="已推荐")
        page.get_by_role("button", name="查询").click()
        expect(page.locator("[data-testid=queue-row]")).to_have_count(len(applicants) - accepted)
        if not accepted:
            shot(page, "province-queue")
        open_from_queue(page, applicant.name)
        panel = page.locator("[data-testid=review-panel]")
        panel.get_by_role("button", name="受理", exact=True).click()
        expect(panel.locator("[data-testid=review-state]")).to_have_text("已受理")
    shot(page, "province-accepted")


def assign_experts(world: World, enterprise: Applicant) -> None:
    page = world.pages["province"]
    page.get_by_role("link", name="专家评审", exact=True).click()
    expect(page).to_have_url(f"{world.base}/review/batches/{world.batch_pk}/assignments/")
    expect(page.locator("[data-testid=plan-missing]")).to_have_text("6")
    page.locator("[data-testid=solve]").click()
    expect(page.locator(".alert-success")).to_contain_text("已证明为最优方案")
    expect(page.locator("[data-testid=plan-expert]")).to_have_count(6)
    expect(page.locator("[data-testid=plan-missing]")).to_have_text("0")
    # 专家3 works in 广州: never on the 广州 enterprise.
    row = page.locator(f'[data-testid=plan-row][data-number="{enterprise.number}"]')
    expect(row.locator("[data-testid=plan-expert]")).to_have_count(3)
    expect(row).not_to_contain_text("专家3")
    shot(page, "province-assignment-proposed")
    page.locator("[data-testid=publish]").click()
    expect(page.locator(".alert-success")).to_contain_text("已发布 6 项评审任务")


def expert_scores(world: World, expert: Any) -> int:
    """Log in as the expert and score every assigned application; return how many."""
    page = accepting(world.new_page())
    log_in_officer(page, world.base, expert, "[data-testid=expert-home]")
    page.get_by_role("link", name="评审任务", exact=True).click()
    count = page.locator("[data-testid=assignment-row]").count()
    for _ in range(count):
        page.get_by_role("link", name="开始评审").first.click()
        expect(page.locator("[data-testid=applicant-name]")).to_be_visible()
        page.get_by_role("button", name="确认无利益冲突，开始评审").click()
        expect(page.locator("[data-testid=score-sheet]")).to_be_visible()
        for box in page.locator("input[data-score]").all():
            box.fill(str(int(float(box.get_attribute("data-max")) * 0.8)))
        for area in page.locator("textarea[name^=comment_]").all():
            area.fill("与材料对应，论述清楚。")
        page.locator("#overall_comment").fill("总体符合示范要求，建议列入。")
        shot(page, f"expert-sheet-{expert.name}")
        page.get_by_role("button", name="提交评分").click()
        expect(page.locator(".alert-success")).to_contain_text("评分已提交")
    expect(page.get_by_role("link", name="开始评审")).to_have_count(0)
    return count


def make_proposed_list(world: World, applicants: list[Applicant]) -> None:
    page = world.pages["province"]
    page.get_by_role("link", name="专家评审", exact=True).click()
    page.get_by_role("link", name="评分汇总与拟认定名单").click()
    rows = page.locator("[data-testid=ranking-row]")
    expect(rows).to_have_count(len(applicants))
    for applicant in applicants:
        row = page.locator(f'[data-testid=ranking-row][data-number="{applicant.number}"]')
        expect(row.locator("input[type=checkbox]")).to_be_checked()  # within the quota
        page.locator(f"[data-testid=mark-{applicant.category}]").click()
        expect(page.locator(".alert-success")).to_contain_text("拟认定名单已保存（1 个）")
    page.locator("[data-testid=fix-list]").click()
    expect(page.locator("[data-testid=list-fixed]")).to_be_visible()
    shot(page, "province-proposed-list")


# The test ------------------------------------------------------------------------------------


def make_people() -> tuple[Any, dict[str, Any], list[Any]]:
    """The accounts no page can create: officers and experts, with their authenticators."""
    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    cities = {
        GUANGZHOU: officer_with_device(
            email="gz@example.com", name="李广州", role="city_officer", city_code=GUANGZHOU
        ),
        SHANTOU: officer_with_device(
            email="st@example.com", name="陈汕头", role="city_officer", city_code=SHANTOU
        ),
    }
    experts = []
    # Three experts from 深圳 and 佛山 and one from 广州: the one in 广州 may not review the enterprise.
    for index, city_code in enumerate(["440300", "440600", "440300", GUANGZHOU]):
        expert = officer_with_device(email=f"expert{index}@example.com", name=f"专家{index}", role="expert")
        profile = expert.expert_profile
        profile.city_code = city_code
        profile.expertise = ["工业设计服务", "共享制造", "制造业", "平台经济"]
        profile.save()
        experts.append(expert)
    return province, cities, experts


def test_the_whole_lifecycle_through_the_pages(live_server: Any, new_page: Any, tmp_path: Path) -> None:
    province, cities, experts = make_people()
    world = World(
        base=live_server.url,
        tmp_path=tmp_path,
        province=province,
        cities=cities,
        experts=experts,
        new_page=new_page,
    )
    base = world.base

    # 1. The province opens the batch.
    page = world.pages["province"] = accepting(new_page())
    log_in_officer(page, base, province, "[data-testid=province-home]")
    open_batch(world)

    # 2. Two units register and apply.
    enterprise = Applicant(ENTERPRISE, ENTERPRISE_CODE, GUANGZHOU, "gz-admin@example.com", "enterprise")
    platform = Applicant(PLATFORM, PLATFORM_CODE, SHANTOU, "st-admin@example.com", "platform")
    for applicant in (enterprise, platform):
        # submit_and_check (below) makes the page accept the confirmation dialogs.
        applicant.page = new_page()
        register(world, applicant)
    fill_enterprise(world, enterprise)
    fill_platform(world, platform)

    # 3. The cities: 广州 returns the enterprise, which resubmits; both cities recommend and send.
    for city_code, officer in cities.items():
        world.pages[city_code] = accepting(new_page())
        log_in_officer(world.pages[city_code], base, officer, "[data-testid=city-home]")
    city_returns(world, enterprise)
    applicant_resubmits(world, enterprise)
    city_recommends_and_sends(world, enterprise)
    city_recommends_and_sends(world, platform)

    # 4. The province accepts both.
    province_accepts(world, [enterprise, platform])

    # 5. The experts are assigned without conflicts; each confirms and scores.
    assign_experts(world, enterprise)
    assert sum(expert_scores(world, expert) for expert in experts) == 6

    # 6. The proposed list.
    make_proposed_list(world, [enterprise, platform])
