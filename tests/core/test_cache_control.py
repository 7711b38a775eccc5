"""No cache keeps a private answer; public pages stay cacheable for visitors without a session.

Every URL against every role is checked in tests/test_permissions.py; these pin the rule itself.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from shifan.core.http import public_page
from shifan.core.middleware import PrivateUnlessPublicMiddleware
from tests import factories
from tests.helpers import login_verified

PUBLIC = "public, max-age=60"
PRIVATE = "private, no-store"


def test_an_attachment_download_is_kept_by_no_cache(client, organisation, applicant_admin):
    application = factories.ApplicationFactory(organisation=organisation, created_by=applicant_admin)
    attachment = factories.attachment(application)
    client.force_login(applicant_admin)
    response = client.get(
        reverse("applications:attachment", kwargs={"pk": application.pk, "attachment_pk": attachment.pk})
    )
    response.close()
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_pages_behind_login_are_kept_by_no_cache(client, db):
    login_verified(client, factories.ProvinceOfficerFactory())
    for name in ("home", "programs:batch_list", "reviews:queue", "dashboard:programme"):
        assert client.get(reverse(name))["Cache-Control"] == PRIVATE, name


def test_public_pages_are_cacheable_for_visitors_without_a_session_only(client, db):
    names = ("publicity:public_notices", "cases:public_list", "documents:verify")
    for name in names:
        response = client.get(reverse(name))
        assert response["Cache-Control"] == PUBLIC, name
        assert not response.cookies
    # The same pages asked for by someone logged in: a proxy must not keep an answer to a session.
    login_verified(client, factories.CityOfficerFactory())
    for name in names:
        assert client.get(reverse(name))["Cache-Control"] == PRIVATE, name


def test_a_verification_answer_and_a_wrong_url_are_kept_by_no_cache(client, db):
    answer = client.get(reverse("documents:verify"), {"number": "GD-SMD-2024-E-0001", "digest": "0" * 12})
    assert answer["Cache-Control"] == PRIVATE
    assert client.get("/no-such-page/")["Cache-Control"] == PRIVATE


def test_the_login_page_keeps_its_never_cache_header(client, db):
    directives = {part.strip() for part in client.get(reverse("accounts:login"))["Cache-Control"].split(",")}
    assert {"private", "no-store", "no-cache", "must-revalidate", "max-age=0"} <= directives


def test_a_public_answer_that_sets_a_cookie_is_private():
    def view(request):
        response = public_page(HttpResponse("公示"))
        response.set_cookie("language", "en")
        return response

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert PrivateUnlessPublicMiddleware(view)(request)["Cache-Control"] == PRIVATE
    request.user = AnonymousUser()
    plain = PrivateUnlessPublicMiddleware(lambda request: public_page(HttpResponse("公示")))(request)
    assert plain["Cache-Control"] == PUBLIC
