"""Single sign-on against a real OpenID provider (tools/oidc-dev-provider.js, npm oidc-provider).

The logins go through the provider's own pages and token endpoint; the forged, expired and
mis-addressed tokens are made with the provider's signing key (or another) and given to the
same checks the callback runs.
"""

import re
import time

import pytest
from django.urls import reverse

from shifan.accounts import sso, verification
from shifan.accounts.models import (
    ExternalIdentity,
    Organisation,
    OrganisationClaim,
    Role,
    SsoSession,
    User,
    VerificationState,
)
from shifan.accounts.services import AccountError
from shifan.core.models import AuditEvent
from tests import factories
from tests.helpers import login_verified
from tests.oidc_provider import (
    CLAIMED_CODE,
    CLIENT_ID,
    COMPANY_CODE,
    CONTACT,
    NEW_COMPANY_CODE,
    PROVIDER_KEY,
    USERS,
)

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/sso/dev/callback/"


def sso_login(client, login: str, **headers):
    """Log in at the provider as `login`; return Shifan's answer to the callback."""
    from tests.oidc_provider import provider_login

    start = client.get(reverse("accounts:sso_login", args=[PROVIDER_KEY]))
    assert start.status_code == 302
    callback = provider_login(start["Location"], login, stop_at=CALLBACK)
    return client.get(callback.removeprefix("http://testserver"), **headers)


def captcha_answer(page: str) -> dict[str, str]:
    from captcha.models import CaptchaStore

    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def officer(email: str = USERS["officer"]["email"], role: str = Role.PROVINCE_OFFICER) -> User:
    return factories.UserFactory(email=email, role=role, name="林晓华")


def test_login_page_offers_the_configured_provider(client, oidc):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "广东统一身份认证（测试）" in page
    assert reverse("accounts:sso_login", args=[PROVIDER_KEY]) in page


def test_the_authorization_request_has_pkce_state_and_nonce(client, oidc):
    location = client.get(reverse("accounts:sso_login", args=[PROVIDER_KEY]))["Location"]
    assert location.startswith(f"{oidc.issuer}/auth?")
    for parameter in (
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "response_type=code",
    ):
        assert parameter in location


def test_officer_is_linked_by_email_and_skips_second_factor_asserted_by_provider(client, oidc):
    user = officer()
    response = sso_login(client, "officer")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200  # not sent to the two-factor pages: amr has "otp"
    assert ExternalIdentity.objects.get(provider=PROVIDER_KEY, subject="staff-1").user == user
    assert SsoSession.objects.filter(subject="staff-1").exclude(sid="").exists()


def test_expert_without_second_factor_at_provider_is_asked_shifans(client, oidc):
    factories.ExpertProfileFactory(user__email=USERS["expert-pwd"]["email"])
    assert sso_login(client, "expert-pwd").status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_identity_without_account_is_refused_naming_whom_to_ask_never_matched_by_name(client, oidc):
    # An account with the very display name the provider asserts, under another address.
    factories.UserFactory(email="someone@example.com", role=Role.PROVINCE_OFFICER, name="林单点")
    response = sso_login(client, "stranger")
    assert response.status_code == 403
    text = response.content.decode()
    assert "没有与您的统一身份" in text
    assert CONTACT in text
    assert not ExternalIdentity.objects.exists()
    assert not client.session.get("_auth_user_id")


def test_unverified_email_claim_links_nothing(client, oidc):
    officer()
    response = sso_login(client, "unverified")
    assert response.status_code == 403
    assert not ExternalIdentity.objects.exists()


def test_email_claim_the_provider_does_not_say_it_verified_links_nothing(client, oidc):
    officer()
    response = sso_login(client, "silent")
    assert response.status_code == 403
    assert not ExternalIdentity.objects.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("state", [VerificationState.REFUSED, VerificationState.RETURNED])
def test_an_officers_refusal_or_return_stands_whatever_a_login_asserts(client, oidc, state):
    organisation = factories.OrganisationFactory(credit_code=COMPANY_CODE, verification_state=state)
    factories.MembershipFactory(
        organisation=organisation, is_admin=True, user__email=USERS["company"]["email"]
    )
    sso_login(client, "company")
    organisation.refresh_from_db()
    assert organisation.verification_state == state
    assert not AuditEvent.objects.filter(action="organisation.verified_by_sso").exists()


def test_applicant_account_is_not_opened_through_the_people_flow(client, oidc):
    officer(role=Role.APPLICANT)
    assert sso_login(client, "officer").status_code == 403


def test_company_member_is_linked_and_organisation_verified_by_assertion(client, oidc):
    organisation = factories.OrganisationFactory(
        credit_code=COMPANY_CODE, verification_state=VerificationState.PENDING
    )
    member = factories.MembershipFactory(
        organisation=organisation, is_admin=True, user__email=USERS["company"]["email"]
    ).user
    response = sso_login(client, "company")
    assert response["Location"] == reverse("home")
    organisation.refresh_from_db()
    assert organisation.verification_state == VerificationState.VERIFIED
    assert "免材料核验" in organisation.verification_reason
    assert ExternalIdentity.objects.get(subject="biz-1").user == member
    assert client.get(reverse("home")).status_code == 200


def test_company_with_unregistered_code_registers_prefilled_and_verified(client, oidc):
    response = sso_login(client, "company-new")
    assert response["Location"] == reverse("accounts:sso_register", args=[PROVIDER_KEY])
    page = client.get(response["Location"]).content.decode()
    assert NEW_COMPANY_CODE in page
    assert "广州新注册智造有限公司" in page
    from shifan.core import reference

    county = reference.counties("440100")[0].code
    form = {
        "name": "广州新注册智造有限公司",
        "credit_code": "91440101MA5CJQ4N59",  # ignored: the asserted code is used
        "nature": "enterprise",
        "city_code": "440100",
        "county_code": county,
        "address": "广州市天河区示例路2号",
        "contact_name": "新经办",
        "contact_phone": "020-12345678",
        "contact_email": "new.company@example.com",
        "admin_name": "新经办",
        "admin_email": "new.company@example.com",
        "admin_phone": "13800000001",
        "password1": "Test-Passw0rd!x",
        "password2": "Test-Passw0rd!x",
    }
    done = client.post(response["Location"], form)
    assert done.status_code == 302, done.content.decode()[:3000]
    organisation = Organisation.objects.get(credit_code=NEW_COMPANY_CODE)
    assert organisation.is_verified
    admin = organisation.memberships.get().user
    assert admin.email_verified
    assert ExternalIdentity.objects.get(subject="biz-2").user == admin
    assert not Organisation.objects.filter(credit_code="91440101MA5CJQ4N59").exists()
    assert client.get(reverse("home")).status_code == 200


def test_company_whose_code_someone_else_registered_claims_with_the_assertion(client, oidc, province_officer):
    organisation = factories.OrganisationFactory(
        credit_code=CLAIMED_CODE, verification_state=VerificationState.PENDING
    )
    squatter = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    response = sso_login(client, "company-claim")
    assert response["Location"] == reverse("accounts:sso_claim", args=[PROVIDER_KEY])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="sso-claim"' in page
    assert "true.owner@example.com" in page
    sent = client.post(
        response["Location"],
        {
            "credit_code": COMPANY_CODE,  # ignored
            "organisation_name": "广州穗联精密制造有限公司",
            "claimant_name": "何真",
            "claimant_email": "true.owner@example.com",
            "claimant_phone": "13902220001",
            "statement": "本公司代码被他人注册。",
            **captcha_answer(page),
        },
    )
    assert sent["Location"] == reverse("accounts:claim_sent"), sent.content.decode()[:3000]
    claim = OrganisationClaim.objects.get()
    assert claim.organisation == organisation
    assert claim.sso_evidence["subject"] == "biz-3"
    assert claim.sso_evidence["credit_code"] == CLAIMED_CODE
    assert not claim.documents.exists()
    client.logout()
    login_verified(client, province_officer)
    detail = client.get(reverse("accounts:claim_detail", args=[claim.pk])).content.decode()
    assert 'data-testid="claim-sso-evidence"' in detail
    assert "biz-3" in detail
    verification.decide_claim(actor=province_officer, claim=claim, uphold=True, reason="身份认证已确认。")
    claimant = User.objects.get(email="true.owner@example.com")
    assert ExternalIdentity.objects.get(subject="biz-3").user == claimant
    squatter.refresh_from_db()
    assert not squatter.is_active


def test_claim_without_assertion_still_needs_documents(organisation):
    with pytest.raises(AccountError, match="营业执照"):
        verification.file_claim(
            credit_code=organisation.credit_code,
            organisation_name="x",
            claimant_name="x",
            claimant_email="x@example.com",
            claimant_phone="1",
            statement="x",
            licence=None,
            authorisation=None,
        )


def test_replayed_code_is_refused(client, oidc):
    officer()
    from tests.oidc_provider import provider_login

    start = client.get(reverse("accounts:sso_login", args=[PROVIDER_KEY]))
    callback = provider_login(start["Location"], "officer", stop_at=CALLBACK)
    first = client.get(callback.removeprefix("http://testserver"))
    assert first.status_code == 302
    client.logout()
    # The same code again, with a fresh state of this browser: the provider refuses the code.
    code = callback.split("code=")[1].split("&")[0]
    again = client.get(reverse("accounts:sso_login", args=[PROVIDER_KEY]))
    state = again["Location"].split("state=")[1].split("&")[0]
    replay = client.get(reverse("accounts:sso_callback", args=[PROVIDER_KEY]), {"code": code, "state": state})
    assert replay.status_code == 400
    assert "未通过校验" in replay.content.decode()
    assert not client.session.get("_auth_user_id")


def test_callback_with_unknown_state_is_refused(client, oidc):
    callback = reverse("accounts:sso_callback", args=[PROVIDER_KEY])
    response = client.get(callback, {"code": "x", "state": "forged"})
    assert response.status_code == 400
    assert "已过期或已使用" in response.content.decode()


def claims(provider, **changes):
    now = int(time.time())
    base = {
        "iss": provider.issuer,
        "sub": "staff-1",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "email": USERS["officer"]["email"],
    }
    return {**base, **changes}


def configured():
    return sso.provider(PROVIDER_KEY)


def test_token_signed_by_the_provider_passes(oidc):
    token = oidc.sign(claims(oidc))
    assert sso_verify(token)["sub"] == "staff-1"


def sso_verify(token, nonce="n-1"):
    return sso.verify_id_token(configured(), token, nonce=nonce)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": int(time.time()) - 600, "iat": int(time.time()) - 1200}, id="expired"),
        pytest.param({"aud": "another-client"}, id="wrong-audience"),
        pytest.param({"iss": "http://127.0.0.1:1"}, id="wrong-issuer"),
        pytest.param({"nonce": "n-2"}, id="other-nonce"),
    ],
)
def test_token_with_bad_claims_is_refused(oidc, changes):
    with pytest.raises(sso.SsoError):
        sso_verify(oidc.sign(claims(oidc, **changes)))


def test_token_forged_with_another_key_is_refused(oidc):
    from joserfc.jwk import RSAKey

    forger = RSAKey.generate_key(2048, parameters={"kid": "test-1"}, private=True)
    with pytest.raises(sso.SsoError):
        sso_verify(oidc.sign(claims(oidc), key=forger))


def test_clock_skew_is_allowed_up_to_the_setting(oidc, settings):
    settings.SHIFAN_SSO_CLOCK_SKEW = 120
    late = oidc.sign(claims(oidc, exp=int(time.time()) - 60))
    assert sso_verify(late)["sub"] == "staff-1"
    settings.SHIFAN_SSO_CLOCK_SKEW = 10
    with pytest.raises(sso.SsoError):
        sso_verify(late)


def logout_claims(provider, **changes):
    now = int(time.time())
    base = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": f"j-{now}",
        "sub": "staff-1",
        "events": {sso.BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    return {**base, **changes}


def test_backchannel_logout_ends_the_sessions_of_that_sid(client, oidc):
    officer()
    sso_login(client, "officer")
    assert client.get(reverse("accounts:account_list")).status_code == 200
    row = SsoSession.objects.get()
    endpoint = reverse("accounts:sso_backchannel_logout", args=[PROVIDER_KEY])
    from django.test import Client
    from joserfc.jwk import RSAKey

    provider_side = Client()
    forger = RSAKey.generate_key(2048, parameters={"kid": "test-1"}, private=True)
    refused = [
        oidc.sign(logout_claims(oidc, sid=row.sid), key=forger),
        oidc.sign(logout_claims(oidc, sid=row.sid, nonce="x")),
        oidc.sign(logout_claims(oidc, sid=row.sid, aud="another-client")),
        oidc.sign(logout_claims(oidc, sid=row.sid, events={})),
    ]
    for token in refused:
        assert provider_side.post(endpoint, {"logout_token": token}).status_code == 400
    assert client.get(reverse("accounts:account_list")).status_code == 200
    ended = provider_side.post(endpoint, {"logout_token": oidc.sign(logout_claims(oidc, sid=row.sid))})
    assert ended.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:account_list"))["Location"].startswith(reverse("accounts:login"))
    assert not SsoSession.objects.exists()


def test_logout_takes_the_browser_to_the_providers_logout(client, oidc):
    officer()
    sso_login(client, "officer")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{oidc.issuer}/session/end?" in page
    assert "id_token_hint=" in page
    assert "post_logout_redirect_uri=" in page
    assert not SsoSession.objects.exists()
    assert not client.session.get("_auth_user_id")


def test_password_logout_is_unchanged(client, oidc, province_officer):
    client.force_login(province_officer)
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("accounts:login")


def test_unknown_provider_is_404(client, oidc):
    assert client.get("/sso/nope/login/").status_code == 404
    assert client.get(reverse("accounts:sso_register", args=[PROVIDER_KEY])).status_code == 404


@pytest.mark.parametrize("role", ["applicant", "city", "province", "expert"])
def test_sso_pages_by_role(
    client, oidc, role, organisation, applicant_admin, city_officer, province_officer, expert
):
    """Logged in, the provider's login leads home; the registration and claim need a pending
    company login (none here: 404); the back channel takes only a POST with a valid token."""
    user = {
        "applicant": applicant_admin,
        "city": city_officer,
        "province": province_officer,
        "expert": expert,
    }[role]
    login_verified(client, user)
    assert client.get(reverse("accounts:sso_login", args=[PROVIDER_KEY]))["Location"] == reverse("home")
    assert client.get(reverse("accounts:sso_register", args=[PROVIDER_KEY])).status_code in (302, 404)
    assert client.get(reverse("accounts:sso_claim", args=[PROVIDER_KEY])).status_code == 404
    endpoint = reverse("accounts:sso_backchannel_logout", args=[PROVIDER_KEY])
    assert client.get(endpoint).status_code == 405
    assert client.post(endpoint, {"logout_token": "x.y.z"}).status_code == 400


def test_refusal_reads_in_english(client, oidc):
    response = sso_login(client, "stranger", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Cannot log in through" in page
    assert "There is no account here for your identity (stranger@gd.gov.cn)" in page


@pytest.mark.parametrize(
    ("amr", "acr", "two_factors"),
    [
        (["pwd", "otp"], "", True),
        (["pwd", "sms"], "", True),
        (["mfa"], "", True),
        (["sms"], "", False),  # a code by text message alone is one factor
        (["face"], "", False),
        (["pwd"], "", False),
        (["pwd", "kba"], "", False),  # two methods, neither a second factor
        ([], "urn:test:loa:3", True),
    ],
)
def test_the_provider_asserts_two_factors_only_with_two_methods_or_mfa(amr, acr, two_factors):
    provider = sso._provider(
        {
            "key": "x",
            "name": "x",
            "discovery_url": "http://x/",
            "client_id": "x",
            "mfa_acr": ["urn:test:loa:3"],
        }
    )
    assert provider.asserts_second_factor({"amr": amr, "acr": acr}) is two_factors
