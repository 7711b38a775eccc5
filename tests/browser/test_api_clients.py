"""The province creates an API client, sees its token once, and the token answers the API."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_province_creates_a_client_and_sees_its_token_once(live_server, new_page):
    import urllib.request

    from shifan.api.models import ApiClient
    from tests import factories

    province = factories.ProvinceOfficerFactory()
    page = new_page()
    sign_in(page.context, live_server.url, province)
    page.goto(f"{live_server.url}/system/api-clients/")
    page.get_by_role("link", name="新建客户端").click()
    page.get_by_label("客户端名称").fill("广州市企业库")
    page.get_by_label("地市（本市数据）").check()
    page.get_by_label("所属城市（地市范围必填）").select_option("440100")
    page.get_by_role("button", name="创建并签发令牌").click()
    token_box = page.locator("#api-token")
    expect(token_box).to_be_visible()
    token = token_box.input_value()
    assert token.startswith("sfk_")
    shot(page, "api-client-token")

    request = urllib.request.Request(
        f"{live_server.url}/api/v1/applications/", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310 (the live test server)
        assert answer.status == 200

    page.get_by_role("link", name="我已保存令牌").click()
    expect(page.locator("h1")).to_have_text("广州市企业库")
    assert token not in page.content()
    page.goto(f"{live_server.url}/system/api-clients/")
    expect(page.locator("tbody")).to_contain_text("广州市企业库")
    assert token not in page.content()
    assert ApiClient.objects.get().token_prefix == token[:10]
