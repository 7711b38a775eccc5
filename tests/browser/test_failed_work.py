"""The failed-work page walked through: a mail the worker could not send is sent again.

The province officer opens 系统管理 → 失败的任务与邮件, switches to the mails, reads the failure,
clicks 重试, confirms, and sees the mail marked as retried, with no button left to send it twice.
The live server runs tasks at once (the test suite's immediate backend), so the mail is sent
within the click.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in_officer, officer_with_device, shot

pytestmark = pytest.mark.browser

SUBJECT = "公示期满：2024年广东省服务型制造示范拟认定名单公示"


@pytest.mark.django_db(transaction=True)
def test_province_sends_a_failed_mail_again(live_server, new_page, mailoutbox):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    from shifan.core.models import AuditEvent, TaskRetry

    province = officer_with_device(email="province@example.com", name="张省厅", role="province_officer")
    failed = DBTaskResult.objects.create(
        task_path="shifan.core.mail.deliver_mail",
        args_kwargs={
            "args": [],
            "kwargs": {"subject": SUBJECT, "body": "请处理。", "to": ["city@example.gov.cn"]},
        },
        backend_name="default",
        run_after=get_date_max(),
        status="FAILED",
        finished_at=timezone.now(),
        worker_ids=["worker-1", "worker-2"],
        exception_class_path="smtplib.SMTPServerDisconnected",
        traceback=(
            'Traceback (most recent call last):\n  File "smtplib.py", line 405, in getreply\n'
            "smtplib.SMTPServerDisconnected: Connection unexpectedly closed\n"
        ),
    )
    base = live_server.url

    page = new_page()
    log_in_officer(page, base, province, "[data-testid=province-home]")
    page.get_by_role("button", name="系统管理").or_(page.get_by_role("link", name="系统管理")).first.click()
    page.get_by_role("link", name="失败的任务与邮件").click()
    expect(page.locator("h1")).to_have_text("失败的任务与邮件")
    expect(page.locator("tbody")).to_contain_text("没有失败的后台任务。")
    page.get_by_role("link", name="邮件", exact=True).click()
    row = page.locator("[data-testid=failed-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text("city@example.gov.cn")
    expect(row).to_contain_text("smtplib.SMTPServerDisconnected: Connection unexpectedly closed")
    expect(row.locator("td").nth(4)).to_have_text("2")  # tried by two workers
    shot(page, "failed-work-mail")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="重试").click()
    expect(page.locator(".alert-success")).to_contain_text("邮件已重新排队发送")
    expect(row.locator("[data-testid=retried]")).to_have_text("已重试")
    expect(row).to_contain_text("张省厅")
    expect(row.get_by_role("button", name="重试")).to_have_count(0)
    shot(page, "failed-work-retried")

    assert [sent.subject for sent in mailoutbox] == [SUBJECT]
    assert TaskRetry.objects.get(failed_task=failed).retried_by == province
    assert AuditEvent.objects.filter(action="core.mail_resent", actor=province).count() == 1
