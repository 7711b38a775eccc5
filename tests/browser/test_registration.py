"""Registering an organisation through the page, with the credit-code checks beside the field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    GUANGZHOU,
    PASSWORD,
    VALID_CODE,
    WRONG_CHECK_CODE,
    make_organisation,
    shot,
)

pytestmark = pytest.mark.browser

TYPED = {
    "name": "广州云智服务型制造有限公司",
    "address": "广州市荔湾区示范大道88号",
    "contact_name": "刘联系",
    "contact_phone": "020-87654321",
    "contact_email": "contact@yunzhi.example.com",
    "admin_name": "周申报",
    "admin_email": "zhou@yunzhi.example.com",
    "admin_phone": "13912345678",
}


def guangzhou_county() -> str:
    from shifan.core import reference

    return reference.counties(GUANGZHOU)[0].code


def wait_for_live_checks(page: Any) -> None:
    """Let the htmx credit-code checks in flight finish, so that sending the form cancels none."""
    expect(page.locator(".htmx-request")).to_have_count(0)


def type_credit_code(page: Any, code: str, expected: str) -> None:
    """Type a code and wait for the live check (htmx, after a pause in typing) to answer."""
    page.locator("#id_credit_code").fill(code)
    expect(page.locator("#credit-code-check")).to_contain_text(expected)


def fill_registration(page: Any, *, credit_code: str, expected_check: str, typed: dict[str, str]) -> None:
    page.locator("#id_name").fill(typed["name"])
    type_credit_code(page, credit_code, expected_check)
    page.locator("#id_nature").select_option("enterprise")
    page.locator("#id_city_code").select_option(GUANGZHOU)
    # app.js narrows the county list to the chosen city.
    expect(page.locator("#id_county_code optgroup")).to_have_count(1)
    expect(page.locator("#id_county_code optgroup")).to_have_attribute("label", "广州市")
    page.locator("#id_county_code").select_option(guangzhou_county())
    for name in ("address", "contact_name", "contact_phone", "contact_email"):
        page.locator(f"#id_{name}").fill(typed[name])
    for name in ("admin_name", "admin_email", "admin_phone"):
        page.locator(f"#id_{name}").fill(typed[name])
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    expect(page.locator("#credit-code-check")).to_contain_text(expected_check)
    wait_for_live_checks(page)


def submit(page: Any) -> None:
    page.get_by_role("button", name="注册", exact=True).click()


def test_register_with_a_wrong_code_then_correct_it(live_server: Any, page: Any) -> None:
    from shifan.accounts.models import Membership, Organisation

    page.goto(f"{live_server.url}/register/")
    fill_registration(page, credit_code=WRONG_CHECK_CODE, expected_check="校验位错误", typed=TYPED)
    expect(page.locator("#credit-code-check [data-testid=credit-code-error]")).to_have_text(
        "校验位错误：第18位应为“9”，填写的是“8”。请核对代码。"
    )
    shot(page, "wrong-code-live-check")

    submit(page)

    error = page.locator("#group-id_credit_code .invalid-feedback")
    expect(error).to_have_text("校验位错误：第18位应为“9”，填写的是“8”。请核对代码。")
    expect(page.locator("#id_credit_code")).to_have_class(re.compile(r"\bis-invalid\b"))
    # Nothing typed is lost (passwords aside, which browsers and Django never send back).
    expect(page.locator("#id_credit_code")).to_have_value(WRONG_CHECK_CODE)
    for name, value in TYPED.items():
        expect(page.locator(f"#id_{name}")).to_have_value(value)
    expect(page.locator("#id_nature")).to_have_value("enterprise")
    expect(page.locator("#id_city_code")).to_have_value(GUANGZHOU)
    expect(page.locator("#id_county_code")).to_have_value(guangzhou_county())
    expect(page.locator("#id_county_code optgroup")).to_have_count(1)
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    shot(page, "error-beside-credit-code")
    assert not Organisation.objects.exists()

    type_credit_code(page, VALID_CODE, "代码校验通过")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    wait_for_live_checks(page)
    submit(page)

    # Not logged in: the page says to open the mailed link first (tests/browser/test_verification.py).
    expect(page).to_have_url(f"{live_server.url}/register/sent/")
    expect(page.locator("[data-testid=registration-sent]")).to_contain_text(TYPED["admin_email"])
    expect(page.locator(".alert-success")).to_contain_text(f"“{TYPED['name']}”注册成功")
    expect(page.locator(".alert-warning")).to_have_count(0)
    expect(page.locator("[data-testid=user-menu]")).to_have_count(0)
    shot(page, "registration-sent")

    organisation = Organisation.objects.get(credit_code=VALID_CODE)
    assert organisation.name == TYPED["name"]
    assert organisation.city_code == GUANGZHOU
    assert organisation.county_code == guangzhou_county()
    membership = Membership.objects.get(organisation=organisation)
    assert membership.is_admin
    assert membership.user.email == TYPED["admin_email"]


def test_register_a_code_from_outside_guangdong_shows_a_warning(live_server: Any, page: Any) -> None:
    from shifan.core import uscc

    beijing_code = uscc.compose(authority="91", area="110108", body="MA00001X")
    page.goto(f"{live_server.url}/register/")
    fill_registration(page, credit_code=beijing_code, expected_check="非广东省", typed=TYPED)
    expect(page.locator("#credit-code-check [data-testid=credit-code-warning]")).to_contain_text(
        "可以继续注册"
    )
    shot(page, "live-warning")

    submit(page)

    expect(page.locator("[data-testid=registration-sent]")).to_be_visible()
    warning = page.locator(".alert-warning.alert-dismissible")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("110108（非广东省）")
    expect(warning).to_contain_text("审核人员会看到此提示")
    shot(page, "registered-with-warning")


def test_register_a_code_already_registered_explains_how_to_join(live_server: Any, page: Any) -> None:
    from shifan.accounts.models import Organisation, User

    make_organisation(name="广州先行制造有限公司", credit_code=VALID_CODE, admin_email="first@example.com")

    page.goto(f"{live_server.url}/register/")
    # The live check says so as soon as the code is typed, before the rest of the form is filled.
    fill_registration(page, credit_code=VALID_CODE, expected_check="广州先行制造有限公司", typed=TYPED)
    expect(page.locator("#credit-code-check")).to_contain_text("邀请")
    submit(page)

    error = page.locator("#group-id_credit_code .invalid-feedback")
    expect(error).to_contain_text("邀请")
    expect(error).to_contain_text("广州先行制造有限公司")
    expect(page.locator("#id_credit_code")).to_have_value(VALID_CODE)
    expect(page.locator("#id_admin_email")).to_have_value(TYPED["admin_email"])
    shot(page, "already-registered")
    assert Organisation.objects.count() == 1
    assert not User.objects.filter(email=TYPED["admin_email"]).exists()
