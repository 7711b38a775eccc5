"""The whole lifecycle of a batch in one browser test, every step through the pages.

On a fresh database only what no page can do is set up directly: the first province officer, the
two city officers and four experts, each with a confirmed authenticator (as the other browser
tests make them; the experts' cities and fields are written on their profiles). Then, in the
browser:

1. the province officer opens a batch from the Guangdong 2024 spec (3 experts per application);
2. an enterprise in 广州 (珠三角) and a platform in 汕头 register, open the mailed link, hand in
   their licence and authorisation letter, are verified by the province, and apply, filling every section;
   the enterprise is first blocked by the revenue rule (4,200万元 < 5,000万元), corrects the
   figure, and both submit;
3. 广州 returns the enterprise with a reason, the applicant fixes it and resubmits; each city
   recommends, saves its ranking, uploads its 推荐函 and sends its set;
4. the province accepts both (形式审查);
5. the province solves and publishes the assignment (the expert working in 广州 is never on the
   广州 enterprise); each expert confirms no conflict and submits a full score sheet;
6. the province saves each category's list and fixes the proposed list;
7. the province opens the notice; a visitor objects to the enterprise on the public page and the
   province dismisses the objection;
8. the announcement is published;
9. the province opens a tracking round, the enterprise submits its report, the province rates it 良好;
10. the dashboard's tracking panel counts that evaluation;
11. the enterprise downloads its submitted book; the number and digest read from the PDF's footer
    are typed on /verify/, which answers 当前版本.

Two things a person does outside the pages are done by the test:
- the CAPTCHA of the objection form is answered with the text kept in the database under the key
  the page carries (as test_publicity does), standing for a person reading the image;
- the clock: the notice period only ends by working days passing, so (as test_publicity does) the
  notice's dates are moved into the past in the database before step 8; the pages then compute the
  period as over by themselves. Nothing else is written to the database.
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
from tests.browser.test_book import download, pages_text
from tests.browser.test_city_review import PDF, open_from_queue, recommend
from tests.browser.test_dashboard import chart_data
from tests.browser.test_registration import type_credit_code, wait_for_live_checks
from tests.browser.test_verification import mailed_path

pytestmark = pytest.mark.browser

GUANGZHOU, SHANTOU = "440100", "440500"
ENTERPRISE = "广州全周期示范制造有限公司"
PLATFORM = "汕头协同制造服务平台有限公司"
ENTERPRISE_CODE = factories.credit_code_for(GUANGZHOU, 5101)
PLATFORM_CODE = factories.credit_code_for(SHANTOU, 5102)
RETURN_REASON = "主营业务描述过于笼统，请写明主要产品和服务内容。"
NEW_MAIN_BUSINESS = "高端数控装备研发制造及远程运维、培训服务"
OBJECTOR_PHONE = "13800138000"
OBJECTION_GROUNDS = "该企业2023年发生较大安全生产事故，与申报材料所述不符，请核查。"
ANNOUNCEMENT_NUMBER = "粤工信融合函〔2026〕12号"
ROUND_TITLE = "年度运行情况报告（全周期测试）"
REPORT_FIGURES = {
    "total_assets": "52000",
    "operating_revenue": "12000",
    "service_revenue": "3600",
    "net_profit": "900",
    "rd_intensity": "4.1",
    "employees": "350",
}


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
    expect(page.locator("[data-testid=registration-sent]")).to_contain_text(applicant.email)
    # The mailed link, then the licence and the authorisation letter; the province verifies them.
    page.goto(world.base + mailed_path(applicant.email, r"/email/verify/[^/\s]+/"))
    page.get_by_role("link", name="登录并上传核验材料").click()
    page.locator("#id_username").fill(applicant.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{world.base}/organisation/verification/")
    page.locator("#id_licence").set_input_files(write_pdf(world.tmp_path, "营业执照.pdf"))
    page.locator("#id_authorisation").set_input_files(write_pdf(world.tmp_path, "授权书.pdf"))
    page.get_by_role("button", name="提交核验").click()
    expect(page.locator(".alert-success")).to_contain_text("核验材料已提交")
    verify_organisation(world, applicant)
    page.goto(f"{world.base}/")
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()
    expect(page.locator("h1")).to_have_text(applicant.name)


def verify_organisation(world: World, applicant: Applicant) -> None:
    page = world.pages["province"]
    page.goto(f"{world.base}/verification/")
    page.locator("[data-testid=verification-queue]").get_by_role("link", name=applicant.name).click()
    page.get_by_label("核验通过").check()
    page.get_by_role("button", name="提交核验结论").click()
    expect(page.locator(".alert-success")).to_contain_text(f"“{applicant.name}”：已核验")
    shot(page, f"province-verifies-{applicant.category}")


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
        page.get_by_test_id("sign-commitment").check()
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


# 7-8. The notice, an objection, the announcement -------------------------------------------


def open_notice(world: World) -> int:
    from django.utils import timezone

    page = world.pages["province"]
    page.get_by_role("link", name="公示公布", exact=True).click()
    page.get_by_role("link", name="发布公示", exact=True).click()
    expect(page).to_have_url(f"{world.base}/manage/publicity/batches/{world.batch_pk}/notice/")
    page.locator("#id_starts_on").fill(timezone.localdate().isoformat())
    page.locator("#id_contact_phone").fill("020-83133333")
    page.locator("[data-testid=preview-period]").click()
    expect(page.locator("[data-testid=period]")).to_contain_text("截止日期：")
    if page.locator("#id_accept_uncovered").count():  # late December: the next year may be uncovered
        page.locator("#id_accept_uncovered").check()
    shot(page, "province-notice-form")
    page.locator("[data-testid=publish-notice]").click()
    expect(page.locator(".alert-success")).to_contain_text("公示已发布")
    expect(page.locator("[data-testid=notice-phase]")).to_have_text("公示中")
    return int(re.search(r"/notices/(\d+)/$", page.url).group(1))


def file_objection(world: World, notice_pk: int, applicant: Applicant) -> str:
    from captcha.models import CaptchaStore

    page = world.new_page()
    page.goto(f"{world.base}/public/notices/")
    page.locator("main").get_by_role("link", name=re.compile("拟认定名单公示")).click()
    expect(page).to_have_url(f"{world.base}/public/notices/{notice_pk}/")
    expect(page.locator("[data-testid=notice-phase]")).to_have_text("公示中")
    shot(page, "public-notice")
    page.locator("tr").filter(has_text=applicant.name).get_by_role("link", name="提出异议").click()
    expect(page.locator("#id_entry option:checked")).to_contain_text(applicant.name)
    page.locator("#id_name").fill("张明")
    page.locator("#id_phone").fill(OBJECTOR_PHONE)
    page.locator("#id_grounds").fill(OBJECTION_GROUNDS)
    # The CAPTCHA's answer, as a person reads it off the image: kept in the database by its key.
    key = page.locator("input[name=captcha_0]").input_value()
    page.locator("input[name=captcha_1]").fill(CaptchaStore.objects.get(hashkey=key).response)
    shot(page, "public-objection-form")
    page.get_by_role("button", name="提交异议").click()
    reference = page.locator("[data-testid=objection-reference]")
    expect(reference).to_have_text(re.compile(r"^YY\d{4}-\w{4}-\w{4}$"))
    return reference.inner_text()


def decide_objection(world: World, notice_pk: int, reference: str) -> None:
    page = world.pages["province"]
    page.goto(f"{world.base}/manage/publicity/notices/{notice_pk}/")
    rows = page.locator("[data-testid=objection-row]")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=reference).click()
    expect(page.locator("main")).to_contain_text(OBJECTION_GROUNDS)
    page.locator("#id_decision_findings").fill("经向应急管理部门核实，该事故发生在2019年，不在近三年内。")
    page.get_by_label("异议不成立，保留在名单中").check()
    page.locator("#id_decision_reason").fill("所反映的事故不在申报条件规定的近三年内，异议不成立。")
    shot(page, "province-objection-decision")
    page.locator("[data-testid=decide]").click()
    expect(page.locator(".alert-success")).to_contain_text("异议已处理")
    expect(page.locator("[data-testid=announcement-refusal]")).to_contain_text("期满后才能发布认定通告")


def publish_announcement(world: World, notice_pk: int, applicants: list[Applicant]) -> None:
    from django.utils import timezone

    from shifan.publicity.models import Notice

    # The clock: the notice period ends only by days passing. As in test_publicity, its dates are
    # moved into the past; the pages then compute the period as over by themselves.
    today = timezone.localdate()
    Notice.objects.filter(pk=notice_pk).update(
        starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=20)
    )
    page = world.pages["province"]
    page.get_by_role("link", name="公示公布", exact=True).click()
    expect(page.locator("main")).to_contain_text("公示期满")
    page.goto(f"{world.base}/manage/publicity/notices/{notice_pk}/")
    expect(page.locator("[data-testid=notice-phase]")).to_have_text("公示期满")
    page.locator("[data-testid=announce]").click()
    page.locator("#id_number").fill(ANNOUNCEMENT_NUMBER)
    page.locator("[data-testid=publish-announcement]").click()
    expect(page).to_have_url(re.compile(r"/public/announcements/\d+/$"))
    expect(page.locator("main")).to_contain_text(ANNOUNCEMENT_NUMBER)
    for applicant in applicants:
        expect(page.locator("main")).to_contain_text(applicant.name)
    expect(page.locator("main")).to_contain_text("示范企业（1 家）")
    expect(page.locator("main")).to_contain_text("示范平台（1 家）")
    shot(page, "public-announcement")


# 9-11. Tracking, the dashboard, the book -----------------------------------------------------


def open_round(world: World) -> None:
    from django.utils import timezone

    page = world.pages["province"]
    page.goto(f"{world.base}/")  # from the public announcement back to the officer's pages
    page.get_by_role("link", name="动态跟踪", exact=True).click()
    page.get_by_role("link", name="发起报告", exact=True).click()
    page.locator("#id_title").fill(ROUND_TITLE)
    page.locator("#id_due_on").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    shot(page, "province-round-form")
    page.locator("[data-testid=open-round]").click()
    expect(page.locator(".alert-success")).to_contain_text("已通知 2 家示范单位")


def submit_report(world: World, applicant: Applicant) -> None:
    page = applicant.page
    page.goto(f"{world.base}/")
    page.get_by_role("link", name="运行情况报告", exact=True).click()
    expect(page.locator("[data-testid=own-report-row]")).to_contain_text("未提交")
    page.get_by_role("link", name="填报", exact=True).click()
    for name, value in REPORT_FIGURES.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("textarea[name=work_done]").fill("本年度上线设备远程运维平台，新增备件服务。")
    page.locator("textarea[name=experience]").fill("以设备运行数据为基础开展预测性维护。")
    page.locator("#major_accident-no").check()
    page.locator("[data-testid=submit-report]").click()
    expect(page.locator(".alert-success")).to_contain_text("报告已提交。")
    expect(page.locator("[data-testid=report-state]")).to_have_text("已提交")
    shot(page, "unit-report-submitted")


def evaluate_report(world: World, applicant: Applicant) -> None:
    page = world.pages["province"]
    page.get_by_role("link", name="动态跟踪", exact=True).click()
    page.get_by_role("link", name=ROUND_TITLE).click()
    row = page.locator("[data-testid=report-row]").filter(has_text=applicant.name)
    expect(row.locator("[data-testid=report-state]")).to_have_text("已提交")
    row.get_by_role("link", name="查看并评价").click()
    page.get_by_label("良好").check()
    page.locator("[data-testid=evaluate]").click()
    expect(page.locator(".alert-success").first).to_contain_text("已评价为“良好”")
    expect(page.locator("[data-testid=evaluation-result]")).to_contain_text("良好")
    shot(page, "province-report-evaluated")


def dashboard_shows_the_result(world: World) -> None:
    page = world.pages["province"]
    page.locator(".sf-navbar").get_by_role("link", name="统计", exact=True).click()
    expect(page.locator("[data-testid=dashboard-title]")).to_have_text("统计分析")
    expect(page.locator("[data-chart=evaluations]")).to_have_attribute("data-chart-ready", "true")
    # Both units count towards the programme's 2027 target, one in each city's funnel row.
    expect(page.locator("[data-testid=target-2027-reached]")).to_have_text(re.compile(r"^2 / \d+$"))
    funnel = page.locator("[data-testid=funnel-table]")
    for city in ("广州市", "汕头市"):
        expect(funnel.locator("tr", has_text=city).locator("td").last).to_have_text("1")
    data = chart_data(page)
    evaluations = data["evaluations"]
    assert dict(zip(evaluations["labels"], evaluations["series"][0]["values"], strict=True))["良好"] == 1
    shot(page, "dashboard")


def book_verifies(world: World, applicant: Applicant) -> None:
    page = applicant.page
    page.goto(f"{world.base}/applications/{applicant.pk}/")
    card = page.locator("[data-testid=book-downloads]")
    book = download(page, card.locator("[data-testid=book-pdf]"), world.tmp_path / "book")
    footer = pages_text(book)[-1]
    number = re.search(r"申报编号(GD-SMD-2024-[EP]-\d{4})", footer).group(1)
    digest = re.search(r"摘要([0-9a-f]{12})", footer).group(1)
    assert number == applicant.number
    page.goto(f"{world.base}/verify/")
    page.locator("#id_number").fill(number)
    page.locator("#id_digest").fill(digest)
    page.get_by_role("button", name="核验").click()
    result = page.locator("[data-testid=verify-result]")
    expect(result).to_have_attribute("data-outcome", "current")
    expect(result).to_contain_text("当前版本")
    expect(result).to_contain_text(f"申报编号 {number} 的第 2 次提交")
    shot(page, "book-verified")


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

    # 7. The notice opens; a visitor objects on the public page; the province dismisses it.
    notice_pk = open_notice(world)
    reference = file_objection(world, notice_pk, enterprise)
    decide_objection(world, notice_pk, reference)

    # 8. The period is over (the clock, see publish_announcement): the announcement.
    publish_announcement(world, notice_pk, [enterprise, platform])

    # 9. A tracking round: the enterprise reports, the province evaluates.
    open_round(world)
    submit_report(world, enterprise)
    evaluate_report(world, enterprise)

    # 10. The dashboard counts it.
    dashboard_shows_the_result(world)

    # 11. The enterprise's printed book verifies.
    book_verifies(world, enterprise)
