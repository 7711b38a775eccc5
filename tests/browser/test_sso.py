"""Single sign-on in the browser: each kind of person logs in through the local provider's pages
(tools/oidc-dev-provider.js) and lands on their home; logging out at either side ends both."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import allow_console_error, make_officer, make_organisation, shot
from tests.oidc_provider import COMPANY_CODE, CONTACT, PROVIDER_NAME, USERS, running_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_provider(live_server: Any, tmp_path_factory: Any) -> Any:
    # The browser visits "localhost"; the back channel (the last address) goes to 127.0.0.1, as
    # Node.js would try IPv6 first for "localhost" and the live server listens on IPv4.
    rp_urls = [live_server.url, live_server.url.replace("localhost", "127.0.0.1")]
    with running_provider(tmp_path_factory.mktemp("oidc-live"), rp_urls=rp_urls) as provider:
        yield provider


@pytest.fixture
def live_sso(settings: Any, live_provider: Any) -> Any:
    settings.SHIFAN_SSO_PROVIDERS = [live_provider.settings_entry()]
    return live_provider


def sso_log_in(page: Any, base_url: str, login: str, *, screenshots: bool = False) -> None:
    page.goto(f"{base_url}/login/")
    if screenshots:
        shot(page, "login-page")
    page.get_by_role("link", name=PROVIDER_NAME).click()
    expect(page.get_by_role("heading", name="统一身份认证（开发用）")).to_be_visible()
    page.locator("#login").select_option(login)
    if screenshots:
        shot(page, f"provider-login-{login}")
    page.get_by_role("button", name="登录").click()


def test_officer_expert_and_company_land_on_their_home(
    live_server: Any, live_sso: Any, new_page: Any
) -> None:
    from shifan.accounts.models import Role

    make_officer(email=USERS["officer"]["email"], name="林晓华", role=Role.PROVINCE_OFFICER)
    make_officer(email=USERS["expert"]["email"], name="专家单点", role=Role.EXPERT)
    make_organisation(admin_email=USERS["company"]["email"], credit_code=COMPANY_CODE, verified=False)
    for login, home in (
        ("officer", "province-home"),
        ("expert", "expert-home"),
        ("company", "applicant-home"),
    ):
        page = new_page()
        sso_log_in(page, live_server.url, login, screenshots=login == "officer")
        expect(page.locator(f"[data-testid={home}]")).to_be_visible()
        if login == "company":
            shot(page, "home-company")

    # Someone the provider knows and Shifan does not: refused, told whom to ask.
    page = new_page()
    allow_console_error(page, "403")
    sso_log_in(page, live_server.url, "stranger")
    expect(page.locator("[data-testid=sso-refused]")).to_contain_text("本系统没有与您的统一身份")
    expect(page.locator("[data-testid=sso-refused]")).to_contain_text(CONTACT)
    shot(page, "refused")


def test_logout_at_the_provider_ends_the_shifan_session_and_shifans_logout_ends_the_providers(
    live_server: Any, live_sso: Any, page: Any
) -> None:
    from shifan.accounts.models import Role

    make_officer(email=USERS["officer"]["email"], name="林晓华", role=Role.PROVINCE_OFFICER)
    sso_log_in(page, live_server.url, "officer")
    expect(page.locator("[data-testid=province-home]")).to_be_visible()

    # Logged out at the provider (from another of the province's systems): the provider tells
    # Shifan over the back channel, and Shifan's session is over.
    page.goto(f"{live_sso.issuer}/session/end")
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page.get_by_text("您已退出统一身份认证。")).to_be_visible()
    page.goto(f"{live_server.url}/manage/accounts/")
    expect(page.locator("#id_username")).to_be_visible()

    # Logged in again (the provider asks again), then out at Shifan: the provider's logout follows.
    sso_log_in(page, live_server.url, "officer")
    expect(page.locator("[data-testid=province-home]")).to_be_visible()
    page.locator("[data-testid=user-menu]").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="退出统一身份认证")).to_be_visible()
    shot(page, "provider-logout")
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login/(\?state=[\w-]+)?$"))
    expect(page.locator("#id_username")).to_be_visible()
    page.get_by_role("link", name=PROVIDER_NAME).click()
    expect(page.get_by_role("heading", name="统一身份认证（开发用）")).to_be_visible()
