"""No one takes a company that is not theirs, walked through the pages.

Registration with verification: register, open the mailed link, hand in the licence and the
authorisation letter (a renamed .exe refused beside the field), the city's officer verifies, and
only then the applicant submits. A claim: the code is taken, the registration form links to the
claim, the company files it with its documents, the city upholds it, and the claimant's mailed
link sets the password of the new administrator while the squatter is shut out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (
    GUANGZHOU,
    PASSWORD,
    VALID_CODE,
    allow_console_error,
    log_in,
    log_in_officer,
    make_organisation,
    officer_with_device,
    shot,
)
from tests.browser.test_registration import TYPED, fill_registration, submit

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00 This program cannot be run in DOS mode.\r\n"


def mailed_path(to: str, pattern: str) -> str:
    """Return the site path of the link in the last mail sent to `to` that matches `pattern`."""
    messages = [message for message in mail.outbox if message.to == [to]]
    assert messages, f"no mail to {to}"
    match = re.search(rf"https?://[^/\s]+({pattern})", messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def files(tmp_path: Path, **contents: bytes) -> dict[str, Path]:
    paths = {}
    for name, data in contents.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths[name] = path
    return paths


def filled_application(email: str) -> Any:
    """Start and complete an enterprise application as the organisation's administrator."""
    from shifan.accounts.models import User
    from shifan.applications import services
    from shifan.applications.answers import prefill_answers
    from shifan.demo.answers import complete_answers

    admin = User.objects.get(email=email)
    batch = factories.BatchFactory()
    application = services.start_application(actor=admin, batch=batch, category="enterprise")
    answers = {
        **complete_answers(application.form),
        **prefill_answers(application.form, admin.membership.organisation),
    }
    services.save_answers(
        actor=admin, application=application, base_version=application.version, values=answers
    )
    application.refresh_from_db()
    return application


def test_register_open_the_link_hand_in_documents_city_verifies_then_submit(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    from shifan.accounts.models import Organisation, VerificationState
    from shifan.applications.models import ApplicationState

    base = live_server.url
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )
    mail.outbox.clear()
    page, city_page = new_page(), new_page()
    for each in (page, city_page):
        each.on("dialog", lambda dialog: dialog.accept())

    # 1. Register: the page says what comes next; nobody is logged in.
    page.goto(f"{base}/register/")
    expect(page.locator("[data-testid=registration-steps]")).to_contain_text(
        "核验通过前可以填写申报书，但不能提交"
    )
    fill_registration(page, credit_code=VALID_CODE, expected_check="代码校验通过", typed=TYPED)
    submit(page)
    expect(page).to_have_url(f"{base}/register/sent/")
    sent = page.locator("[data-testid=registration-sent]")
    expect(sent).to_contain_text(TYPED["admin_email"])
    expect(sent).to_contain_text("打开链接之前，账号不能使用")
    expect(page.locator("[data-testid=user-menu]")).to_have_count(0)
    shot(page, "registration-sent")

    # 2. Logging in before opening the link leads nowhere but the page that says so.
    log_in(page, base, TYPED["admin_email"])
    expect(page).to_have_url(f"{base}/email/unverified/")
    expect(page.locator("[data-testid=email-unverified]")).to_contain_text("尚未验证")
    page.goto(f"{base}/organisation/")
    expect(page).to_have_url(f"{base}/email/unverified/")
    shot(page, "held-until-the-link-is-opened")

    # 3. The mailed link verifies the address and leads to the documents.
    page.goto(base + mailed_path(TYPED["admin_email"], r"/email/verify/[^/\s]+/"))
    expect(page.locator("[data-testid=email-verified]")).to_contain_text("已验证")
    shot(page, "email-verified")
    page.get_by_role("link", name="上传核验材料").click()
    expect(page).to_have_url(f"{base}/organisation/verification/")
    expect(page.locator("[data-testid=verification-state]")).to_have_text("待核验")
    expect(page.locator("[data-testid=verification-status]")).to_contain_text("核验通过前不能提交")

    # 4. A program renamed .pdf is refused beside the field; the real scans are taken.
    paths = files(tmp_path, **{"营业执照.pdf": EXE, "执照扫描.pdf": PDF, "授权书.png": PNG})
    allow_console_error(page, r"status of 400")
    page.locator("#id_licence").set_input_files(paths["营业执照.pdf"])
    page.locator("#id_authorisation").set_input_files(paths["授权书.png"])
    page.get_by_role("button", name="提交核验").click()
    expect(page.locator("#group-id_licence .invalid-feedback")).to_contain_text("内容不是 PDF")
    shot(page, "exe-refused-beside-the-field")
    page.locator("#id_licence").set_input_files(paths["执照扫描.pdf"])
    page.locator("#id_authorisation").set_input_files(paths["授权书.png"])
    page.get_by_role("button", name="提交核验").click()
    expect(page.locator(".alert-success")).to_contain_text("核验材料已提交")
    expect(page.locator("[data-testid=verification-waiting]")).to_contain_text("等待广州市工业和信息化局核验")
    expect(page.locator("[data-testid=document-licence]")).to_contain_text("执照扫描.pdf")
    shot(page, "documents-handed-in")

    # 5. The application is filled in, but the submit page says why it cannot go and where to go.
    application = filled_application(TYPED["admin_email"])
    page.goto(f"{base}/applications/{application.pk}/submit/")
    expect(page.locator("[data-testid=submit-reason]")).to_contain_text("本单位尚未通过核验")
    expect(page.get_by_role("button", name="提交申报书")).to_have_count(0)
    expect(page.locator("[data-testid=verification-link]")).to_have_attribute(
        "href", "/organisation/verification/"
    )
    shot(page, "cannot-submit-yet")

    # 6. The city's officer finds it in the queue, reads the scans and verifies it.
    log_in_officer(city_page, base, city, "[data-testid=city-home]")
    city_page.get_by_role("link", name="单位核验", exact=True).click()
    queue = city_page.locator("[data-testid=verification-queue]")
    expect(queue).to_contain_text(TYPED["name"])
    shot(city_page, "city-queue")
    queue.get_by_role("link", name=TYPED["name"]).click()
    licence = city_page.locator("[data-testid=document-licence]")
    expect(licence).to_contain_text("执照扫描.pdf")
    response = city_page.request.get(f"{base}{licence.get_attribute('href')}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == PDF
    city_page.get_by_label("核验通过").check()
    shot(city_page, "city-verifies")
    city_page.get_by_role("button", name="提交核验结论").click()
    expect(city_page.locator(".alert-success")).to_contain_text("已核验")
    organisation = Organisation.objects.get(credit_code=VALID_CODE)
    assert organisation.verification_state == VerificationState.VERIFIED
    assert organisation.verified_by == city

    # 7. The applicant is told, and now submits.
    page.goto(f"{base}/organisation/verification/")
    expect(page.locator("[data-testid=notice-bell]")).to_contain_text("1")
    expect(page.locator("[data-testid=verification-state]")).to_have_text("已核验")
    page.goto(f"{base}/applications/{application.pk}/submit/")
    page.get_by_role("button", name="提交申报书").click()
    expect(page).to_have_url(f"{base}/applications/{application.pk}/")
    expect(page.locator("[data-testid=application-state]")).to_have_text("已提交")
    shot(page, "submitted")
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_a_taken_code_is_claimed_and_the_city_upholds_the_claim(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    from captcha.models import CaptchaStore

    from shifan.accounts.models import Membership, User

    base = live_server.url
    squatter = make_organisation(
        admin_email="squatter@example.com", admin_name="冒名者", name="广州示范制造有限公司", verified=False
    ).user
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )
    mail.outbox.clear()
    page, city_page, squatter_page = new_page(), new_page(), new_page()
    for each in (page, city_page):
        each.on("dialog", lambda dialog: dialog.accept())

    log_in(squatter_page, base, "squatter@example.com")
    expect(squatter_page.locator("[data-testid=applicant-home]")).to_be_visible()

    # 1. The real company types its code: taken, with the way to claim it.
    page.goto(f"{base}/register/")
    page.locator("#id_credit_code").fill(VALID_CODE)
    check = page.locator("#credit-code-check")
    expect(check).to_contain_text("已由“广州示范制造有限公司”注册")
    shot(page, "code-taken")
    check.locator("[data-testid=claim-link]").click()
    expect(page).to_have_url(re.compile(rf"/register/claim/\?credit_code={VALID_CODE}$"))
    expect(page.locator("#id_credit_code")).to_have_value(VALID_CODE)

    # 2. It files the claim with its licence, its authorisation letter and a statement.
    paths = files(tmp_path, **{"营业执照.pdf": PDF, "授权书.pdf": PDF})
    page.locator("#id_organisation_name").fill("广州示范制造有限公司")
    page.locator("#id_claimant_name").fill("李真")
    page.locator("#id_claimant_email").fill("li@real.example.com")
    page.locator("#id_claimant_phone").fill("13900000000")
    page.locator("#id_statement").fill(
        "该代码为本公司所有，注册人“冒名者”并非本公司员工。请致电 020-81110000 核实。"
    )
    page.locator("#id_licence").set_input_files(paths["营业执照.pdf"])
    page.locator("#id_authorisation").set_input_files(paths["授权书.pdf"])
    # The CAPTCHA's answer, as a person reads it off the image: kept in the database by its key.
    key = page.locator("input[name=captcha_0]").input_value()
    page.locator("input[name=captcha_1]").fill(CaptchaStore.objects.get(hashkey=key).response)
    shot(page, "claim-form")
    page.get_by_role("button", name="提交认领申请").click()
    expect(page.locator("[data-testid=claim-sent]")).to_contain_text("li@real.example.com")
    shot(page, "claim-sent")

    # 3. The city's officer reads both sides and upholds the claim.
    log_in_officer(city_page, base, city, "[data-testid=city-home]")
    city_page.goto(f"{base}/verification/")
    city_page.get_by_role("link", name=re.compile("认领申请")).click()
    claims = city_page.locator("[data-testid=claim-list]")
    expect(claims).to_contain_text("李真")
    claims.get_by_role("link", name="广州示范制造有限公司").click()
    expect(city_page.locator("main")).to_contain_text("冒名者")
    expect(city_page.locator("[data-testid=verified-warning]")).to_have_count(0)
    city_page.get_by_label("认领成立").check()
    city_page.locator("#id_reason").fill("经致电营业执照所载单位核实，原注册人未获授权。")
    shot(city_page, "city-upholds")
    city_page.get_by_role("button", name="提交处理结论").click()
    expect(city_page.locator(".alert-success")).to_contain_text("认领成立")

    claimant = User.objects.get(email="li@real.example.com")
    membership = Membership.objects.get(user=claimant)
    assert membership.is_admin
    assert membership.organisation.is_verified
    squatter.refresh_from_db()
    assert not squatter.is_active

    # 4. The squatter's session is over; the claimant sets a password from the mailed link.
    squatter_page.reload()
    expect(squatter_page.locator("[data-testid=applicant-home]")).to_have_count(0)
    assert any(message.to == ["squatter@example.com"] for message in mail.outbox)
    page.goto(base + mailed_path("li@real.example.com", r"/password/reset/[^\s]+/"))
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    log_in(page, base, "li@real.example.com")
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()
    page.goto(f"{base}/organisation/")
    expect(page.locator("main")).to_contain_text("李真")
    expect(page.locator("main")).not_to_contain_text("冒名者")
    expect(page.locator("main")).not_to_contain_text("squatter@example.com")
    shot(page, "claimant-is-administrator")
