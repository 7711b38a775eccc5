"""No one takes a company that is not theirs: the e-mail link, the documents, the city's
verification, unverified organisations kept from submitting, and claims on a taken code."""

import re
import time

import pytest
from captcha.models import CaptchaStore
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shifan.accounts import services, verification
from shifan.accounts.models import (
    ClaimState,
    DocumentKind,
    Membership,
    Organisation,
    OrganisationClaim,
    User,
    VerificationDocument,
    VerificationState,
)
from shifan.accounts.services import AccountError
from shifan.applications import services as application_services
from shifan.applications.models import ApplicationState
from shifan.applications.services import ApplicationError
from shifan.core.models import AuditEvent, Notice
from shifan.demo.answers import complete_answers
from tests import factories
from tests.accounts.test_views import registration_data
from tests.captcha_questions import text_question_in
from tests.helpers import assert_flat, login_verified

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00 This program cannot be run in DOS mode."


def scan(name: str = "营业执照.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def link_in(mail) -> str:
    return re.search(r"https?://[^/\s]+(/email/verify/[^\s]+/)", mail.body).group(1)


@pytest.fixture
def unverified(db):
    """An organisation registered through the service: its administrator's address not yet proven."""
    return services.register_organisation(
        name="广州示范制造有限公司",
        credit_code="91440101MA5CJQ4N59",
        city_code="440100",
        county_code="440103",
        address="广州市荔湾区示范路1号",
        contact_name="张三",
        contact_phone="020-88888888",
        contact_email="contact@example.com",
        admin_name="张三",
        admin_email="zhang@example.com",
        admin_phone="13800000000",
        admin_password=factories.PASSWORD,
    )


@pytest.fixture
def pending(unverified):
    """The same organisation after the link was opened and both documents were handed in."""
    admin = services.verify_email(token=services.email_verification_token(unverified.user))
    verification.hand_in_documents(
        actor=admin,
        organisation=unverified.organisation,
        licence=scan(),
        authorisation=scan("授权书.png", PNG),
    )
    unverified.organisation.refresh_from_db()
    return unverified.organisation


def admin_of(organisation: Organisation) -> User:
    return organisation.memberships.get(is_admin=True).user


# The e-mail address


def test_registration_mails_a_link_and_the_account_does_nothing_until_it_is_opened(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register"), registration_data(), follow=True)
    assert not response.wsgi_request.user.is_authenticated
    page = response.content.decode()
    assert "打开链接之前，账号不能使用" in page
    user = User.objects.get(email="zhang@example.com")
    assert not user.email_verified
    assert Organisation.objects.get().verification_state == VerificationState.PENDING
    [mail] = mailoutbox
    assert mail.to == ["zhang@example.com"]
    link = link_in(mail)

    # Logged in before opening the link: every page leads to the page that says why.
    client.force_login(user)
    for url in (reverse("home"), reverse("accounts:own_organisation"), reverse("applications:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:email_unverified")
    held = client.get(reverse("accounts:email_unverified")).content.decode()
    assert "尚未验证" in held
    assert "zhang@example.com" in held

    opened = client.get(link)
    assert opened.status_code == 200
    assert "已验证" in opened.content.decode()
    user.refresh_from_db()
    assert user.email_verified
    assert AuditEvent.objects.filter(action="account.email_verified", actor=user).exists()
    assert client.get(reverse("accounts:own_organisation")).status_code == 200


def test_the_link_can_be_mailed_again(client, unverified, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(unverified.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:email_unverified"))
    assert response.status_code == 302
    [mail] = mailoutbox
    assert client.get(link_in(mail)).status_code == 200


def test_a_forged_or_altered_link_is_refused(client, unverified):
    user = unverified.user
    token = services.email_verification_token(user)
    forged_for_another = signing.dumps({"user": user.pk, "email": user.email}, salt="another-purpose")
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged_for_another, altered, "not-a-token"):
        response = client.get(reverse("accounts:email_verify", kwargs={"token": bad}))
        assert response.status_code == 400
        assert "验证链接无效" in response.content.decode()
    user.refresh_from_db()
    assert not user.email_verified


def test_an_old_link_is_refused(client, unverified):
    class ThreeDaysAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - services.EMAIL_LINK_MAX_AGE.days * 86400 - 60)

    user = unverified.user
    token = ThreeDaysAgo(salt=services.EMAIL_LINK_SALT).sign_object({"user": user.pk, "email": user.email})
    response = client.get(reverse("accounts:email_verify", kwargs={"token": token}))
    assert response.status_code == 400
    assert "已过期" in response.content.decode()


def test_a_link_is_worthless_once_the_address_changed(unverified):
    user = unverified.user
    token = services.email_verification_token(user)
    User.objects.filter(pk=user.pk).update(email="another@example.com")
    with pytest.raises(AccountError, match="验证链接无效"):
        services.verify_email(token=token)


# The documents


def test_documents_are_stored_under_their_hash_and_put_the_organisation_in_its_citys_queue(pending):
    documents = verification.current_documents(pending)
    assert set(documents) == {DocumentKind.LICENCE, DocumentKind.AUTHORISATION}
    licence = documents[DocumentKind.LICENCE]
    assert f"verification/{pending.pk}/{licence.sha256}" in licence.file.name
    with licence.file.open("rb") as stored:
        assert stored.read() == PDF
    assert documents[DocumentKind.AUTHORISATION].content_type == "image/png"
    assert pending.verification_requested_at is not None
    guangzhou = factories.CityOfficerFactory(city_code="440100")
    shenzhen = factories.CityOfficerFactory(city_code="440300")
    province = factories.ProvinceOfficerFactory()
    from shifan.accounts import selectors

    assert list(selectors.organisations_awaiting_verification(guangzhou)) == [pending]
    assert list(selectors.organisations_awaiting_verification(province)) == [pending]
    assert not selectors.organisations_awaiting_verification(shenzhen).exists()


def test_an_exe_named_pdf_is_refused_beside_the_field(client, unverified):
    admin = services.verify_email(token=services.email_verification_token(unverified.user))
    client.force_login(admin)
    response = client.post(
        reverse("accounts:own_verification"),
        {"licence": scan("营业执照.pdf", EXE), "authorisation": scan("授权书.pdf")},
    )
    assert response.status_code == 200
    page = response.content.decode()
    feedback = re.search(
        r'id="group-id_licence".*?<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', page, re.S
    )
    assert feedback is not None
    assert "营业执照" in feedback.group(1)
    assert "内容不是 PDF" in feedback.group(1)
    assert not VerificationDocument.objects.exists()
    unverified.organisation.refresh_from_db()
    assert unverified.organisation.verification_requested_at is None


def test_a_gif_is_refused_only_pdf_jpeg_png_are_taken(unverified):
    admin = services.verify_email(token=services.email_verification_token(unverified.user))
    with pytest.raises(AccountError) as refusal:
        verification.hand_in_documents(
            actor=admin,
            organisation=unverified.organisation,
            licence=scan("营业执照.gif", GIF),
            authorisation=scan("授权书.pdf"),
        )
    assert refusal.value.field == DocumentKind.LICENCE
    assert "PDF、JPEG 或 PNG" in refusal.value.message


def test_only_the_administrator_hands_in_documents(pending):
    member = factories.MembershipFactory(organisation=pending).user
    with pytest.raises(AccountError, match="只有单位管理员"):
        verification.hand_in_documents(actor=member, organisation=pending, licence=scan(), authorisation=None)


def test_documents_are_shown_to_members_the_citys_officer_and_the_province_only(client, pending):
    document = verification.current_documents(pending)[DocumentKind.LICENCE]
    url = reverse("accounts:verification_document", kwargs={"pk": document.pk})
    readers = {
        admin_of(pending): 200,
        factories.MembershipFactory(organisation=pending).user: 200,
        factories.CityOfficerFactory(city_code="440100"): 200,
        factories.ProvinceOfficerFactory(): 200,
        factories.CityOfficerFactory(city_code="440300"): 404,
        factories.MembershipFactory(is_admin=True).user: 404,
        factories.ExpertProfileFactory().user: 404,
    }
    for reader, status in readers.items():
        login_verified(client, reader)
        response = client.get(url)
        assert response.status_code == status, reader
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content) == PDF
    client.logout()
    assert client.get(url).status_code == 302


# The city's verification


def test_only_the_officer_of_the_organisations_city_verifies_it(
    client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("accounts:verification_detail", kwargs={"pk": pending.pk})
    login_verified(client, factories.CityOfficerFactory(city_code="440300"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "verify"}).status_code == 404
    client.force_login(admin_of(pending))
    assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "verify"}).status_code == 403
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.PENDING

    officer = factories.CityOfficerFactory(city_code="440100")
    login_verified(client, officer)
    page = client.get(url).content.decode()
    assert "营业执照.pdf" in page
    assert "授权书.png" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "verify", "reason": "", "documents": seen(page)})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.VERIFIED
    assert pending.verified_by == officer
    event = AuditEvent.objects.get(action="organisation.verification_verify")
    assert event.actor == officer
    assert event.organisation_id == pending.pk
    admin = admin_of(pending)
    assert Notice.objects.filter(recipient=admin, title__contains="已核验").exists()
    assert any(admin.email in mail.to and "已核验" in mail.subject for mail in mailoutbox)


def seen(page: str) -> str:
    """Return the ids of the scans a verification page showed, as its form posts them."""
    return re.search(r'name="documents" value="([^"]*)"', page).group(1)


def test_an_officer_decides_on_the_scans_the_page_showed_not_on_ones_handed_in_since(client, pending):
    officer = factories.CityOfficerFactory(city_code="440100")
    login_verified(client, officer)
    url = reverse("accounts:verification_detail", kwargs={"pk": pending.pk})
    shown = seen(client.get(url).content.decode())
    # While the page is open, the administrator swaps the licence.
    verification.hand_in_documents(
        actor=admin_of(pending), organisation=pending, licence=scan("另一张执照.pdf"), authorisation=None
    )
    response = client.post(url, {"decision": "verify", "reason": "", "documents": shown})
    page = response.content.decode()
    assert "已更换核验材料" in page
    assert "另一张执照.pdf" in page
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.PENDING
    # Decided on what the page shows now, it goes through.
    client.post(url, {"decision": "verify", "reason": "", "documents": seen(page)})
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.VERIFIED


def test_returning_needs_a_reason_and_brings_the_documents_back(client, pending):
    officer = factories.CityOfficerFactory(city_code="440100")
    login_verified(client, officer)
    url = reverse("accounts:verification_detail", kwargs={"pk": pending.pk})
    shown = seen(client.get(url).content.decode())
    response = client.post(url, {"decision": "return", "reason": "", "documents": shown})
    assert "请写明理由" in response.content.decode()
    client.post(url, {"decision": "return", "reason": "授权书未盖公章", "documents": shown})
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.RETURNED
    assert pending.verification_reason == "授权书未盖公章"

    admin = admin_of(pending)
    client.force_login(admin)
    assert "授权书未盖公章" in client.get(reverse("accounts:own_verification")).content.decode()
    # Only the authorisation again: the licence already handed in stays.
    client.post(reverse("accounts:own_verification"), {"authorisation": scan("授权书（盖章）.pdf")})
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.PENDING
    documents = verification.current_documents(pending)
    assert documents[DocumentKind.AUTHORISATION].original_name == "授权书（盖章）.pdf"
    assert documents[DocumentKind.LICENCE].original_name == "营业执照.pdf"


def test_refused_is_final(pending):
    province = factories.ProvinceOfficerFactory()
    verification.decide_verification(
        actor=province, organisation=pending, decision="refuse", reason="非本单位"
    )
    with pytest.raises(AccountError, match="不予核验"):
        verification.hand_in_documents(
            actor=admin_of(pending), organisation=pending, licence=scan(), authorisation=scan()
        )


def test_the_queue_pages_and_searches(client, pending):
    officer = factories.CityOfficerFactory(city_code="440100")
    login_verified(client, officer)
    url = reverse("accounts:verification_list")
    assert pending.name in client.get(url).content.decode()
    assert pending.name in client.get(url, {"q": "91440101MA5CJQ"}).content.decode()
    assert pending.name not in client.get(url, {"q": "无此单位"}).content.decode()
    assert pending.name not in client.get(url, {"state": "returned"}).content.decode()


def pending_organisations(count: int) -> list[Organisation]:
    """Organisations of 广州 waiting for verification, each with an open claim, made in bulk."""
    now = timezone.now()
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"待核验制造{n}有限公司",
            credit_code=factories.credit_code_for("440100", 60000 + n),
            nature="enterprise",
            city_code="440100",
            county_code="440103",
            address="示范路1号",
            contact_name="联系人",
            contact_phone="020-12345678",
            contact_email=f"pending{n}@example.com",
            verification_state=VerificationState.PENDING,
            verification_requested_at=now,
        )
        for n in range(count)
    )
    OrganisationClaim.objects.bulk_create(
        OrganisationClaim(
            organisation=organisation,
            organisation_name=organisation.name,
            claimant_name="认领人",
            claimant_email=f"claimant{organisation.pk}@example.com",
            claimant_phone="13900000000",
            statement="该代码为本单位所有。",
        )
        for organisation in organisations
    )
    return organisations


@pytest.mark.parametrize("url_name", ["accounts:verification_list", "accounts:claim_list"])
def test_the_queues_read_as_many_queries_for_1000_rows_as_for_1(client, url_name):
    login_verified(client, factories.CityOfficerFactory(city_code="440100"))
    url = reverse(url_name)
    counts = []
    for rows in (1, 1000):
        OrganisationClaim.objects.all().delete()
        Organisation.objects.all().delete()
        pending_organisations(rows)
        client.get(url)  # the first request of a session fills per-user caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert f"共 {rows} 条" in response.content.decode()
        counts.append(len(queries))
    assert_flat(*counts)


# Submission


@pytest.fixture
def filled_application(pending):
    admin = admin_of(pending)
    batch = factories.BatchFactory()
    application = application_services.start_application(actor=admin, batch=batch, category="enterprise")
    application_services.save_answers(
        actor=admin,
        application=application,
        base_version=application.version,
        values=complete_answers(application.form),
    )
    application.refresh_from_db()
    evidence = next(form_field for form_field in application.form.fields() if form_field.attachments)
    application_services.add_attachment(
        actor=admin,
        application=application,
        field_key=evidence.key,
        uploaded=scan("佐证材料.pdf"),
        title="佐证材料",
    )
    return application


def test_an_unverified_organisation_fills_in_but_cannot_submit(client, filled_application, pending):
    admin = admin_of(pending)
    with pytest.raises(ApplicationError, match="尚未通过核验"):
        application_services.submit_application(actor=admin, application=filled_application)
    client.force_login(admin)
    page = client.get(reverse("applications:submit", kwargs={"pk": filled_application.pk})).content.decode()
    assert "本单位尚未通过核验" in page
    assert reverse("accounts:own_verification") in page
    assert client.post(reverse("applications:submit", kwargs={"pk": filled_application.pk})).status_code in {
        200,
        302,
        403,
    }
    filled_application.refresh_from_db()
    assert filled_application.state == ApplicationState.DRAFT

    verification.decide_verification(
        actor=factories.CityOfficerFactory(city_code="440100"), organisation=pending, decision="verify"
    )
    filled_application.refresh_from_db()
    application_services.submit_application(actor=admin, application=filled_application)
    filled_application.refresh_from_db()
    assert filled_application.state == ApplicationState.SUBMITTED


# Claims


def claim_data(**overrides):
    data = {
        "credit_code": "91440101MA5CJQ4N59",
        "organisation_name": "广州示范制造有限公司",
        "claimant_name": "李真",
        "claimant_email": "li@real.example.com",
        "claimant_phone": "13900000000",
        "statement": "该代码为本单位所有，注册人并非本单位员工。",
        "licence": scan("营业执照.pdf"),
        "authorisation": scan("授权书.pdf"),
    }
    return {**data, **overrides}


def file(**overrides) -> OrganisationClaim:
    data = claim_data(**overrides)
    return verification.file_claim(**data)


def test_the_registration_form_on_a_taken_code_links_to_the_claim(client, unverified):
    response = client.post(reverse("accounts:register"), registration_data(admin_email="late@example.com"))
    page = response.content.decode()
    assert "已由“广州示范制造有限公司”注册" in page
    assert f"{reverse('accounts:claim_create')}?credit_code=91440101MA5CJQ4N59" in page
    check = client.get(reverse("accounts:credit_code_check"), {"credit_code": "91440101MA5CJQ4N59"})
    assert reverse("accounts:claim_create") in check.content.decode()


def test_a_claim_is_filed_through_the_page(
    client, unverified, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("accounts:claim_create")
    page = client.get(url, {"credit_code": "91440101MA5CJQ4N59"}).content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**claim_data(), "captcha_0": key, "captcha_1": answer})
    assert response.status_code == 302
    claim = OrganisationClaim.objects.get()
    assert claim.organisation == unverified.organisation
    assert claim.state == ClaimState.OPEN
    assert {document.kind for document in claim.documents.all()} == {"licence", "authorisation"}
    assert any("li@real.example.com" in mail.to for mail in mailoutbox)
    assert AuditEvent.objects.filter(action="organisation.claim_filed", actor=None).exists()


def test_a_claim_with_an_exe_licence_is_refused_beside_the_field(client, unverified):
    url = reverse("accounts:claim_create")
    page = client.get(url).content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    response = client.post(
        url, {**claim_data(licence=scan("营业执照.pdf", EXE)), "captcha_0": key, "captcha_1": answer}
    )
    assert response.status_code == 200
    assert "内容不是 PDF" in response.content.decode()
    assert not OrganisationClaim.objects.exists()


def test_a_claim_is_filed_with_the_text_question_and_a_used_challenge_is_not_shown_again(client, unverified):
    """The claim form offers the question in words too; its page (?captcha=text) keeps the credit
    code. A claim refused by the service once its CAPTCHA passed (a code nobody registered) comes
    back with a fresh challenge and an empty answer box: the one answered is used up."""
    url = reverse("accounts:claim_create")
    page = client.get(url).content.decode()
    assert "看不清？改用文字题" in page
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    nobody = factories.credit_code_for("440100", 999)
    refused = client.post(url, {**claim_data(credit_code=nobody), "captcha_0": key, "captcha_1": answer})
    assert "尚未注册" in refused.content.decode()
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    answer_box = re.search(r'<input[^>]*name="captcha_1"[^>]*>', refused.content.decode())[0]
    assert "value=" not in answer_box, answer_box

    page = client.get(url, {"credit_code": "91440101MA5CJQ4N59", "captcha": "text"}).content.decode()
    assert 'value="91440101MA5CJQ4N59"' in page
    key, _question, answer = text_question_in(page)
    response = client.post(
        url, {**claim_data(), "captcha_0": key, "captcha_1": answer, "captcha_variant": "text"}
    )
    assert response.status_code == 302
    assert OrganisationClaim.objects.get().organisation == unverified.organisation


def test_a_code_nobody_registered_cannot_be_claimed(db):
    with pytest.raises(AccountError, match="尚未注册"):
        file()


def test_a_claim_upheld_moves_the_administration_and_the_members_before_lose_access(
    client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    squatter = admin_of(pending)
    member = factories.MembershipFactory(organisation=pending).user
    claim = file()
    officer = factories.CityOfficerFactory(city_code="440100")
    with django_capture_on_commit_callbacks(execute=True):
        verification.decide_claim(
            actor=officer, claim=claim, uphold=True, reason="经电话核实，原注册人未获授权"
        )
    claim.refresh_from_db()
    pending.refresh_from_db()
    assert claim.state == ClaimState.UPHELD
    new_admin = claim.claimant
    assert new_admin.email == "li@real.example.com"
    assert Membership.objects.get(organisation=pending).user == new_admin
    assert Membership.objects.get(organisation=pending).is_admin
    assert new_admin.email_verified
    assert not new_admin.has_usable_password()
    for before in (squatter, member):
        before.refresh_from_db()
        assert not before.is_active
        assert not Membership.objects.filter(user=before).exists()
    assert pending.verification_state == VerificationState.VERIFIED
    assert (pending.contact_name, pending.contact_email) == ("李真", "li@real.example.com")
    event = AuditEvent.objects.get(action="organisation.claim_upheld")
    assert event.actor == officer
    assert {m["email"] for m in event.before["members"]} == {squatter.email, member.email}
    # Both sides are told: the claimant with a link to set a password, the members before.
    claimant_mail = next(
        mail for mail in mailoutbox if mail.to == ["li@real.example.com"] and "已获支持" in mail.subject
    )
    assert "/password/reset/" in claimant_mail.body
    assert any(squatter.email in mail.to and "不再是" in mail.subject for mail in mailoutbox)
    # The squatter's session is over: an inactive account is logged out.
    client.force_login(new_admin)
    assert client.get(reverse("accounts:own_organisation")).status_code == 200


def test_an_upheld_claim_gives_the_organisation_its_licence_name_papers_and_one_owner(
    client, pending, django_capture_on_commit_callbacks
):
    squatters_licence = verification.current_documents(pending)["licence"]
    claim = file(organisation_name="广州真正制造有限公司")
    rival = file(claimant_email="wang@other.example.com", claimant_name="王另")
    officer = factories.CityOfficerFactory(city_code="440100")
    with django_capture_on_commit_callbacks(execute=True):
        verification.decide_claim(actor=officer, claim=claim, uphold=True, reason="核实属实")
    pending.refresh_from_db()
    claim.refresh_from_db()
    rival.refresh_from_db()
    # The name on the licence the officer checked, not the one the squatter typed.
    assert pending.name == "广州真正制造有限公司"
    event = AuditEvent.objects.get(action="organisation.claim_upheld")
    assert (event.before["name"], event.after["name"]) == ("广州示范制造有限公司", "广州真正制造有限公司")
    # The claim's scans are the organisation's proof now; the squatter's are not shown to the new owner.
    assert {d.claim_id for d in verification.current_documents(pending).values()} == {claim.pk}
    client.force_login(claim.claimant)
    url = reverse("accounts:verification_document", kwargs={"pk": squatters_licence.pk})
    assert client.get(url).status_code == 404
    # One code, one owner: the other open claim ends, and cannot shut out the new administrator.
    assert rival.state == ClaimState.REJECTED
    assert "另一认领申请已获支持" in rival.decision_reason
    with pytest.raises(AccountError):
        verification.decide_claim(actor=officer, claim=rival, uphold=True, reason="再议")


def test_a_claim_rejected_leaves_the_organisation_as_it_was(
    client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    squatter = admin_of(pending)
    claim = file()
    officer = factories.CityOfficerFactory(city_code="440100")
    login_verified(client, officer)
    url = reverse("accounts:claim_detail", kwargs={"pk": claim.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "reject", "reason": "认领材料与执照不符"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    assert claim.decision_reason == "认领材料与执照不符"
    assert Membership.objects.get(organisation=pending, is_admin=True).user == squatter
    assert not User.objects.filter(email="li@real.example.com").exists()
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.PENDING
    assert AuditEvent.objects.filter(action="organisation.claim_rejected", actor=officer).exists()
    assert any(mail.to == ["li@real.example.com"] and "未获支持" in mail.subject for mail in mailoutbox)
    # Decided once.
    with pytest.raises(AccountError, match="已驳回"):
        verification.decide_claim(actor=officer, claim=claim, uphold=True, reason="再议")


def test_claims_are_decided_by_the_officer_of_the_organisations_city_only(client, pending):
    claim = file()
    url = reverse("accounts:claim_detail", kwargs={"pk": claim.pk})
    login_verified(client, factories.CityOfficerFactory(city_code="440300"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "uphold", "reason": "x"}).status_code == 404
    client.force_login(admin_of(pending))
    assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "uphold", "reason": "x"}).status_code == 403
    claim.refresh_from_db()
    assert claim.state == ClaimState.OPEN
    login_verified(client, factories.ProvinceOfficerFactory())
    assert client.get(url).status_code == 200


def test_a_verified_organisations_claim_warns_the_officer(client, pending):
    officer = factories.CityOfficerFactory(city_code="440100")
    verification.decide_verification(actor=officer, organisation=pending, decision="verify")
    claim = file()
    login_verified(client, officer)
    page = client.get(reverse("accounts:claim_detail", kwargs={"pk": claim.pk})).content.decode()
    assert 'data-testid="verified-warning"' in page
    assert "被认领的单位已通过核验" in page


def test_one_open_claim_per_claimant_and_no_address_already_in_use(pending):
    file()
    with pytest.raises(AccountError, match="请勿重复提交"):
        file()
    with pytest.raises(AccountError, match="已是本系统的账号"):
        file(claimant_email=admin_of(pending).email)


def test_a_claims_documents_are_shown_to_the_citys_officer_and_the_province_only(client, pending):
    document = file().documents.get(kind=DocumentKind.LICENCE)
    url = reverse("accounts:verification_document", kwargs={"pk": document.pk})
    readers = {
        factories.CityOfficerFactory(city_code="440100"): 200,
        factories.ProvinceOfficerFactory(): 200,
        # The members of the organisation claimed do not read what the claimant sent.
        admin_of(pending): 404,
        factories.CityOfficerFactory(city_code="440300"): 404,
    }
    for reader, status in readers.items():
        login_verified(client, reader)
        response = client.get(url)
        assert response.status_code == status, reader
        if status == 200:
            assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_verification_pages_in_english(client, pending):
    def english(url):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return response.content.decode()

    client.force_login(admin_of(pending))
    page = english(reverse("accounts:own_verification"))
    assert "Documents handed in" in page
    assert "Awaiting verification" in page
    assert "已提交的材料" not in page
    login_verified(client, factories.CityOfficerFactory(city_code="440100"))
    page = english(reverse("accounts:verification_detail", kwargs={"pk": pending.pk}))
    assert "Business licence and authorisation letter" in page
    assert "Send the result" in page
    assert "Verification, " in english(reverse("accounts:verification_list"))
    client.logout()
    page = english(reverse("accounts:claim_create"))
    assert "File a claim" in page
    assert "认领单位" not in page


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (VerificationState.PENDING, "待核验"),
        (VerificationState.RETURNED, "退回补正"),
        (VerificationState.REFUSED, "不予核验"),
        (VerificationState.VERIFIED, None),
    ],
)
def test_the_applicants_home_says_the_organisation_is_not_verified_yet(
    client, organisation, applicant_admin, state, shown
):
    organisation.verification_state = state
    organisation.save(update_fields=["verification_state"])
    client.force_login(applicant_admin)
    page = client.get(reverse("home")).content.decode()
    banner = re.search(r'data-testid="verification-banner">(.*?)</div>', page, re.S)
    if shown is None:
        assert banner is None
        return
    assert banner is not None
    assert shown in banner.group(1)
    assert "核验通过前可以填写申报书，但不能提交。" in banner.group(1)
    assert reverse("accounts:own_verification") in banner.group(1)
