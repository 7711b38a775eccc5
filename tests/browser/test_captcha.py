"""The CAPTCHA's text question, for a person who cannot see the image: objections and logins.

By keyboard alone a visitor fills in the objection, reaches "看不清？改用文字题" and presses Enter:
the image gives way to a question in words in the page, what was typed stays, and the focus lands
on the answer's input, described by the question. The answer is worked out from the words on the
page (and matches the CaptchaStore row behind the key), typed, and the objection is filed. The
page with the text question (?captcha=text) passes the axe audit in Chinese and English.

The login form does the same after failed logins: the switch keeps the e-mail and the password
typed (with script) or the e-mail (without: the switch sends the form), and Enter in the answer
logs in. Its page with the text question passes the audit too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, make_organisation, shot, sign_in
from tests.browser.test_accessibility import AXE, BLOCKING, audit
from tests.browser.test_keyboard import focused, tab_to
from tests.captcha_questions import work_out
from tests.test_permissions import build_world

pytestmark = pytest.mark.browser

PHONE = "13800138000"
WRONG = "Wrong-Passw0rd!"
EMAIL = "applicant@example.com"
GROUNDS = "该企业近三年发生过重大安全事故，与申报材料不符。"


def test_objection_filed_with_the_text_question_by_keyboard(live_server: Any, page: Any) -> None:
    from captcha.models import CaptchaStore

    from shifan.publicity.models import Objection

    world = build_world()
    notice = world["public_notice"]
    page.goto(f"{live_server.url}/public/notices/{notice.pk}/objection/")
    expect(page.locator("[data-captcha-image]")).to_be_visible()

    tab_to(page, "#id_entry")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#id_name")
    page.keyboard.type("张明")
    tab_to(page, "#id_phone")
    page.keyboard.type(PHONE)
    tab_to(page, "#id_grounds")
    page.keyboard.type(GROUNDS)

    tab_to(page, "[data-captcha-switch]")
    assert focused(page, "el.textContent.trim()") == "看不清？改用文字题"
    page.keyboard.press("Enter")
    question = page.locator("[data-captcha-question]")
    expect(question).to_be_visible()
    expect(page.locator("[data-captcha-image]")).to_have_count(0)
    # Swapped in place: what was typed stays, and the focus is on the answer, read with the question.
    expect(page.locator("#id_grounds")).to_have_value(GROUNDS)
    expect(page.locator("#id_captcha_1")).to_be_focused()
    described_by = page.locator("#id_captcha_1").get_attribute("aria-describedby") or ""
    description = page.locator(f"#{described_by.split()[0]}").inner_text()
    assert description.startswith(question.inner_text())
    assert "请填写阿拉伯数字" in description
    expect(page.locator("label[for=id_captcha_1]")).to_contain_text("验证码")
    shot(page, "objection-text-question")

    answer = work_out(question.inner_text())
    key = page.locator("input[name=captcha_0]").input_value()
    assert CaptchaStore.objects.get(hashkey=key).response == answer
    page.keyboard.type(answer)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=objection-reference]")).to_have_text(
        re.compile(r"^YY\d{4}-\w{4}-\w{4}$")
    )
    reference = page.locator("[data-testid=objection-reference]").inner_text()
    objection = Objection.objects.get(reference=reference)
    assert objection.grounds == GROUNDS
    assert objection.name == "张明"
    shot(page, "objection-received")


def test_text_question_without_script(live_server: Any, new_page: Any) -> None:
    world = build_world()
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/public/notices/{world['public_notice'].pk}/objection/")
    page.get_by_role("link", name="看不清？改用文字题").click()
    expect(page).to_have_url(re.compile(r"\?captcha=text$"))
    expect(page.locator("[data-captcha-question]")).to_have_text(re.compile(r"^.[加减].等于几？$"))
    page.get_by_role("link", name="改用图片验证码").click()
    expect(page.locator("[data-captcha-image]")).to_be_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_text_question_passes_the_accessibility_audit(live_server: Any, new_page: Any, language: str) -> None:
    assert AXE.is_file(), f"{AXE} is missing: run `make install` (npm ci)"
    world = build_world()
    page = new_page()
    sign_in(page.context, live_server.url, None, language)
    page.context.add_init_script(path=str(AXE))
    url = f"{live_server.url}/public/notices/{world['public_notice'].pk}/objection/?captcha=text"
    violations = audit(page, url)
    question = r"^What is \w+ (plus|minus) \w+\?$" if language == "en" else r"^.[加减].等于几？$"
    expect(page.locator("[data-captcha-question]")).to_have_text(re.compile(question))
    blocking = [
        f"{v['impact']} {v['id']}: {', '.join(v['targets'])}" for v in violations if v["impact"] in BLOCKING
    ]
    assert blocking == [], "serious or critical accessibility violations:\n" + "\n".join(blocking)


def fail_three_logins(page: Any, base_url: str) -> None:
    """Three wrong passwords: the login form asks for the CAPTCHA from now on (the image first)."""
    make_organisation(admin_email=EMAIL)
    log_in(page, base_url, EMAIL, WRONG)
    for _attempt in range(2):
        expect(page.locator(".alert-danger")).to_contain_text("邮箱或密码不正确")
        page.locator("#id_password").fill(WRONG)
        page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("[data-captcha-image]")).to_be_visible()


def test_login_with_the_text_question_by_keyboard(live_server: Any, page: Any) -> None:
    fail_three_logins(page, live_server.url)
    expect(page.locator("#id_username")).to_have_value(EMAIL)

    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "[data-captcha-switch]")
    assert focused(page, "el.textContent.trim()") == "看不清？改用文字题"
    page.keyboard.press("Enter")
    question = page.locator("[data-captcha-question]")
    expect(question).to_be_visible()
    expect(page.locator("[data-captcha-image]")).to_have_count(0)
    # Swapped in place: the e-mail and the password stay, the focus is on the answer with its question.
    expect(page.locator("#id_username")).to_have_value(EMAIL)
    expect(page.locator("#id_password")).to_have_value(PASSWORD)
    expect(page.locator("#id_captcha_1")).to_be_focused()
    described_by = (page.locator("#id_captcha_1").get_attribute("aria-describedby") or "").split()
    assert described_by[0] == "id_captcha_question"
    assert page.locator("#id_captcha_question").inner_text().startswith(question.inner_text())
    expect(page.locator("#id_captcha-help")).to_have_text(
        "该账号或您所在的网络地址近期登录失败较多，请先填写验证码再登录。"
    )
    shot(page, "login-text-question")

    # Enter in the answer logs in: the form's default button is the login, not the switch beside it.
    page.keyboard.type(work_out(question.inner_text()))
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=user-menu]")).to_be_visible()
    expect(page.locator("#id_password")).to_have_count(0)


def test_login_switch_without_script_keeps_the_email(live_server: Any, new_page: Any) -> None:
    page = new_page(java_script_enabled=False)
    fail_three_logins(page, live_server.url)
    page.get_by_role("button", name="看不清？改用文字题").click()
    question = page.locator("[data-captcha-question]")
    expect(question).to_have_text(re.compile(r"^.[加减].等于几？$"))
    expect(page.locator("#id_username")).to_have_value(EMAIL)
    expect(page.locator("#id_password")).to_have_value("")  # not shown again: typed once more
    expect(page.locator(".alert-danger")).to_have_count(0)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_captcha_1").fill(work_out(question.inner_text()))
    page.locator("#id_captcha_1").press("Enter")
    expect(page.locator("[data-testid=user-menu]")).to_be_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_login_text_question_passes_the_accessibility_audit(
    live_server: Any, new_page: Any, language: str
) -> None:
    assert AXE.is_file(), f"{AXE} is missing: run `make install` (npm ci)"
    page = new_page()
    sign_in(page.context, live_server.url, None, language)
    page.context.add_init_script(path=str(AXE))
    violations = audit(page, f"{live_server.url}/login/?captcha=text")
    question = r"^What is \w+ (plus|minus) \w+\?$" if language == "en" else r"^.[加减].等于几？$"
    expect(page.locator("[data-captcha-question]")).to_have_text(re.compile(question))
    shot(page, f"login-text-question-{language}")
    blocking = [
        f"{v['impact']} {v['id']}: {', '.join(v['targets'])}" for v in violations if v["impact"] in BLOCKING
    ]
    assert blocking == [], "serious or critical accessibility violations:\n" + "\n".join(blocking)
