"""The session, its user and its second factor, as every logged-in request reads them (accounts.sessions,
AccountBackend.get_user, SecondFactorMiddleware): only a live session of an active account logs anyone
in, and only the officer's own confirmed device counts as the second factor."""

from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shifan.accounts.models import User
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


def officer_with_device_in_session(client, officer, device_id):
    client.force_login(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_id
    session.save()
    return client.get(reverse("notices"))


def test_an_officer_with_the_second_factor_passed_reaches_the_pages(client, city_officer):
    device = TOTPDevice.objects.create(user=city_officer, name="手机", confirmed=True)
    assert officer_with_device_in_session(client, city_officer, device.persistent_id).status_code == 200


def test_only_the_officers_own_confirmed_device_counts_as_the_second_factor(
    client, city_officer, province_officer
):
    others = TOTPDevice.objects.create(user=province_officer, name="别人的", confirmed=True)
    unconfirmed = TOTPDevice.objects.create(user=city_officer, name="未确认", confirmed=False)
    user_model = f"{User._meta.app_label}.{User._meta.model_name}"
    for device_id in [
        others.persistent_id,
        unconfirmed.persistent_id,
        "otp_totp.totpdevice/999999",
        "otp_totp.totpdevice/x",
        "nosuch.device/1",
        f"{user_model}/{city_officer.pk}",  # a model that is not a device
        "garbage",
    ]:
        response = officer_with_device_in_session(client, city_officer, device_id)
        assert response.status_code == 302, device_id
        # To set up a device (the officer has none confirmed) instead of the page asked for.
        assert response["Location"].startswith(reverse("accounts:two_factor_setup")), device_id
