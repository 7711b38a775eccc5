"""What every page pays before its own content: the layout's per-person values and menus."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from shifan.core.models import Notice
from shifan.core.notices import mark_read, notify, unread_count
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


def test_the_empty_verification_form_reads_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("documents:verify"))
    assert response.status_code == 200


def test_a_page_without_the_bell_does_not_count_notices(client, applicant_admin, django_assert_num_queries):
    client.force_login(applicant_admin)
    client.get(reverse("documents:verify"))
    # The session and the user only: the public layout shows no bell.
    with django_assert_num_queries(2):
        response = client.get(reverse("documents:verify"))
    assert response.status_code == 200


def test_applicant_home_queries(client, organisation, applicant_admin, django_assert_num_queries):
    factories.ApplicationFactory(organisation=organisation, created_by=applicant_admin)
    client.force_login(applicant_admin)
    client.get(reverse("home"))
    # session, user, membership (which also answers the user's organisations), applications (which
    # also give the waiting list's), batches, members, the reports to file (the waiting list); the
    # unread count and whether a report is open are the cached ones.
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_the_unread_count_is_counted_once_and_follows_new_and_read_notices(
    client, applicant_admin, django_capture_on_commit_callbacks, django_assert_num_queries
):
    client.force_login(applicant_admin)
    assert unread_count(applicant_admin) == 0
    with django_assert_num_queries(0):
        assert unread_count(applicant_admin) == 0
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[applicant_admin], title="申报书已退回修改", body="请补充材料", url="/")
    assert unread_count(applicant_admin) == 1
    page = client.get(reverse("home")).content.decode()
    assert 'text-bg-danger">1</span>' in page
    mark_read(user=applicant_admin)
    assert unread_count(applicant_admin) == 0
    assert 'text-bg-danger"' not in client.get(reverse("home")).content.decode()


def test_a_count_cached_during_the_transaction_is_dropped_at_commit(
    applicant_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[applicant_admin], title="通知", body="", url="")
        # Another request, before this one commits, still counts none and caches that.
        cache.set(f"shifan:notices:unread:{applicant_admin.pk}", 0)
    assert unread_count(applicant_admin) == Notice.objects.filter(recipient=applicant_admin).count() == 1


def test_the_role_menu_is_cached_per_role_and_language(client, city_officer):
    login_verified(client, city_officer)
    assert "申报审核" in client.get(reverse("home")).content.decode()
    other = factories.CityOfficerFactory(city_code="440300")
    login_verified(client, other)
    assert "申报审核" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "申报审核" not in page


@pytest.mark.parametrize("submissions", [1, 3])
def test_a_submitted_applications_page_reads_its_versions_once(
    client, organisation, applicant_admin, submissions, django_assert_num_queries
):
    application = factories.ApplicationFactory(organisation=organisation, created_by=applicant_admin)
    for sequence in range(1, submissions + 1):
        factories.submitted(application, sequence=sequence)
    client.force_login(applicant_admin)
    url = reverse("applications:detail", args=[application.pk])
    client.get(url)
    # session, user, application (found through the person's membership, it also answers which
    # organisation the person is of), attachments (progress marks), the stored eligibility check,
    # the sealed scans, the versions (which give the newest to the scan panel and the book links,
    # and each scan its version), the timeline's state changes: however many versions there are.
    with django_assert_num_queries(8):
        response = client.get(url)
    page = response.content.decode()
    assert page.count("次提交</a>") == submissions
    assert reverse("documents:book_pdf", args=[application.pk, submissions]) in page


def test_the_public_layout_is_cached_per_language(client):
    # The header and footer of the public pages are rendered once per process and language.
    page = client.get(reverse("documents:verify")).content.decode()
    assert ">申报书核验</a>" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("documents:verify")).content.decode()
    assert ">Verify an application</a>" in page
    assert ">申报书核验</a>" not in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert ">申报书核验</a>" in client.get(reverse("documents:verify")).content.decode()
