"""Password guessing cannot be turned against an account's owner, nor against an address.

Failures lock one account at one address; a few failures ask for a CAPTCHA instead of refusing
the right password; each address is slowed down on its own; the owner still logs in from an
address used before; officers and experts see the failures on their own account.
"""

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from captcha.models import CaptchaStore
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import factories
from tests.helpers import login_verified

OFFICE = "10.20.30.40"
HOME = "172.16.5.6"
ELSEWHERE = "192.0.2.77"
WRONG = "Wrong-Passw0rd!"

examples = hypothesis_settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def login_url():
    return reverse("accounts:login")


def asks_for_captcha(response) -> bool:
    return 'name="captcha_0"' in response.content.decode()


def captcha_answer(response) -> dict[str, str]:
    """Read the CAPTCHA a page shows; answer it as a person reading the image would."""
    key = re.search(r'name="captcha_0" value="([^"]+)"', response.content.decode()).group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def send(client, username, password, address, **extra):
    data = {"username": username, "password": password, **extra}
    return client.post(login_url(), data, REMOTE_ADDR=address)


def try_login(client, username, password, address):
    """Log in as a person would: when the form asks for the CAPTCHA, answer it and send again."""
    response = send(client, username, password, address)
    if response.status_code == 200 and "captcha" in response.context["form"].errors:
        response = send(client, username, password, address, **captcha_answer(response))
    return response


def logged_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def fresh_start():
    """Forget every attempt, login and count, between the examples of one test."""
    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()
    AccessLog.objects.all().delete()
    cache.clear()


@pytest.mark.django_db
@examples
@given(failures=st.integers(min_value=5, max_value=9))
def test_strangers_failures_from_one_address_do_not_stop_the_owner_at_another(failures):
    fresh_start()
    owner = factories.ProvinceOfficerFactory()
    stranger = Client()
    for _ in range(failures):
        try_login(stranger, owner.email, WRONG, ELSEWHERE)
    # The stranger's address is locked for this account, even with the right password.
    assert try_login(stranger, owner.email, factories.PASSWORD, ELSEWHERE).status_code == 429

    client = Client()
    first = send(client, owner.email, factories.PASSWORD, OFFICE)
    # The account is under attack: the owner is asked for the CAPTCHA, not locked out.
    assert first.status_code == 200
    assert asks_for_captcha(first)
    assert not first.wsgi_request.user.is_authenticated
    response = send(client, owner.email, factories.PASSWORD, OFFICE, **captcha_answer(first))
    assert logged_in(response)
    assert response.wsgi_request.user == owner


@pytest.mark.django_db
@examples
@given(
    names=st.lists(
        st.from_regex(r"[a-z][a-z0-9]{2,12}@[a-z]{3,8}\.(com|cn)", fullmatch=True),
        min_size=5,
        max_size=8,
        unique=True,
    )
)
def test_made_up_usernames_from_an_address_do_not_lock_real_accounts_behind_it(names):
    fresh_start()
    real = factories.MembershipFactory(organisation=factories.OrganisationFactory()).user
    guesser = Client()
    for name in names:
        assert try_login(guesser, name, WRONG, OFFICE).status_code == 200

    colleague = Client()
    page = colleague.get(login_url(), REMOTE_ADDR=OFFICE)
    assert asks_for_captcha(page)  # the address has many recent failures
    response = send(colleague, real.email, factories.PASSWORD, OFFICE, **captcha_answer(page))
    assert logged_in(response)


def test_captcha_appears_after_three_failures_and_the_right_password_with_it_logs_in(client, applicant_admin):
    for _ in range(2):
        response = send(client, applicant_admin.email, WRONG, OFFICE)
        assert "邮箱或密码不正确" in response.content.decode()
        assert not asks_for_captcha(response)
    third = send(client, applicant_admin.email, WRONG, OFFICE)
    assert "邮箱或密码不正确" in third.content.decode()
    assert asks_for_captcha(third)  # this failure was the third: the next try needs the CAPTCHA

    # The right password without the CAPTCHA is not checked, and not counted as a failure.
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE)
    assert response.context["form"].errors["captcha"] == ["请输入图中的验证码。"]
    assert not response.wsgi_request.user.is_authenticated
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, captcha_0="x", captcha_1="x")
    assert response.context["form"].errors["captcha"] == ["验证码不正确，请重新输入。"]
    assert AccessFailureLog.objects.filter(username=applicant_admin.email).count() == 3

    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, **captcha_answer(response))
    assert logged_in(response)
    assert response.wsgi_request.user == applicant_admin


def test_the_account_asks_for_the_captcha_at_any_address_after_failures_elsewhere(client, applicant_admin):
    for _ in range(3):
        send(Client(), applicant_admin.email, WRONG, ELSEWHERE)
    # The login page from another address does not know the account yet; sending it does.
    assert not asks_for_captcha(client.get(login_url(), REMOTE_ADDR=OFFICE))
    response = send(client, " " + applicant_admin.email.upper(), factories.PASSWORD, OFFICE)
    assert asks_for_captcha(response)
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, **captcha_answer(response))
    assert logged_in(response)


@examples
@given(limit=st.integers(min_value=2, max_value=6))
def test_login_forms_are_rate_limited_by_address(client, applicant_admin, settings, limit):
    cache.clear()
    settings.SHIFAN_LOGIN_POSTS_PER_ADDRESS = limit
    for index in range(limit):
        response = send(client, f"nobody{index}@example.com", WRONG, OFFICE)
        assert response.status_code == 200
    response = send(Client(), applicant_admin.email, factories.PASSWORD, OFFICE)
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.SHIFAN_LOGIN_POSTS_WINDOW)
    assert "您所在的网络地址提交登录过于频繁，请 5 分钟后再试。" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    # The limit slows down one address; others log in.
    assert logged_in(send(Client(), applicant_admin.email, factories.PASSWORD, HOME))


def test_the_owner_logs_in_from_a_usual_address_while_it_is_locked_elsewhere(client, city_officer):
    assert logged_in(send(Client(), city_officer.email, factories.PASSWORD, OFFICE))
    for _ in range(6):
        try_login(Client(), city_officer.email, WRONG, OFFICE)
        try_login(Client(), city_officer.email, WRONG, ELSEWHERE)
    # Six failures lock the account at an address it never logged in from …
    locked = try_login(Client(), city_officer.email, factories.PASSWORD, ELSEWHERE)
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "该账号已暂停从您当前所在的网络地址登录" in locked.content.decode()
    # … but not at the office it logged in from before: there the CAPTCHA is enough.
    assert logged_in(try_login(client, city_officer.email, factories.PASSWORD, OFFICE))


def test_failures_lock_one_account_at_one_address(client, applicant_admin, organisation):
    other = factories.MembershipFactory(organisation=organisation).user
    for _ in range(5):
        try_login(client, applicant_admin.email, WRONG, OFFICE)
    assert try_login(Client(), applicant_admin.email, factories.PASSWORD, OFFICE).status_code == 429
    assert logged_in(try_login(Client(), other.email, factories.PASSWORD, OFFICE))


# The failed-logins page and the notice after login


def fail_from(user, address, times):
    for _ in range(times):
        try_login(Client(), user.email, WRONG, address)


def test_officer_sees_the_failed_logins_on_the_own_account(client, city_officer):
    fail_from(city_officer, ELSEWHERE, 4)
    fail_from(city_officer, HOME, 1)
    login_verified(client, city_officer)
    response = client.get(reverse("accounts:login_failures"))
    assert response.status_code == 200
    rows = {row["ip_address"]: row["count"] for row in response.context["by_address"]}
    assert rows == {ELSEWHERE: 4, HOME: 1}
    content = response.content.decode()
    assert ELSEWHERE in content
    assert HOME in content
    assert response.context["page"].paginator.count == 5


@pytest.mark.parametrize("reader", ["other_officer", "expert", "province"])
def test_nobody_else_sees_an_officers_failed_logins(client, city_officer, reader):
    fail_from(city_officer, ELSEWHERE, 2)
    other = {
        "other_officer": lambda: factories.CityOfficerFactory(city_code="440100"),
        "expert": lambda: factories.ExpertProfileFactory().user,
        "province": factories.ProvinceOfficerFactory,
    }[reader]()
    login_verified(client, other)
    response = client.get(reverse("accounts:login_failures"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert ELSEWHERE not in response.content.decode()


def test_applicants_have_no_failed_logins_page(client, applicant_admin):
    client.force_login(applicant_admin)
    assert client.get(reverse("accounts:login_failures")).status_code == 403


def test_officer_is_told_on_the_home_page_about_failures_since_the_last_login(client, province_officer):
    assert logged_in(send(Client(), province_officer.email, factories.PASSWORD, OFFICE))
    fail_from(province_officer, ELSEWHERE, 2)
    device = TOTPDevice.objects.create(user=province_officer, name="测试", confirmed=True)

    assert logged_in(send(client, province_officer.email, factories.PASSWORD, OFFICE))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    content = client.get(reverse("home")).content.decode()
    assert 'data-testid="failed-login-notice"' in content
    assert "您的账号有 2 次登录失败" in content
    assert f"来自网络地址 {ELSEWHERE}" in content
    assert reverse("accounts:login_failures") in content
    # Told once.
    assert 'data-testid="failed-login-notice"' not in client.get(reverse("home")).content.decode()

    # No failures since this login: nothing to tell next time.
    client.logout()
    assert logged_in(send(client, province_officer.email, factories.PASSWORD, OFFICE))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert 'data-testid="failed-login-notice"' not in client.get(reverse("home")).content.decode()


def test_failed_logins_page_query_count_does_not_grow_with_failures(
    client, city_officer, django_assert_max_num_queries
):
    login_verified(client, city_officer)
    AccessFailureLog.objects.bulk_create(
        AccessFailureLog(username=city_officer.email, ip_address=f"10.0.{n // 250}.{n % 250}", user_agent="x")
        for n in range(300)
    )
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:login_failures"))
    assert response.status_code == 200
    assert len(response.context["by_address"]) == 20


def test_failed_logins_page_in_english(client, expert):
    fail_from(expert, ELSEWHERE, 1)
    login_verified(client, expert)
    page = client.get(reverse("accounts:login_failures"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("Failed logins", "By network address", "Each failure", "Wrong password", ELSEWHERE):
        assert text in page
    for text in ("登录失败记录", "按网络地址", "每次失败", "密码错误"):
        assert text not in page


def test_officer_is_told_wherever_the_second_factor_leads(client, province_officer):
    from django_otp.oath import totp

    assert logged_in(send(Client(), province_officer.email, factories.PASSWORD, OFFICE))
    fail_from(province_officer, ELSEWHERE, 2)
    device = TOTPDevice.objects.create(user=province_officer, name="测试", confirmed=True)
    assert logged_in(send(client, province_officer.email, factories.PASSWORD, OFFICE))
    # A link from a notice's mail leads past the home page.
    target = reverse("notices")
    response = client.post(
        f"{reverse('accounts:two_factor_verify')}?next={target}",
        {"token": f"{totp(device.bin_key):06d}"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == target
    assert "您的账号有 2 次登录失败" in response.content.decode()
