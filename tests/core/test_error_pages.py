"""With DEBUG off, as deployed and in the demo, a wrong URL gets the site's own page in its language."""

from django.urls import reverse

from tests import factories
from tests.helpers import login_verified


def test_a_wrong_url_gets_the_sites_own_404_page(client, settings, db):
    assert settings.DEBUG is False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>页面不存在 · 广东省服务型制造示范管理系统</title>" in page
    assert "您访问的页面不存在，或您无权查看。" in page
    assert f'href="{reverse("home")}">返回首页</a>' in page
    assert 'class="navbar navbar-expand-lg navbar-dark sf-navbar"' in page  # the site's header
    # Django's debug page names the URL patterns it tried; the site's page names none.
    assert "URLconf" not in page
    assert "Django tried these URL patterns" not in page


def test_the_404_page_speaks_english_to_an_english_browser(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "<title>Page not found · " in page
    assert "Back to home" in page
    assert "页面不存在" not in page


def test_a_logged_in_visitor_keeps_the_menu_on_the_404_page(client, db):
    login_verified(client, factories.ProvinceOfficerFactory())
    response = client.get("/applications/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    assert reverse("programs:batch_list") in page
