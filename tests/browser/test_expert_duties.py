"""Expert review as its people live it: nothing decided by hand silently undone, every duty shown.

The province solves a short pool: as many reviews as possible are assigned, the application left
short is named, and the bound and gap stay on the page; a manual change survives solving again,
and giving it up asks first. The expert's home lists the open task with the province's deadline;
the conflict check needs the commitment (承诺书) signed; leaving a score sheet with unsaved
changes asks first; the sheet prints as a PDF.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import allow_console_error, shot, sign_in
from tests.browser.test_expert_review import accepted_application

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_assignment_keeps_manual_pairs_and_the_expert_sees_its_duties(live_server, new_page):
    from django.utils import timezone

    from shifan.expert_review.models import Assignment, AssignmentSource

    batch = factories.BatchFactory(
        experts_per_application=2,
        expert_max_load=1,
        review_deadline=timezone.now() + timedelta(days=4),
    )
    first = accepted_application(batch, city_code="440600", name="佛山优质制造股份有限公司", serial=1)
    second = accepted_application(batch, city_code="440700", name="江门一般制造股份有限公司", serial=2)
    province = factories.UserFactory(role="province_officer", name="张省厅")
    [
        factories.ExpertProfileFactory(
            user__name=f"专家{i}", city_code="440400", expertise=["工业设计服务"], industries=["34"]
        ).user
        for i in range(3)
    ]
    base = live_server.url

    # 1. Three experts, one review each, four needed: three assigned, the short one named.
    page = new_page()
    sign_in(page.context, base, province)
    page.goto(f"{base}/review/batches/{batch.pk}/assignments/")
    page.locator("[data-testid=solve]").click()
    expect(page.locator(".alert-danger").first).to_contain_text("共缺 1 人次")
    expect(page.locator("[data-testid=plan-expert]")).to_have_count(3)
    panel = page.locator("[data-testid=last-solve]")
    expect(panel).to_contain_text("差距 0")
    expect(panel).to_contain_text("已证明为最优方案")
    expect(panel).to_contain_text("共缺 1 人次")
    shot(page, "short pool solved")
    # The panel stays after the flash messages are gone.
    page.reload()
    expect(page.locator("[data-testid=last-solve]")).to_contain_text("差距 0")

    # 2. A manual change survives solving again; giving it up asks first.
    spare = factories.ExpertProfileFactory(user__name="备用专家", city_code="440400", expertise=[]).user
    pair = Assignment.objects.filter(application=first).first()
    assert pair is not None
    page.goto(f"{base}/review/assignments/{pair.pk}/replace/")
    page.locator(f"button[name=expert][value='{spare.pk}']").click()
    expect(page.locator("[data-testid=manual-pairs]")).to_contain_text(spare.name)
    page.locator("[data-testid=solve]").click()
    expect(page.locator(".alert-success")).to_contain_text("保留了 1 项人工调整")
    assert Assignment.objects.filter(expert=spare, source=AssignmentSource.OFFICER).exists()
    page.locator("[data-testid=drop-manual]").check()
    messages: list[str] = []

    def dismiss(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("[data-testid=solve]").click()
    expect(page.locator("[data-testid=manual-pairs]")).to_be_visible()
    assert messages
    assert "将放弃 1 项人工调整" in messages[0]
    assert Assignment.objects.filter(expert=spare).exists()
    shot(page, "manual pair kept")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=solve]").click()
    expect(page.locator(".alert-info")).to_contain_text(f"已放弃的人工调整：{first.number}：{spare.name}")
    assert not Assignment.objects.filter(source=AssignmentSource.OFFICER).exists()
    assert Assignment.objects.filter(application=second).exists()

    # 3. The expert's home lists the open task with the deadline.
    from shifan.expert_review.models import AssignmentState

    Assignment.objects.filter(batch=batch).update(
        state=AssignmentState.PUBLISHED, published_at=timezone.now()
    )
    task = Assignment.objects.filter(batch=batch).select_related("expert", "application").first()
    assert task is not None
    page = new_page()
    # The unsigned confirmation is answered 400 with the message beside the checkbox.
    allow_console_error(
        page, r"status of 400 \(Bad Request\) \(http://[^/]+/expert/assignments/\d+/conflict/\)$"
    )
    sign_in(page.context, base, task.expert)
    page.goto(f"{base}/")
    expect(page.locator("[data-testid=open-task]").first).to_contain_text(task.application.number)
    expect(page.locator("[data-testid=review-deadline]").first).to_contain_text(
        timezone.localtime(batch.review_deadline).strftime("%Y-%m-%d")
    )
    shot(page, "expert home")
    page.locator("[data-testid=open-task] a").first.click()
    # The commitment must be signed.
    expect(page.locator("[data-testid=commitment]")).to_contain_text("严格保密")
    page.get_by_role("button", name="确认无利益冲突，开始评审").click()
    expect(page.locator("#signed-error")).to_contain_text("请阅读并签署评审专家承诺书")
    shot(page, "commitment refused")
    page.get_by_test_id("sign-commitment").check()
    page.get_by_role("button", name="确认无利益冲突，开始评审").click()
    expect(page.locator("[data-testid=score-sheet]")).to_be_visible()

    # 4. Leaving with unsaved changes asks; the sheet prints as a PDF.
    page.locator("input[data-score]").first.fill("3")
    asked: list[str] = []

    def leave(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", leave)
    page.get_by_role("link", name="评审任务", exact=True).first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page.locator("[data-testid=score-sheet]")).to_be_visible()
    page.get_by_role("button", name="暂存").click()
    expect(page.locator(".alert-success")).to_contain_text("评分已暂存")
    response = page.request.get(base + (page.locator("[data-testid=sheet-pdf]").get_attribute("href") or ""))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
