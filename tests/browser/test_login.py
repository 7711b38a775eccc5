"""Logging in as each role, with the two-factor login officers and experts must pass."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PASSWORD,
    allow_console_error,
    fresh_totp_code,
    key_from_secret,
    log_in,
    log_in_officer,
    log_out,
    make_officer,
    make_organisation,
    officer_with_device,
    shot,
    totp_code,
)

pytestmark = pytest.mark.browser

HOME_MARKERS = {
    "applicant": "[data-testid=applicant-home]",
    "city_officer": "[data-testid=city-home]",
    "province_officer": "[data-testid=province-home]",
    "expert": "[data-testid=expert-home]",
}


def set_up_two_factor(page: Any) -> tuple[bytes, list[str]]:
    """On the setup page: read the secret, enter its current code, keep the recovery codes."""
    expect(page).to_have_url(re.compile(r"/two-factor/setup/"))
    secret = page.locator("[data-testid=totp-secret]").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret.strip()), secret
    expect(page.locator(".sf-qr svg")).to_be_visible()
    shot(page, "two-factor-setup")
    key = key_from_secret(secret)
    page.locator("#id_token").fill(totp_code(key))
    page.get_by_role("button", name="验证并启用").click()
    codes = page.locator("[data-testid=recovery-codes] li")
    expect(codes).to_have_count(10)
    recovery_codes = [code.strip() for code in codes.all_inner_texts()]
    assert all(re.fullmatch(r"\d{8}", code) for code in recovery_codes), recovery_codes
    shot(page, "recovery-codes")
    page.get_by_role("link", name="我已保存，继续").click()
    return key, recovery_codes


def test_applicant_logs_in_without_second_factor(live_server: Any, page: Any) -> None:
    make_organisation(admin_email="applicant@example.com", name="广州登录测试有限公司")

    log_in(page, live_server.url, "applicant@example.com")

    expect(page.locator(HOME_MARKERS["applicant"])).to_be_visible()
    expect(page.locator("h1")).to_have_text("广州登录测试有限公司")
    expect(page).to_have_url(f"{live_server.url}/")
    shot(page, "applicant-home")


@pytest.mark.parametrize(
    ("role", "city_code", "name"),
    [
        ("city_officer", "440100", "李市局"),
        ("province_officer", "", "张省厅"),
        ("expert", "", "王专家"),
    ],
    ids=["city_officer", "province_officer", "expert"],
)
def test_officers_and_experts_set_up_two_factor_on_first_login(
    live_server: Any, page: Any, role: str, city_code: str, name: str
) -> None:
    email = f"{role}@example.com"
    make_officer(email=email, name=name, role=role, city_code=city_code)

    log_in(page, live_server.url, email)
    set_up_two_factor(page)

    expect(page.locator(HOME_MARKERS[role])).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("[data-testid=user-menu]")).to_contain_text(name)
    if role == "city_officer":
        expect(page.locator(HOME_MARKERS[role])).to_contain_text("广州市")
    shot(page, "home")


def test_officer_logs_in_again_with_a_fresh_code(live_server: Any, page: Any) -> None:
    user = make_officer(email="province@example.com", name="张省厅", role="province_officer")
    log_in(page, live_server.url, user.email)
    key, _codes = set_up_two_factor(page)
    expect(page.locator(HOME_MARKERS["province_officer"])).to_be_visible()

    log_out(page)
    log_in(page, live_server.url, user.email)

    expect(page).to_have_url(re.compile(r"/two-factor/verify/"))
    # Until the second factor is passed, nothing else opens.
    page.goto(f"{live_server.url}/manage/accounts/")
    expect(page).to_have_url(re.compile(r"/two-factor/verify/\?next=%2Fmanage%2Faccounts%2F"))
    shot(page, "two-factor-verify")
    page.locator("#id_token").fill(fresh_totp_code(user, key))
    page.get_by_role("button", name="验证", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/manage/accounts/")
    page.goto(f"{live_server.url}/")
    expect(page.locator(HOME_MARKERS["province_officer"])).to_be_visible()


def test_officer_logs_in_with_a_recovery_code(live_server: Any, page: Any) -> None:
    from shifan.accounts import two_factor

    user = make_officer(email="city@example.com", name="李市局", role="city_officer", city_code="440100")
    device = two_factor.pending_totp_device(user)
    codes = two_factor.confirm_totp_device(actor=user, device=device, token=totp_code(device.bin_key))
    assert codes is not None

    log_in(page, live_server.url, user.email)
    expect(page).to_have_url(re.compile(r"/two-factor/verify/"))
    page.locator("#id_token").fill(codes[0])
    page.get_by_role("button", name="验证", exact=True).click()

    expect(page.locator(HOME_MARKERS["city_officer"])).to_be_visible()
    page.goto(f"{live_server.url}/two-factor/recovery-codes/")
    expect(page.locator("main")).to_contain_text("您还有 9 个未使用的恢复码")

    # A recovery code works once only.
    log_out(page)
    log_in(page, live_server.url, user.email)
    expect(page).to_have_url(re.compile(r"/two-factor/verify/"))
    page.locator("#id_token").fill(codes[0])
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator("#group-id_token .invalid-feedback")).to_contain_text("验证码不正确")
    shot(page, "used-recovery-code-refused")


def answer_captcha(page: Any) -> None:
    """Type the CAPTCHA's answer, as a person reads it off the image (kept in the database by its key)."""
    from captcha.models import CaptchaStore

    key = page.locator("input[name=captcha_0]").input_value()
    page.locator("input[name=captcha_1]").fill(CaptchaStore.objects.get(hashkey=key).response)


def send_login(page: Any, password: str) -> None:
    """Send the login form shown, with the e-mail it keeps, answering the CAPTCHA if it asks."""
    page.locator("#id_password").fill(password)
    if page.locator("input[name=captcha_1]").count():
        answer_captcha(page)
    page.get_by_role("button", name="登录", exact=True).click()


def test_captcha_after_three_wrong_passwords_and_the_right_password_with_it_logs_in(
    live_server: Any, page: Any
) -> None:
    make_organisation(admin_email="applicant@example.com", name="广州登录测试有限公司")

    log_in(page, live_server.url, "applicant@example.com", "Wrong-Passw0rd!")
    for _attempt in range(2):
        expect(page.locator(".alert-danger")).to_contain_text("邮箱或密码不正确")
        expect(page.locator("input[name=captcha_1]")).to_have_count(0)
        send_login(page, "Wrong-Passw0rd!")
    # The third failure: from now on the form asks for the CAPTCHA, drawn by the server.
    expect(page.locator(".alert-danger")).to_contain_text("邮箱或密码不正确")
    expect(page.locator("[data-captcha-image]")).to_be_visible()
    expect(page.locator("#id_username")).to_have_value("applicant@example.com")
    shot(page, "captcha-asked")

    # The right password without the CAPTCHA is not checked: the CAPTCHA is asked for beside its field.
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#group-id_captcha .invalid-feedback")).to_contain_text("请输入图中的验证码")
    shot(page, "captcha-missing")

    send_login(page, PASSWORD)
    expect(page.locator("[data-testid=user-menu]")).to_be_visible()
    expect(page.locator("#id_password")).to_have_count(0)


def test_five_wrong_passwords_lock_the_account_at_this_address(live_server: Any, page: Any) -> None:
    make_organisation(admin_email="applicant@example.com")

    log_in(page, live_server.url, "applicant@example.com", "Wrong-Passw0rd!")
    for _attempt in range(3):
        expect(page.locator(".alert-danger")).to_contain_text("邮箱或密码不正确")
        expect(page.locator("[data-testid=locked]")).to_have_count(0)
        send_login(page, "Wrong-Passw0rd!")
    expect(page.locator(".alert-danger")).to_contain_text("邮箱或密码不正确")
    shot(page, "wrong-password")

    # The lockout page is answered with 429 Too Many Requests, which Chromium logs as an error.
    allow_console_error(page, r"status of 429 \(Too Many Requests\) \(http://[^/]+/login/\)$")
    send_login(page, "Wrong-Passw0rd!")
    expect(page.locator("[data-testid=locked]")).to_be_visible()
    expect(page.locator("[data-testid=locked]")).to_contain_text("5")
    expect(page.locator("[data-testid=locked]")).to_contain_text("其他账号、其他网络地址")
    shot(page, "locked")

    # While locked here, even the right password with the CAPTCHA does not let the person in.
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("applicant@example.com")
    send_login(page, PASSWORD)
    expect(page.locator("[data-testid=locked]")).to_be_visible()


def test_officer_is_told_of_failed_logins_and_reads_them_from_the_account_menu(
    live_server: Any, page: Any
) -> None:
    user = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code="440100"
    )
    for _attempt in range(2):
        log_in(page, live_server.url, user.email, "Wrong-Passw0rd!")
        expect(page.locator(".alert-danger")).to_contain_text("邮箱或密码不正确")

    log_in_officer(page, live_server.url, user, HOME_MARKERS["city_officer"])
    notice = page.locator("[data-testid=failed-login-notice]")
    expect(notice).to_contain_text("您的账号有 2 次登录失败")
    expect(notice).to_contain_text("127.0.0.1")
    shot(page, "failed-login-notice")

    page.locator("[data-testid=user-menu]").click()
    page.get_by_role("link", name="登录失败记录", exact=True).click()
    expect(page.locator("h1")).to_have_text("登录失败记录")
    expect(page.locator("[data-testid=login-failures-by-address] tbody tr")).to_have_count(1)
    expect(page.locator("[data-testid=login-failures-by-address] tbody tr")).to_contain_text("127.0.0.1")
    expect(page.locator("[data-testid=login-failures-by-address] tbody tr td").nth(1)).to_have_text("2")
    expect(page.locator("[data-testid=login-failures] tbody tr")).to_have_count(2)
    shot(page, "failed-logins")

    # Told once: the home page does not repeat it.
    page.goto(f"{live_server.url}/")
    expect(page.locator(HOME_MARKERS["city_officer"])).to_be_visible()
    expect(page.locator("[data-testid=failed-login-notice]")).to_have_count(0)
