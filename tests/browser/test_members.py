"""An organisation's administrator invites a member by e-mail, then removes them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, make_organisation, shot

pytestmark = pytest.mark.browser

INVITEE_EMAIL = "wu@example.com"
INVITEE_NAME = "吴同事"


def invitation_path(message: Any) -> str:
    match = re.search(r"https?://\S+?(/invitations/[\w-]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_admin_invites_a_member_then_removes_them(live_server: Any, new_page: Any) -> None:
    from shifan.accounts.models import Membership, User

    membership = make_organisation(admin_email="admin@example.com", admin_name="陈管理")
    organisation = membership.organisation
    mail.outbox.clear()

    admin = new_page()
    log_in(admin, live_server.url, "admin@example.com")
    expect(admin.locator("[data-testid=applicant-home]")).to_be_visible()
    admin.get_by_role("link", name="本单位").click()
    expect(admin).to_have_url(f"{live_server.url}/organisation/")
    admin.locator("#id_name").fill(INVITEE_NAME)
    admin.locator("#id_email").fill(INVITEE_EMAIL)
    admin.get_by_role("button", name="发送邀请").click()

    expect(admin.locator(".alert-success")).to_contain_text(f"邀请邮件已发送至 {INVITEE_EMAIL}")
    expect(admin.get_by_role("row").filter(has_text=INVITEE_EMAIL)).to_contain_text("待接受")
    shot(admin, "invitation-sent")
    sent = [message for message in mail.outbox if message.to == [INVITEE_EMAIL]]
    assert len(sent) == 1
    assert organisation.name in sent[0].subject
    assert INVITEE_NAME in sent[0].body

    invitee = new_page()
    invitee.goto(f"{live_server.url}{invitation_path(sent[0])}")
    expect(invitee.locator("h1")).to_have_text(f"加入“{organisation.name}”")
    expect(invitee.locator("main")).to_contain_text(INVITEE_EMAIL)
    expect(invitee.locator("#id_name")).to_have_value(INVITEE_NAME)
    invitee.locator("#id_phone").fill("13700000000")
    invitee.locator("#id_password1").fill(PASSWORD)
    invitee.locator("#id_password2").fill(PASSWORD)
    shot(invitee, "accept-invitation")
    invitee.get_by_role("button", name="设置密码并加入").click()

    expect(invitee.locator("[data-testid=applicant-home]")).to_be_visible()
    expect(invitee).to_have_url(f"{live_server.url}/")
    expect(invitee.locator("h1")).to_have_text(organisation.name)
    expect(invitee.locator(".alert-success")).to_contain_text(f"欢迎加入“{organisation.name}”")
    expect(invitee.locator("[data-testid=user-menu]")).to_contain_text(INVITEE_NAME)
    shot(invitee, "member-home")

    admin.reload()
    member_row = admin.get_by_role("row").filter(has_text=INVITEE_EMAIL).filter(has_text="申报人")
    expect(member_row).to_have_count(1)
    member_row.get_by_role("link", name="移除").click()
    expect(admin).to_have_url(re.compile(r"/organisation/members/\d+/remove/$"))
    expect(admin.locator("h1")).to_have_text(f"移除成员 {INVITEE_NAME}？")
    admin.locator("#id_reason").fill("已调离")
    shot(admin, "confirm-removal")
    admin.get_by_role("button", name="确认移除").click()

    expect(admin).to_have_url(f"{live_server.url}/organisation/")
    expect(admin.locator(".alert-success")).to_contain_text(f"已移除成员 {INVITEE_NAME}，其账号已停用。")
    expect(admin.get_by_role("row").filter(has_text=INVITEE_EMAIL).filter(has_text="申报人")).to_have_count(0)
    shot(admin, "member-removed")
    user = User.objects.get(email=INVITEE_EMAIL)
    assert not user.is_active
    assert not Membership.objects.filter(user=user).exists()

    # The removed member's open session ends, and the password no longer lets them in.
    invitee.reload()
    expect(invitee.locator("[data-testid=applicant-home]")).to_have_count(0)
    expect(invitee.locator("[data-testid=user-menu]")).to_have_count(0)
    log_in(invitee, live_server.url, INVITEE_EMAIL)
    expect(invitee).to_have_url(re.compile(r"/login/$"))
    expect(invitee.locator(".alert-danger")).to_be_visible()
    expect(invitee.locator("[data-testid=user-menu]")).to_have_count(0)
    shot(invitee, "removed-member-cannot-log-in")
    invitee.goto(f"{live_server.url}/organisation/")
    expect(invitee).to_have_url(re.compile(r"/login/\?next=/organisation/$"))
