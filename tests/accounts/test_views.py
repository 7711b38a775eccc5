import re

import pytest
from django.db import transaction
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shifan.accounts.models import Organisation, Role
from shifan.core import reference, uscc
from tests import factories
from tests.accounts.test_login import try_login
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


def registration_data(**overrides):
    data = {
        "name": "广州示范制造有限公司",
        "credit_code": "91440101MA5CJQ4N59",
        "nature": "enterprise",
        "city_code": "440100",
        "county_code": reference.counties("440100")[0].code,
        "address": "广州市天河区示范路1号",
        "contact_name": "张三",
        "contact_phone": "020-88888888",
        "contact_email": "contact@example.com",
        "admin_name": "张三",
        "admin_email": "zhang@example.com",
        "admin_phone": "13800000000",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
    }
    return {**data, **overrides}


def test_registration_with_bad_check_character_shows_reason_and_keeps_input(client):
    response = client.post(reverse("accounts:register"), registration_data(credit_code="91440101MA5CJQ4N58"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "校验位错误" in content
    assert "广州示范制造有限公司" in content
    assert "zhang@example.com" in content
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [("91440101MA5CJQ4N5", "应为18位"), ("91440101MA5CJQ4NO9", "不能包含字母")],
)
def test_registration_explains_length_and_forbidden_letters(client, code, message):
    response = client.post(reverse("accounts:register"), registration_data(credit_code=code))
    assert message in response.content.decode()


def test_registration_refuses_county_of_other_city_beside_the_field(client):
    data = registration_data(county_code=reference.counties("440300")[0].code)
    response = client.post(reverse("accounts:register"), data)
    assert "所选区县不属于所选城市" in response.content.decode()


def test_registration_weak_password_is_explained(client):
    response = client.post(
        reverse("accounts:register"), registration_data(password1="abcdefgh", password2="abcdefgh")
    )
    content = response.content.decode()
    assert "至少 10 个字符" in content or "至少三类" in content


def test_registration_does_not_log_in_and_shows_code_warning(client):
    code = uscc.compose(authority="91", area="110108", body="MA00001X")
    response = client.post(reverse("accounts:register"), registration_data(credit_code=code), follow=True)
    content = response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert "非广东省" in content
    assert 'data-testid="registration-sent"' in content
    assert "zhang@example.com" in content


def test_duplicate_registration_says_how_to_join(client):
    factories.OrganisationFactory(credit_code="91440101MA5CJQ4N59", name="已注册单位")
    response = client.post(reverse("accounts:register"), registration_data())
    content = response.content.decode()
    assert "已注册单位" in content
    assert "邀请您加入" in content


def test_live_credit_code_check(client):
    url = reverse("accounts:credit_code_check")
    assert "校验位错误" in client.get(url, {"credit_code": "91440101MA5CJQ4N58"}).content.decode()
    assert (
        "校验通过"
        in client.get(url, {"credit_code": "91440101MA5CJQ4N59", "city_code": "440100"}).content.decode()
    )
    other_city = client.get(
        url, {"credit_code": "91440101MA5CJQ4N59", "city_code": "440300"}
    ).content.decode()
    assert "深圳市" in other_city


def test_officer_is_sent_to_two_factor_setup_then_gets_recovery_codes(client, city_officer):
    client.force_login(city_officer)
    response = client.get(reverse("accounts:organisation_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=city_officer, confirmed=False)
    wrong = client.post(reverse("accounts:two_factor_setup"), {"token": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    # django-otp throttles after a wrong code; a person takes longer than that to retype.
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(reverse("accounts:two_factor_setup"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li class=\"col-6\">(\d{8})</li>", codes_page)
    assert len(codes) == 10
    assert client.get(reverse("accounts:organisation_list")).status_code == 200


def test_recovery_code_works_once(client, city_officer):
    client.force_login(city_officer)
    TOTPDevice.objects.create(user=city_officer, name="x", confirmed=True)
    from shifan.accounts.two_factor import issue_recovery_codes

    with transaction.atomic():
        codes = issue_recovery_codes(actor=city_officer)
    response = client.post(reverse("accounts:two_factor_verify"), {"token": codes[0]})
    assert response.status_code == 302
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    client.logout()
    client.force_login(city_officer)
    response = client.post(reverse("accounts:two_factor_verify"), {"token": codes[0]})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()


def test_demo_accounts_skip_two_factor_only_with_demo_setting(client, settings):
    officer = factories.CityOfficerFactory(is_demo=True)
    client.force_login(officer)
    settings.SHIFAN_DEMO = False
    assert client.get(reverse("accounts:organisation_list")).status_code == 302
    settings.SHIFAN_DEMO = True
    assert client.get(reverse("accounts:organisation_list")).status_code == 200
    real = factories.CityOfficerFactory(is_demo=False)
    client.force_login(real)
    assert client.get(reverse("accounts:organisation_list")).status_code == 302


def test_applicants_do_not_need_two_factor(client, applicant_admin):
    client.force_login(applicant_admin)
    assert client.get(reverse("accounts:own_organisation")).status_code == 200


def test_repeated_failed_logins_lock_with_a_clear_message(client, applicant_admin):
    for _ in range(4):
        response = try_login(client, applicant_admin.email, "wrong", "127.0.0.1")
        assert "邮箱或密码不正确" in response.content.decode()
    response = try_login(client, applicant_admin.email, "wrong", "127.0.0.1")
    assert response.status_code == 429
    assert "暂时锁定" in response.content.decode()
    response = try_login(client, applicant_admin.email, factories.PASSWORD, "127.0.0.1")
    assert response.status_code == 429


def test_login_lands_on_role_home(client, applicant_admin):
    response = client.post(
        reverse("accounts:login"),
        {"username": applicant_admin.email, "password": factories.PASSWORD},
        follow=True,
    )
    assert 'data-testid="applicant-home"' in response.content.decode()


@pytest.mark.parametrize(
    ("factory", "marker"),
    [
        (factories.CityOfficerFactory, "city-home"),
        (factories.ProvinceOfficerFactory, "province-home"),
        (lambda: factories.ExpertProfileFactory().user, "expert-home"),
    ],
)
def test_each_officer_role_has_its_home(client, factory, marker):
    login_verified(client, factory())
    assert f'data-testid="{marker}"' in client.get(reverse("home")).content.decode()


def test_password_reset_by_email_link(
    client, applicant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": applicant_admin.email})
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+/password/reset/\S+/", mailoutbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]
    response = client.get(path, follow=True)
    form_path = response.redirect_chain[-1][0]
    new_password = "Another-Passw0rd!"
    response = client.post(form_path, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    applicant_admin.refresh_from_db()
    assert applicant_admin.check_password(new_password)


def test_province_creates_city_officer_through_the_page(
    client, province_officer, django_capture_on_commit_callbacks
):
    login_verified(client, province_officer)
    response = client.post(
        reverse("accounts:officer_create"),
        {"role": Role.CITY_OFFICER, "city_code": "", "name": "新官员", "email": "new@example.com"},
    )
    assert "必须选择城市" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:officer_create"),
            {"role": Role.CITY_OFFICER, "city_code": "440500", "name": "新官员", "email": "new@example.com"},
        )
    assert response.status_code == 302


def test_city_officer_sees_only_own_city_organisations(client, city_officer):
    mine = factories.OrganisationFactory(city_code="440100", name="本市单位")
    factories.OrganisationFactory(city_code="440300", name="外市单位")
    login_verified(client, city_officer)
    content = client.get(reverse("accounts:organisation_list")).content.decode()
    assert mine.name in content
    assert "外市单位" not in content


@pytest.mark.parametrize("rows", [1, 3])
def test_organisation_list_query_count_is_bounded(
    client, province_officer, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        factories.MembershipFactory(organisation=factories.OrganisationFactory())
    login_verified(client, province_officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:organisation_list"))
    assert response.status_code == 200


def test_pages_allow_only_own_assets(client):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_english_is_available(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()


def test_disabled_account_is_told_so_after_the_right_password(client, applicant_admin, organisation):
    member = factories.MembershipFactory(organisation=organisation)
    from shifan.accounts import services

    services.remove_member(actor=applicant_admin, membership=member)
    response = client.post(
        reverse("accounts:login"), {"username": member.user.email, "password": factories.PASSWORD}
    )
    assert "该账号已停用" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_two_factor_redirect_keeps_the_whole_query(client, city_officer):
    client.force_login(city_officer)
    TOTPDevice.objects.create(user=city_officer, name="x", confirmed=True)
    response = client.get(reverse("accounts:organisation_list") + "?city=440300&warnings=1")
    assert "next=%2Forganisations%2F%3Fcity%3D440300%26warnings%3D1" in response["Location"]


def test_live_check_reports_a_registered_code(client, organisation):
    response = client.get(reverse("accounts:credit_code_check"), {"credit_code": organisation.credit_code})
    assert "已由" in response.content.decode()


def test_setup_page_hides_the_menu_until_the_second_factor(client, city_officer):
    client.force_login(city_officer)
    content = client.get(reverse("accounts:two_factor_setup")).content.decode()
    assert reverse("accounts:organisation_list") not in content


def test_removed_member_loses_an_open_session(client, applicant_admin, organisation):
    member = factories.MembershipFactory(organisation=organisation)
    client.force_login(member.user)
    assert client.get(reverse("accounts:own_organisation")).status_code == 200
    from shifan.accounts import services

    services.remove_member(actor=applicant_admin, membership=member)
    response = client.get(reverse("accounts:own_organisation"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
