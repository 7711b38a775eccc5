"""The session and its user, as every logged-in request reads them (accounts.sessions,
accounts.backends.AccountBackend.get_user): only a live session of an active account logs anyone in."""

from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.helpers import login_verified


def home_status(client):
    """The person's notices: a page for logged-in people only."""
    response = client.get(reverse("notices"))
    return response.status_code, response.get("Location", "")


def test_a_live_session_of_an_active_account_logs_in(client, applicant_admin):
    client.force_login(applicant_admin)
    assert home_status(client) == (200, "")
    assert client.session[SESSION_KEY] == str(applicant_admin.pk)


def test_an_expired_session_logs_nobody_in(client, applicant_admin):
    client.force_login(applicant_admin)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    status, location = home_status(client)
    assert status == 302
    assert location.startswith(reverse("accounts:login"))


def test_a_session_ended_elsewhere_logs_nobody_in(client, applicant_admin):
    client.force_login(applicant_admin)
    Session.objects.all().delete()  # as a logout in another tab, or an officer ending the session
    assert home_status(client)[0] == 302


def test_a_disabled_account_is_logged_out_at_its_next_request(client, applicant_admin):
    client.force_login(applicant_admin)
    applicant_admin.is_active = False
    applicant_admin.save(update_fields=["is_active"])
    assert home_status(client)[0] == 302


def test_a_session_naming_no_account_logs_nobody_in(client, province_officer):
    login_verified(client, province_officer)
    session = client.session
    session[SESSION_KEY] = "999999"  # as after the account was deleted
    session.save()
    assert home_status(client)[0] == 302
