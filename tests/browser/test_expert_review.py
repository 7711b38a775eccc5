"""Expert review walked through the pages: assignment, scoring, the proposed list.

Two enterprise applications accepted by the province and three experts are set up through the
services. In the browser the province computes the optimal assignment and publishes it; an expert
confirms it has no conflict, sees the application and its eligibility results beside the score
sheet, is stopped by an out-of-range score, saves a draft, comes back and submits; the other
sheets are submitted through the services; the province sees the ranking, marks the list within
the quota (refused first for a departure without reason) and fixes it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import allow_console_error, log_in_officer, officer_with_device, shot

pytestmark = pytest.mark.browser


def accepted_application(batch: Any, *, city_code: str, name: str, serial: int) -> Any:
    from shifan.applications.models import ApplicationState

    organisation = factories.OrganisationFactory(city_code=city_code, name=name)
    application = factories.ApplicationFactory(
        batch=batch,
        organisation=organisation,
        answers={"modes": {"selected": ["industrial_design"]}, "industry": "34", "intro": "企业简介正文"},
    )
    application.number = f"GD-SMD-2024-E-{serial:04d}"
    factories.submitted(application)
    application.state = ApplicationState.ACCEPTED
    application.save(update_fields=["state"])
    return application


def sheet(assignment: Any, value: str) -> dict[str, Any]:
    leaves = list(assignment.batch.category("enterprise").rubric_leaves())
    return {
        "scores": {leaf.key: value for leaf in leaves},
        "comments": {leaf.key: "论述充分，佐证齐全。" for leaf in leaves},
        "overall_comment": "总体较好，建议列入。",
    }


@pytest.mark.django_db(transaction=True)
def test_expert_scores_and_the_province_fixes_the_proposed_list(live_server, new_page):
    from shifan.applications.models import Application, ApplicationState
    from shifan.expert_review import services
    from shifan.expert_review.models import Assignment

    batch = factories.BatchFactory(experts_per_application=2, expert_max_load=2, quotas={"enterprise": 1})
    strong = accepted_application(batch, city_code="440600", name="佛山优质制造股份有限公司", serial=1)
    weak = accepted_application(batch, city_code="440700", name="江门一般制造股份有限公司", serial=2)
    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    reviewer = officer_with_device(email="expert@example.com", name="周评审", role="expert")
    profile = reviewer.expert_profile
    # The reviewer also knows the applicants' industry: the best fit, so the optimum uses it.
    profile.city_code, profile.expertise, profile.industries = "440300", ["工业设计服务"], ["34"]
    profile.save()
    others = [
        factories.ExpertProfileFactory(
            user__name=f"专家{i}", city_code="440400", expertise=["工业设计服务"]
        ).user
        for i in range(2)
    ]
    base = live_server.url

    # 1. The province computes the assignment and publishes it.
    page = province_page = new_page()
    allow_console_error(
        page, r"status of 400 \(Bad Request\) \(http://[^/]+/review/batches/\d+/proposed-list/"
    )
    log_in_officer(page, base, province, "[data-testid=province-home]")
    page.get_by_role("link", name="专家评审", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/review/batches/{batch.pk}/assignments/$"))
    expect(page.locator("[data-testid=plan-missing]")).to_have_text("4")
    page.locator("[data-testid=solve]").click()
    expect(page.locator(".alert-success")).to_contain_text("已证明为最优方案")
    expect(page.locator("[data-testid=plan-expert]")).to_have_count(4)
    expect(page.locator("[data-testid=plan-missing]")).to_have_text("0")
    shot(page, "assignment proposed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=publish]").click()
    expect(page.locator(".alert-success")).to_contain_text("已发布 4 项评审任务")
    assert Application.objects.get(pk=strong.pk).state == ApplicationState.IN_REVIEW

    # The reviewer's assignments beyond the one scored in the browser, and the others' sheets.
    mine = list(Assignment.objects.filter(expert=reviewer).order_by("application__number"))
    assert len(mine) == 2
    target = mine[0]
    for assignment in Assignment.objects.exclude(pk=target.pk):
        services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
        value = "4" if assignment.application_id == strong.pk else "2"
        services.save_scores(
            actor=assignment.expert, assignment=assignment, submit=True, **sheet(assignment, value)
        )

    # 2. The expert opens the task: first the conflict check, then the application and the sheet.
    page = new_page()
    # A refused sheet is answered 400 with the messages beside the fields.
    allow_console_error(page, r"status of 400 \(Bad Request\) \(http://[^/]+/expert/assignments/\d+/\)$")
    log_in_officer(page, base, reviewer, "[data-testid=expert-home]")
    page.get_by_role("link", name="评审任务", exact=True).click()
    row = page.locator("[data-testid=assignment-row]").filter(has_text=target.application.number)
    row.get_by_role("link", name="开始评审").click()
    expect(page.locator("[data-testid=applicant-name]")).to_have_text(target.application.organisation.name)
    page.get_by_test_id("sign-commitment").check()
    page.get_by_role("button", name="确认无利益冲突，开始评审").click()
    expect(page.locator("[data-testid=score-sheet]")).to_be_visible()
    expect(page.locator("[data-testid=eligibility-stored]")).to_be_visible()
    expect(page.locator("[data-testid=application-content]")).to_contain_text("企业简介正文")
    for other in others:  # another expert's name never shows
        expect(page.locator("body")).not_to_contain_text(other.name)

    inputs = page.locator("input[data-score]")
    count = inputs.count()
    assert count == 14
    inputs.nth(0).fill("6")  # 企业简介 is worth 5
    expect(inputs.nth(0)).to_have_class(re.compile("is-invalid"))
    page.get_by_role("button", name="暂存").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("分值应在 0 到 5 之间")
    value = "4" if target.application_id == strong.pk else "2"
    for index in range(count):
        inputs.nth(index).fill(value)
    expect(page.locator("[data-testid=score-total]")).to_have_text(str(int(value) * 14))
    page.get_by_role("button", name="暂存").click()
    expect(page.locator(".alert-success")).to_contain_text("评分已暂存")
    shot(page, "draft saved")
    # Coming back: the draft is there; submitting without comments is refused beside the fields.
    page.reload()
    expect(inputs.nth(3)).to_have_value(value)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交评分").click()
    expect(page.locator(".invalid-feedback").filter(has_text="请填写评语")).to_have_count(14)
    for area in page.locator("textarea[name^=comment_]").all():
        area.fill("与材料对应，论述清楚。")
    page.locator("#overall_comment").fill("总体符合示范要求。")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交评分").click()
    expect(page.locator(".alert-success")).to_contain_text("评分已提交")
    expect(row.locator(".badge")).to_have_text("已提交")
    target.refresh_from_db()
    assert target.submitted_at is not None

    # 3. The province ranks, marks the list within the quota and fixes it.
    # The page of step 1: a second login within 30 seconds would need a code not shown yet.
    page = province_page
    page.goto(f"{base}/review/batches/{batch.pk}/results/")
    rows = page.locator("[data-testid=ranking-row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-number", strong.number)
    expect(rows.nth(0).locator("[data-testid=final-score]")).to_have_text("56.00")
    expect(rows.nth(1).locator("[data-testid=final-score]")).to_have_text("28.00")
    shot(page, "ranking")
    # Choosing the lower-ranked one instead needs a reason.
    rows.nth(0).locator("input[type=checkbox]").uncheck()
    rows.nth(1).locator("input[type=checkbox]").check()
    page.locator("[data-testid=mark-enterprise]").click()
    expect(page.locator(".alert-danger")).to_contain_text("未按排名取舍的申报须写明理由")
    # Beside each row: what is wrong with it, not a bare number.
    expect(page.locator("[data-testid=row-error]")).to_have_count(2)
    expect(page.locator("[data-testid=row-error]").first).to_contain_text("排名第 1，在名额线以内却未选入")
    shot(page, "list refused beside the rows")
    rows = page.locator("[data-testid=ranking-row]")
    expect(rows.nth(1).locator("input[type=checkbox]")).to_be_checked()
    rows.nth(1).locator("input[type=checkbox]").uncheck()
    rows.nth(0).locator("input[type=checkbox]").check()
    page.locator("[data-testid=mark-enterprise]").click()
    expect(page.locator(".alert-success")).to_contain_text("拟认定名单已保存（1 个）")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=fix-list]").click()
    expect(page.locator("[data-testid=list-fixed]")).to_be_visible()
    shot(page, "list fixed")
    assert Application.objects.get(pk=strong.pk).state == ApplicationState.PROPOSED
    assert Application.objects.get(pk=weak.pk).state == ApplicationState.NOT_SELECTED
