"""The permission matrix: every role against every page and object URL that exists.

A new URL pattern fails `test_matrix_covers_every_url` until its row is added here, so the
matrix grows with every capability. Answers: 200 (or 302 after an allowed POST), 302 to the
login page for anonymous visitors, 403 for a role that may not use the page, 404 for an
object outside the reader's row.
"""

from datetime import date, timedelta

import pytest
from captcha.models import CaptchaStore
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from shifan.accounts.models import Role
from shifan.accounts.services import email_verification_token
from shifan.applications.sealed_scans import upload_sealed_scan
from shifan.core.middleware import cache_directives
from shifan.core.models import Notice
from shifan.documents.models import ExportJob, ExportState
from shifan.expert_review.models import Assignment, AssignmentState, ProposedList
from shifan.publicity.models import (
    Announcement,
    CalendarOverride,
    DayKind,
    DemonstrationUnit,
    Inquiry,
    NoticeEntry,
    Objection,
    ObjectionEvidence,
)
from shifan.publicity.models import Notice as Notice_
from shifan.reviews.models import FormalReview
from tests import factories
from tests.helpers import login_verified

ROLES = [
    "anonymous",
    "admin",
    "member",
    "other_admin",
    "city",
    "other_city",
    "province",
    "expert",
    "other_expert",
]


@pytest.fixture
def world(db):
    return build_world()


def build_world():
    """Two organisations in two cities, and one person of every role.

    A plain function, so that the browser's accessibility audit (tests/browser/test_accessibility.py)
    visits the matrix's pages in the same world.
    """
    organisation = factories.OrganisationFactory(city_code="440100")
    other_organisation = factories.OrganisationFactory(city_code="440300")
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    member_membership = factories.MembershipFactory(organisation=organisation)
    other_admin = factories.MembershipFactory(organisation=other_organisation, is_admin=True).user
    expert_profile = factories.ExpertProfileFactory()
    other_expert_profile = factories.ExpertProfileFactory()
    city = factories.CityOfficerFactory(city_code="440100")
    batch = factories.BatchFactory()
    draft = factories.ApplicationFactory(batch=batch, organisation=organisation, created_by=admin)
    draft_file = factories.attachment(draft)
    sent = factories.ApplicationFactory(
        batch=batch, organisation=organisation, category="platform", created_by=admin
    )
    sent_file = factories.attachment(sent, field_key="overview")
    factories.submitted(sent)
    sent_scan = upload_sealed_scan(
        actor=admin, application=sent, uploaded=SimpleUploadedFile("盖章页.pdf", b"%PDF-1.4\n%scan\n")
    )
    reviewed = factories.ApplicationFactory(
        batch=batch, organisation=factories.OrganisationFactory(city_code="440600")
    )
    reviewed_file = factories.attachment(reviewed)
    factories.submitted(reviewed)
    reviewed.state = "in_review"
    reviewed.save(update_fields=["state"])
    # Accepted before the review: its acceptance receipt exists.
    FormalReview.objects.create(application=reviewed, decision="accepted", decided_by=city)
    assignment = Assignment.objects.create(
        batch=batch,
        application=reviewed,
        expert=expert_profile.user,
        state=AssignmentState.PUBLISHED,
        published_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    publicity = _publicity_world(organisation, admin)
    cases = _cases_world(publicity["unit"])
    tracking = _tracking_world(organisation, admin, publicity["announcement"])
    similarity = _similarity_world(batch, sent, reviewed)
    return {
        **publicity,
        **cases,
        **tracking,
        **similarity,
        "reviewed": reviewed,
        "reviewed_file": reviewed_file,
        "assignment": assignment,
        "users": {
            "anonymous": None,
            "admin": admin,
            "member": member_membership.user,
            "other_admin": other_admin,
            "city": city,
            "other_city": factories.CityOfficerFactory(city_code="440300"),
            "province": factories.ProvinceOfficerFactory(),
            "expert": expert_profile.user,
            "other_expert": other_expert_profile.user,
        },
        "organisation": organisation,
        "member_membership": member_membership,
        "invitation": factories.InvitationFactory(organisation=organisation, invited_by=admin),
        "conflict": factories.DeclaredConflictFactory(expert=expert_profile),
        "past_employment": factories.PastEmploymentFactory(expert=expert_profile),
        "city_officer": city,
        "batch": batch,
        "draft": draft,
        "draft_file": draft_file,
        "sent": sent,
        "sent_file": sent_file,
        "sent_scan": sent_scan,
        "notice": Notice.objects.create(recipient=admin, title="测试通知", url="/"),
        "failed_task": _failed_mail(),
        "letter": factories.city_letter(batch, "440100"),
        "export_job": _export_job(city, batch),
        "calendar_override": CalendarOverride.objects.create(
            day=date(2027, 1, 1), kind=DayKind.HOLIDAY, created_by=factories.ProvinceOfficerFactory()
        ),
    }


def _failed_mail():
    """A mail the worker could not send (the SMTP server refused the connection)."""
    return DBTaskResult.objects.create(
        task_path="shifan.core.mail.deliver_mail",
        args_kwargs={"args": [], "kwargs": {"subject": "测试通知", "body": "", "to": ["a@example.com"]}},
        backend_name="default",
        run_after=get_date_max(),
        status="FAILED",
        finished_at=timezone.now(),
        worker_ids=["worker"],
        exception_class_path="ConnectionRefusedError",
        traceback="ConnectionRefusedError: [Errno 111] Connection refused\n",
    )


def _organisation_change(world):
    """A pending request of organisation A's administrator to move it to 深圳."""
    from shifan.accounts.models import OrganisationChange

    change, _created = OrganisationChange.objects.get_or_create(
        organisation=world["organisation"],
        state="pending",
        defaults={
            "before": {"city_code": "440100"},
            "after": {"city_code": "440300"},
            "reason": "迁址",
            "requested_by": world["users"]["admin"],
        },
    )
    return change


def _verification(world):
    """Organisation A's licence scan and an open claim on its code, with the claim's own scans."""
    from shifan.accounts import verification
    from shifan.accounts.models import DocumentKind, OrganisationClaim, VerificationDocument

    organisation = world["organisation"]
    document = VerificationDocument.objects.filter(organisation=organisation, claim=None).first()
    if document is None:
        document = VerificationDocument(
            organisation=organisation,
            kind=DocumentKind.LICENCE,
            original_name="营业执照.pdf",
            sha256="1" * 64,
            size=9,
            content_type="application/pdf",
            uploaded_by=world["users"]["admin"],
        )
        document.file.save("licence", ContentFile(b"%PDF-1.4\n"), save=False)
        document.save()
    claim = OrganisationClaim.objects.filter(organisation=organisation).first() or verification.file_claim(
        credit_code=organisation.credit_code,
        organisation_name=organisation.name,
        claimant_name="李真",
        claimant_email="claimant@example.com",
        claimant_phone="13900000000",
        statement="该代码为本单位所有。",
        licence=SimpleUploadedFile("营业执照.pdf", b"%PDF-1.4\n%claim\n"),
        authorisation=SimpleUploadedFile("授权书.pdf", b"%PDF-1.4\n%claim\n"),
    )
    return {"document": document, "claim": claim}


def _export_job(officer, batch):
    """The city officer's finished export of his city's books."""
    job = ExportJob.objects.create(
        requested_by=officer,
        batch=batch,
        city_code=officer.city_code,
        state=ExportState.DONE,
        total=1,
        done=1,
    )
    job.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=True)
    return job


def _publicity_world(organisation, admin):
    """A notice open today with one objection and two inquiries; a batch announced; one awaiting notice."""
    province = factories.ProvinceOfficerFactory()
    batch = factories.BatchFactory()
    listed = factories.ApplicationFactory(
        batch=batch, organisation=organisation, category="platform", created_by=admin, state="in_notice"
    )
    today = timezone.localdate()
    notice = Notice_.objects.create(
        batch=batch,
        title="拟认定名单公示",
        starts_on=today,
        working_days=7,
        ends_on=today + timedelta(days=9),
        contact_office="生产服务业处",
        contact_phone="020-83133333",
        state="open",
        published_by=province,
    )
    entry = NoticeEntry.objects.create(
        notice=notice,
        application=listed,
        category="platform",
        category_name="示范平台",
        position=1,
        unit_name=organisation.name,
        city_code="440100",
        city_name="广州市",
    )
    objection = Objection.objects.create(
        notice=notice,
        entry=entry,
        reference="YY2024-TEST-0001",
        objector_kind="person",
        name="张明",
        phone="13800138000",
        grounds="申报数据与实际情况不符。",
    )
    evidence = ObjectionEvidence(
        objection=objection, original_name="证明.pdf", content_type="application/pdf", size=9, sha256="0" * 64
    )
    evidence.file.save("evidence", ContentFile(b"%PDF-1.4\n"), save=False)
    evidence.save()
    unit_inquiry = Inquiry.objects.create(
        objection=objection, addressee="unit", question="请说明。", asked_by=province
    )
    city_inquiry = Inquiry.objects.create(
        objection=objection, addressee="city", question="请核实。", asked_by=province
    )
    announced_batch = factories.BatchFactory(application_year=2022)
    announced_notice = Notice_.objects.create(
        batch=announced_batch,
        title="2022年公示",
        starts_on=date(2022, 11, 1),
        working_days=7,
        ends_on=date(2022, 11, 9),
        contact_office="处室",
        contact_phone="020-83133333",
        state="closed",
        published_by=province,
    )
    announcement = Announcement.objects.create(
        batch=announced_batch,
        notice=announced_notice,
        number="粤工信融合函〔2022〕1号",
        title="认定通告",
        issued_on=date(2022, 11, 20),
        body="特此通告。",
        published_by=province,
    )
    recognised = factories.ApplicationFactory(batch=announced_batch, state="recognised")
    unit = DemonstrationUnit.objects.create(
        announcement=announcement,
        application=recognised,
        organisation=recognised.organisation,
        category="enterprise",
        category_name="示范企业",
        position=1,
        unit_name=recognised.organisation.name,
        city_code=recognised.organisation.city_code,
        city_name="广州市",
        valid_from=date(2022, 11, 20),
        valid_until=date(2025, 11, 19),
    )
    awaiting = factories.BatchFactory(application_year=2026)
    ProposedList.objects.create(batch=awaiting, fixed_at=timezone.now(), fixed_by=province)
    return {
        "public_notice": notice,
        "objection": objection,
        "evidence": evidence,
        "unit_inquiry": unit_inquiry,
        "city_inquiry": city_inquiry,
        "announcement": announcement,
        "unit": unit,
        "awaiting_batch": awaiting,
        "received_token": signing.dumps(objection.reference, salt="publicity.objection_received"),
        "captcha_key": CaptchaStore.generate_key(),
    }


def _cases_world(unit):
    """Issue 9: a published typical case with a picture and a draft, on the announced unit."""
    from shifan.cases import services as cases
    from tests.cases.conftest import CASE_TEXT, upload

    province = factories.ProvinceOfficerFactory()
    published = cases.create_case(actor=province, unit=unit, **CASE_TEXT)
    picture = cases.add_picture(actor=province, case=published, uploaded=upload(), caption="车间")
    cases.publish_case(actor=province, case=published)
    draft = cases.create_case(actor=province, unit=unit, **{**CASE_TEXT, "title": "草稿案例"})
    return {"published_case": published, "case_picture": picture, "draft_case": draft}


def _similarity_world(batch, sent, reviewed):
    """Issue 26: a pair of two 广州 applications, and one of 广州 and 江门 (the expert's)."""
    from shifan.similarity.models import SimilarPair

    copy = factories.ApplicationFactory(
        batch=batch, organisation=factories.OrganisationFactory(city_code="440100")
    )
    factories.submitted(copy)
    now = timezone.now()
    local = SimilarPair.objects.create(
        application=copy, other_application=sent, batch=batch, other_batch=batch, score=0.8, found_at=now
    )
    across = SimilarPair.objects.create(
        application=reviewed,
        other_application=sent,
        batch=batch,
        other_batch=batch,
        score=0.5,
        cross_city=True,
        found_at=now,
    )
    return {"local_pair": local, "cross_city_pair": across}


def _tracking_world(organisation, admin, announcement):
    """Issue 9: a round open for two units of 广州, one of them the organisation's, with a file."""
    from django.core.files.uploadedfile import SimpleUploadedFile as Upload

    from shifan.tracking import services as tracking

    application = factories.ApplicationFactory(
        batch=announcement.batch, organisation=organisation, state="recognised", created_by=admin
    )
    unit = DemonstrationUnit.objects.create(
        announcement=announcement,
        application=application,
        organisation=organisation,
        category="enterprise",
        category_name="示范企业",
        position=2,
        unit_name=organisation.name,
        city_code="440100",
        city_name="广州市",
        valid_from=date(2022, 11, 20),
        valid_until=date(2025, 11, 19),
    )
    round_ = tracking.open_round(
        actor=factories.ProvinceOfficerFactory(),
        title="年度运行情况报告",
        year=2025,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    report = round_.reports.get(unit=unit)
    report_file = tracking.add_report_attachment(
        actor=admin, report=report, field_key="documents", uploaded=Upload("报表.pdf", b"%PDF-1.4\n%report\n")
    )
    return {"tracking_round": round_, "tracking_report": report, "tracking_file": report_file}


def expect(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES}


APPLICANTS_ONLY = {"city": 403, "other_city": 403, "province": 403, "expert": 403, "other_expert": 403}
OFFICERS_ONLY = {"admin": 403, "member": 403, "other_admin": 403, "expert": 403, "other_expert": 403}
PROVINCE_ONLY = expect(403, anonymous=302, province=200)
APPLICANTS_OF_A = {"other_admin": 404, **APPLICANTS_ONLY}
READERS_OF_A = {"other_admin": 404, "other_city": 404, "expert": 403, "other_expert": 403}
EXPERT_ONLY = expect(403, anonymous=302, expert=200, other_expert=200)
ASSIGNED_EXPERT_ONLY = expect(403, anonymous=302, expert=200, other_expert=404)

# name, method, kwargs (from the world), expected answers by role
MATRIX = [
    ("home", "get", None, expect(200)),
    # Issue 23: the load balancer's and the monitoring's checks, for anyone, without a session.
    ("healthz", "get", None, expect(200)),
    ("readyz", "get", None, expect(200)),
    # Prometheus' figures: a bare 404 for everyone until SHIFAN_METRICS_TOKEN (or the allowed
    # addresses) is set, and then only with the token (tests/core/test_metrics.py).
    ("metrics", "get", None, expect(404)),
    ("set_language", "post", None, expect(302)),
    ("accounts:login", "get", None, expect(302, anonymous=200)),
    ("accounts:logout", "post", None, expect(302)),
    ("accounts:register", "get", None, expect(302, anonymous=200)),
    # Single sign-on: no provider is configured here, so every address of one is a 404; with the
    # local provider, tests/accounts/test_sso.py (test_sso_pages_by_role).
    ("accounts:sso_login", "get", lambda w: {"key": "dev"}, expect(404)),
    ("accounts:sso_callback", "get", lambda w: {"key": "dev"}, expect(404)),
    ("accounts:sso_register", "get", lambda w: {"key": "dev"}, expect(404)),
    ("accounts:sso_claim", "get", lambda w: {"key": "dev"}, expect(404)),
    ("accounts:sso_backchannel_logout", "post", lambda w: {"key": "dev"}, expect(404)),
    ("accounts:credit_code_check", "get", None, expect(200)),
    ("accounts:password_change", "get", None, expect(200, anonymous=302)),
    ("accounts:password_reset", "get", None, expect(200)),
    ("accounts:password_reset_done", "get", None, expect(200)),
    ("accounts:password_reset_confirm", "get", lambda w: {"uidb64": "MQ", "token": "bad-token"}, expect(200)),
    ("accounts:password_reset_complete", "get", None, expect(200)),
    ("accounts:two_factor_setup", "get", None, expect(200, anonymous=302)),
    ("accounts:two_factor_verify", "get", None, expect(200, anonymous=302)),
    (
        "accounts:recovery_codes",
        "get",
        None,
        expect(200, anonymous=302, admin=403, member=403, other_admin=403),
    ),
    # Each officer or expert reads the own account's failed logins; there is no id to try.
    (
        "accounts:login_failures",
        "get",
        None,
        expect(200, anonymous=302, admin=403, member=403, other_admin=403),
    ),
    ("accounts:invitation_accept", "get", lambda w: {"token": w["invitation"].token}, expect(200)),
    # Registration, the mailed link, claims: public pages; the link of an address already proven
    # opens for anyone, and a logged-in account whose address is proven is sent home.
    ("accounts:registration_sent", "get", None, expect(200)),
    (
        "accounts:email_verify",
        "get",
        lambda w: {"token": email_verification_token(w["users"]["admin"])},
        expect(200),
    ),
    ("accounts:email_unverified", "get", None, expect(302)),
    ("accounts:claim_create", "get", None, expect(200)),
    ("accounts:claim_sent", "get", None, expect(200)),
    ("accounts:own_verification", "get", None, expect(200, anonymous=302, **APPLICANTS_ONLY)),
    ("accounts:verification_list", "get", None, expect(200, anonymous=302, **OFFICERS_ONLY)),
    (
        "accounts:verification_detail",
        "get",
        lambda w: {"pk": w["organisation"].pk},
        expect(200, anonymous=302, other_city=404, **OFFICERS_ONLY),
    ),
    (
        "accounts:verification_document",
        "get",
        lambda w: {"pk": _verification(w)["document"].pk},
        expect(200, anonymous=302, other_admin=404, other_city=404, expert=404, other_expert=404),
    ),
    ("accounts:claim_list", "get", None, expect(200, anonymous=302, **OFFICERS_ONLY)),
    (
        "accounts:claim_detail",
        "get",
        lambda w: {"pk": _verification(w)["claim"].pk},
        expect(200, anonymous=302, other_city=404, **OFFICERS_ONLY),
    ),
    ("accounts:own_organisation", "get", None, expect(200, anonymous=302, **APPLICANTS_ONLY)),
    (
        "accounts:own_organisation_edit",
        "get",
        None,
        expect(200, anonymous=302, member=403, **APPLICANTS_ONLY),
    ),
    (
        "accounts:member_remove",
        "get",
        lambda w: {"pk": w["member_membership"].pk},
        expect(200, anonymous=302, member=403, other_admin=404, **APPLICANTS_ONLY),
    ),
    (
        "accounts:member_make_admin",
        "post",
        lambda w: {"pk": w["member_membership"].pk},
        expect(302, member=403, other_admin=404, **APPLICANTS_ONLY),
    ),
    (
        "accounts:invitation_revoke",
        "post",
        lambda w: {"pk": w["invitation"].pk},
        expect(302, member=403, other_admin=404, **APPLICANTS_ONLY),
    ),
    ("accounts:organisation_list", "get", None, expect(200, anonymous=302, **OFFICERS_ONLY)),
    (
        "accounts:organisation_detail",
        "get",
        lambda w: {"pk": w["organisation"].pk},
        expect(200, anonymous=302, other_city=404, **OFFICERS_ONLY),
    ),
    (
        "accounts:organisation_region",
        "post",
        lambda w: {"pk": w["organisation"].pk},
        expect(403, anonymous=302, province=200),
    ),
    ("accounts:account_list", "get", None, PROVINCE_ONLY),
    ("accounts:officer_create", "get", None, PROVINCE_ONLY),
    ("accounts:expert_create", "get", None, PROVINCE_ONLY),
    ("accounts:account_detail", "get", lambda w: {"pk": w["city_officer"].pk}, PROVINCE_ONLY),
    ("accounts:audit_list", "get", None, PROVINCE_ONLY),
    ("accounts:organisation_change_list", "get", None, PROVINCE_ONLY),
    (
        "accounts:organisation_change",
        "get",
        lambda w: {"pk": _organisation_change(w).pk},
        PROVINCE_ONLY,
    ),
    ("accounts:expert_edit", "get", lambda w: {"pk": w["users"]["expert"].pk}, PROVINCE_ONLY),
    (
        "accounts:expert_past_employment_add",
        "post",
        lambda w: {"pk": w["users"]["expert"].pk},
        PROVINCE_ONLY,
    ),
    (
        "accounts:expert_past_employment_remove",
        "post",
        lambda w: {"pk": w["users"]["expert"].pk, "employment_pk": w["past_employment"].pk},
        expect(403, anonymous=302, province=302),
    ),
    ("accounts:expert_import", "get", None, PROVINCE_ONLY),
    ("accounts:expert_import_confirm", "post", None, expect(403, anonymous=302, province=302)),
    ("accounts:expert_import_template", "get", None, PROVINCE_ONLY),
    ("accounts:expert_profile", "get", None, EXPERT_ONLY),
    ("accounts:conflict_declare", "post", None, EXPERT_ONLY),
    (
        "accounts:conflict_withdraw",
        "post",
        lambda w: {"pk": w["conflict"].pk},
        expect(403, anonymous=302, expert=302, other_expert=404),
    ),
    ("accounts:past_employment_add", "post", None, EXPERT_ONLY),
    (
        "accounts:past_employment_remove",
        "post",
        lambda w: {"pk": w["past_employment"].pk},
        expect(403, anonymous=302, expert=302, other_expert=404),
    ),
    ("notices", "get", None, expect(200, anonymous=302)),
    ("notice_open", "post", lambda w: {"pk": w["notice"].pk}, expect(404, anonymous=302, admin=302)),
    # Issue 23: failed background tasks and mails, retried by the province only.
    ("failed_work", "get", None, PROVINCE_ONLY),
    (
        "failed_work_retry",
        "post",
        lambda w: {"pk": w["failed_task"].pk},
        expect(403, anonymous=302, province=302),
    ),
    ("programs:batch_list", "get", None, expect(200)),
    ("programs:batch_create", "get", None, PROVINCE_ONLY),
    ("programs:batch_detail", "get", lambda w: {"pk": w["batch"].pk}, expect(200)),
    ("programs:batch_edit", "get", lambda w: {"pk": w["batch"].pk}, PROVINCE_ONLY),
    ("applications:list", "get", None, expect(200, anonymous=302, **APPLICANTS_ONLY)),
    ("applications:start", "post", None, expect(404, anonymous=302, **APPLICANTS_ONLY)),
    (
        "applications:detail",
        "get",
        lambda w: {"pk": w["sent"].pk},
        expect(200, anonymous=302, city=302, province=302, **READERS_OF_A),
    ),
    (
        "applications:section",
        "get",
        lambda w: {"pk": w["draft"].pk, "section": "basic"},
        expect(200, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:autosave",
        "post",
        lambda w: {"pk": w["draft"].pk},
        expect(400, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:attachment_upload",
        "post",
        lambda w: {"pk": w["draft"].pk},
        expect(404, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:attachment",
        "get",
        lambda w: {"pk": w["sent"].pk, "attachment_pk": w["sent_file"].pk},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    (
        "applications:attachment_remove",
        "post",
        lambda w: {"pk": w["draft"].pk, "attachment_pk": w["draft_file"].pk},
        expect(200, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:revisions",
        "get",
        lambda w: {"pk": w["draft"].pk},
        expect(200, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:revision_restore",
        "post",
        lambda w: {"pk": w["draft"].pk, "version": 0},
        expect(302, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:submit",
        "get",
        lambda w: {"pk": w["draft"].pk},
        expect(200, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:withdraw",
        "post",
        lambda w: {"pk": w["sent"].pk},
        expect(302, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:credit_check",
        "post",
        lambda w: {"pk": w["sent"].pk},
        expect(403, anonymous=302, city=302, province=302, other_city=404),
    ),
    # Judging a needs-judgment item: the city of the applicant, and the experts assigned to it.
    (
        "applications:judgment",
        "post",
        lambda w: {"pk": w["sent"].pk},
        expect(403, anonymous=302, city=302, other_city=404, expert=404, other_expert=404),
    ),
    ("applications:batch_eligibility", "get", lambda w: {"pk": w["batch"].pk}, PROVINCE_ONLY),
    ("reviews:queue", "get", None, expect(403, anonymous=302, city=200, other_city=200, province=200)),
    (
        "reviews:application",
        "get",
        lambda w: {"pk": w["sent"].pk},
        expect(403, anonymous=302, city=200, other_city=404, province=200),
    ),
    # The acceptance receipt of another city's accepted application: the province's to read.
    (
        "reviews:receipt",
        "get",
        lambda w: {"pk": w["reviewed"].pk},
        expect(404, anonymous=302, province=200, expert=403, other_expert=403),
    ),
    (
        "reviews:decide",
        "post",
        lambda w: {"pk": w["sent"].pk, "action": "decline"},
        expect(403, anonymous=302, city=302, other_city=404, province=302),
    ),
    (
        "reviews:city_recommendations",
        "get",
        lambda w: {"batch_pk": w["batch"].pk},
        expect(403, anonymous=302, city=200, other_city=200),
    ),
    (
        "reviews:summary_export",
        "get",
        lambda w: {"batch_pk": w["batch"].pk},
        expect(403, anonymous=302, city=200, other_city=200, province=404),
    ),
    (
        "reviews:letter",
        "get",
        lambda w: {"batch_pk": w["batch"].pk, "city_code": "440100"},
        expect(403, anonymous=302, city=200, other_city=404, province=200),
    ),
    ("reviews:progress", "get", lambda w: {"batch_pk": w["batch"].pk}, PROVINCE_ONLY),
    (
        "applications:snapshot",
        "get",
        lambda w: {"pk": w["sent"].pk, "sequence": 1},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    ("expert_review:my_assignments", "get", None, EXPERT_ONLY),
    ("expert_review:assignment", "get", lambda w: {"pk": w["assignment"].pk}, ASSIGNED_EXPERT_ONLY),
    ("expert_review:conflict_check", "get", lambda w: {"pk": w["assignment"].pk}, ASSIGNED_EXPERT_ONLY),
    ("expert_review:sheet_pdf", "get", lambda w: {"pk": w["assignment"].pk}, ASSIGNED_EXPERT_ONLY),
    (
        "expert_review:attachment",
        "get",
        lambda w: {"pk": w["assignment"].pk, "attachment_pk": w["reviewed_file"].pk},
        ASSIGNED_EXPERT_ONLY,
    ),
    ("expert_review:current", "get", None, expect(403, anonymous=302, province=302)),
    ("expert_review:assignments", "get", lambda w: {"batch_pk": w["batch"].pk}, PROVINCE_ONLY),
    ("expert_review:replace_expert", "get", lambda w: {"pk": w["assignment"].pk}, PROVINCE_ONLY),
    (
        "expert_review:reopen_scores",
        "post",
        lambda w: {"pk": w["assignment"].pk},
        expect(403, anonymous=302, province=302),
    ),
    ("expert_review:results", "get", lambda w: {"batch_pk": w["batch"].pk}, PROVINCE_ONLY),
    ("expert_review:results_export", "get", lambda w: {"batch_pk": w["batch"].pk}, PROVINCE_ONLY),
    (
        "expert_review:mark_list",
        "post",
        lambda w: {"batch_pk": w["batch"].pk, "category": "enterprise"},
        # The province's refusal (scores not all in) re-renders the page with the reason.
        expect(403, anonymous=302, province=400),
    ),
    (
        "expert_review:fix_list",
        "post",
        lambda w: {"batch_pk": w["batch"].pk},
        expect(403, anonymous=302, province=302),
    ),
    ("expert_review:scores", "get", lambda w: {"pk": w["reviewed"].pk}, PROVINCE_ONLY),
    # The working-day calendar; an empty form is refused with the page and its errors.
    ("publicity:calendar", "get", None, PROVINCE_ONLY),
    ("publicity:calendar_add", "post", None, expect(403, anonymous=302, province=400)),
    ("publicity:calendar_import", "post", None, expect(403, anonymous=302, province=400)),
    ("publicity:calendar_year", "post", None, expect(403, anonymous=302, province=302)),
    (
        "publicity:calendar_remove",
        "post",
        lambda w: {"pk": w["calendar_override"].pk},
        expect(403, anonymous=302, province=302),
    ),
    # Public notice, objections and the announcement: the public pages need no login.
    ("publicity:public_notices", "get", None, expect(200)),
    ("publicity:public_notice", "get", lambda w: {"pk": w["public_notice"].pk}, expect(200)),
    ("publicity:objection_new", "get", lambda w: {"pk": w["public_notice"].pk}, expect(200)),
    ("publicity:objection_received", "get", lambda w: {"token": w["received_token"]}, expect(200)),
    ("publicity:objection_status", "get", None, expect(200)),
    # The objection form's captcha: images for anyone; no audio (no speech synthesiser is
    # installed); a new challenge only for the page's script.
    ("captcha-image", "get", lambda w: {"key": w["captcha_key"]}, expect(200)),
    ("captcha-image-2x", "get", lambda w: {"key": w["captcha_key"]}, expect(404)),  # CAPTCHA_2X_IMAGE off
    ("captcha-audio", "get", lambda w: {"key": w["captcha_key"]}, expect(404)),
    ("captcha-refresh", "get", None, expect(404)),
    ("publicity:public_announcement", "get", lambda w: {"pk": w["announcement"].pk}, expect(200)),
    ("documents:announcement_docx", "get", lambda w: {"pk": w["announcement"].pk}, expect(200)),
    ("documents:announcement_pdf", "get", lambda w: {"pk": w["announcement"].pk}, expect(200)),
    # Issue 8: the 申报书. A submitted version for whoever reads the application; drafts are the applicant's.
    (
        "documents:book_pdf",
        "get",
        lambda w: {"pk": w["sent"].pk, "sequence": 1},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    (
        "documents:book_docx",
        "get",
        lambda w: {"pk": w["sent"].pk, "sequence": 1},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    (
        "documents:draft_pdf",
        "get",
        lambda w: {"pk": w["draft"].pk},
        expect(200, anonymous=302, city=404, province=404, **READERS_OF_A),
    ),
    (
        "documents:draft_docx",
        "get",
        lambda w: {"pk": w["draft"].pk},
        expect(200, anonymous=302, city=404, province=404, **READERS_OF_A),
    ),
    # Issue 8: verification and sealed scans
    ("documents:verify", "get", None, expect(200)),
    (
        "documents:verify_link",
        "get",
        lambda w: {"number": w["sent"].number, "digest": "0" * 12},
        expect(200),
    ),
    # An empty upload is refused beside the field.
    (
        "applications:sealed_scan_upload",
        "post",
        lambda w: {"pk": w["sent"].pk},
        expect(400, anonymous=302, **APPLICANTS_OF_A),
    ),
    (
        "applications:sealed_scan",
        "get",
        lambda w: {"pk": w["sent"].pk, "scan_pk": w["sent_scan"].pk},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    ("publicity:overview", "get", None, PROVINCE_ONLY),
    ("publicity:notice_new", "get", lambda w: {"batch_pk": w["awaiting_batch"].pk}, PROVINCE_ONLY),
    ("publicity:notice", "get", lambda w: {"pk": w["public_notice"].pk}, PROVINCE_ONLY),
    (
        "publicity:notice_cancel",
        "post",
        lambda w: {"pk": w["public_notice"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "publicity:notice_end",
        "post",
        lambda w: {"pk": w["public_notice"].pk},
        expect(403, anonymous=302, province=400),
    ),
    ("publicity:objections_export", "get", lambda w: {"pk": w["public_notice"].pk}, PROVINCE_ONLY),
    ("publicity:announce", "get", lambda w: {"pk": w["public_notice"].pk}, PROVINCE_ONLY),
    ("publicity:objection", "get", lambda w: {"pk": w["objection"].pk}, PROVINCE_ONLY),
    (
        "publicity:objection_evidence",
        "get",
        lambda w: {"pk": w["objection"].pk, "evidence_pk": w["evidence"].pk},
        PROVINCE_ONLY,
    ),
    (
        "publicity:inquire",
        "post",
        lambda w: {"pk": w["objection"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "publicity:findings",
        "post",
        lambda w: {"pk": w["objection"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "publicity:decide",
        "post",
        lambda w: {"pk": w["objection"].pk},
        expect(403, anonymous=302, province=400),
    ),
    ("publicity:units", "get", None, PROVINCE_ONLY),
    ("publicity:unit_national", "get", lambda w: {"pk": w["unit"].pk}, PROVINCE_ONLY),
    (
        "publicity:inquiries",
        "get",
        None,
        expect(200, anonymous=302, province=403, expert=403, other_expert=403),
    ),
    # The unit answers its own inquiry; nobody else sees it, the city included.
    (
        "publicity:inquiry",
        "get",
        lambda w: {"pk": w["unit_inquiry"].pk},
        expect(404, anonymous=302, admin=200, member=200, province=403, expert=403, other_expert=403),
    ),
    (
        "publicity:inquiry",
        "get",
        lambda w: {"pk": w["city_inquiry"].pk},
        expect(404, anonymous=302, city=200, province=403, expert=403, other_expert=403),
    ),
    # Issue 9: typical cases. The library is public (drafts are not); officers' pages are the province's.
    ("cases:public_list", "get", None, expect(200)),
    ("cases:public_case", "get", lambda w: {"pk": w["published_case"].pk}, expect(200)),
    ("cases:public_case", "get", lambda w: {"pk": w["draft_case"].pk}, expect(404)),
    (
        "cases:public_picture",
        "get",
        lambda w: {"pk": w["published_case"].pk, "picture_pk": w["case_picture"].pk},
        expect(200),
    ),
    (
        "cases:public_picture",
        "get",
        lambda w: {"pk": w["draft_case"].pk, "picture_pk": w["case_picture"].pk},
        expect(404),
    ),
    ("cases:list", "get", None, PROVINCE_ONLY),
    ("cases:new", "get", None, PROVINCE_ONLY),
    ("cases:case", "get", lambda w: {"pk": w["draft_case"].pk}, PROVINCE_ONLY),
    # An empty upload, a second publication and a withdrawal without reason are refused on the page.
    (
        "cases:picture_add",
        "post",
        lambda w: {"pk": w["draft_case"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "cases:picture",
        "get",
        lambda w: {"pk": w["published_case"].pk, "picture_pk": w["case_picture"].pk},
        PROVINCE_ONLY,
    ),
    (
        "cases:picture_remove",
        "post",
        lambda w: {"pk": w["published_case"].pk, "picture_pk": w["case_picture"].pk},
        expect(403, anonymous=302, province=302),
    ),
    ("cases:publish", "post", lambda w: {"pk": w["draft_case"].pk}, expect(403, anonymous=302, province=302)),
    (
        "cases:publish",
        "post",
        lambda w: {"pk": w["published_case"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "cases:withdraw",
        "post",
        lambda w: {"pk": w["published_case"].pk},
        expect(403, anonymous=302, province=400),
    ),
    # Issue 26: similar pairs. A city sees a pair of its own two applications; a pair across cities
    # is the province's (and the reviewing expert's); the list and the decisions are the province's.
    (
        "similarity:pair",
        "get",
        lambda w: {"pk": w["local_pair"].pk},
        expect(403, anonymous=302, city=200, other_city=404, province=200, expert=404, other_expert=404),
    ),
    (
        "similarity:pair",
        "get",
        lambda w: {"pk": w["cross_city_pair"].pk},
        expect(403, anonymous=302, city=404, other_city=404, province=200, expert=200, other_expert=404),
    ),
    (
        "similarity:decide",
        "post",
        lambda w: {"pk": w["local_pair"].pk},
        expect(403, anonymous=302, province=400),
    ),
    ("similarity:batch", "get", lambda w: {"batch_pk": w["batch"].pk}, PROVINCE_ONLY),
    (
        "similarity:batch_check",
        "post",
        lambda w: {"batch_pk": w["batch"].pk},
        expect(403, anonymous=302, province=302),
    ),
    # Issue 8: bulk exports. Officers export; a job and its file are its officer's alone.
    ("documents:exports", "get", None, expect(403, anonymous=302, city=200, other_city=200, province=200)),
    (
        "documents:export_progress",
        "get",
        lambda w: {"pk": w["export_job"].pk},
        expect(403, anonymous=302, city=200, other_city=404, province=404),
    ),
    (
        "documents:export_download",
        "get",
        lambda w: {"pk": w["export_job"].pk},
        expect(403, anonymous=302, city=200, other_city=404, province=404),
    ),
    # Issue 9: tracking. Officers read rounds (a city its own units); the province opens, closes and
    # evaluates; a unit fills its own report. Empty forms are refused on their page (400).
    ("tracking:rounds", "get", None, expect(403, anonymous=302, city=200, other_city=200, province=200)),
    ("tracking:round_new", "get", None, PROVINCE_ONLY),
    (
        "tracking:round",
        "get",
        lambda w: {"pk": w["tracking_round"].pk},
        expect(403, anonymous=302, city=200, other_city=200, province=200),
    ),
    (
        "tracking:round_close",
        "post",
        lambda w: {"pk": w["tracking_round"].pk},
        expect(403, anonymous=302, province=302),
    ),
    ("tracking:own_reports", "get", None, expect(200, anonymous=302, **APPLICANTS_ONLY)),
    (
        "tracking:report",
        "get",
        lambda w: {"pk": w["tracking_report"].pk},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    (
        "tracking:report",
        "post",
        lambda w: {"pk": w["tracking_report"].pk},
        expect(302, other_admin=404, **APPLICANTS_ONLY),
    ),
    (
        "tracking:evaluate",
        "post",
        lambda w: {"pk": w["tracking_report"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "tracking:revoke",
        "post",
        lambda w: {"pk": w["tracking_report"].pk},
        expect(403, anonymous=302, province=400),
    ),
    (
        "tracking:attachment_add",
        "post",
        lambda w: {"pk": w["tracking_report"].pk},
        expect(302, other_admin=404, **APPLICANTS_ONLY),
    ),
    (
        "tracking:attachment",
        "get",
        lambda w: {"pk": w["tracking_report"].pk, "attachment_pk": w["tracking_file"].pk},
        expect(200, anonymous=302, **READERS_OF_A),
    ),
    (
        "tracking:attachment_remove",
        "post",
        lambda w: {"pk": w["tracking_report"].pk, "attachment_pk": w["tracking_file"].pk},
        expect(302, other_admin=404, **APPLICANTS_ONLY),
    ),
    ("tracking:public_revocations", "get", None, expect(200)),
    # Issue 9: dashboard. Officers only; a city officer's figures are the own city's.
    ("dashboard:programme", "get", None, expect(403, anonymous=302, city=200, other_city=200, province=200)),
    (
        "dashboard:chart_download",
        "get",
        lambda w: {"key": "funnel"},
        expect(403, anonymous=302, city=200, other_city=200, province=200),
    ),
    # Issue 24: the API's clients, managed by the province; the API itself answers a client's
    # token only (tests/api/test_permissions.py has its matrix by client), so a session gets 401.
    ("api_clients:list", "get", None, PROVINCE_ONLY),
    ("api_clients:create", "get", None, PROVINCE_ONLY),
    ("api_clients:detail", "get", lambda w: {"pk": _api_client(w).pk}, PROVINCE_ONLY),
    ("api_clients:revoke", "get", lambda w: {"pk": _api_client(w).pk}, PROVINCE_ONLY),
    ("api:schema", "get", None, expect(200)),
    ("api:docs", "get", None, expect(200)),
    ("api:batches", "get", None, expect(401)),
    ("api:batch", "get", lambda w: {"pk": w["batch"].pk}, expect(401)),
    ("api:national_recommendation", "get", lambda w: {"pk": w["batch"].pk}, expect(401)),
    ("api:applications", "get", None, expect(401)),
    ("api:application", "get", lambda w: {"pk": w["sent"].pk}, expect(401)),
    ("api:credit_checks", "post", lambda w: {"pk": w["sent"].pk}, expect(401)),
    ("api:decisions", "post", lambda w: {"pk": w["sent"].pk}, expect(401)),
    ("api:announcements", "get", None, expect(401)),
    ("api:announcement", "get", lambda w: {"pk": w["announcement"].pk}, expect(401)),
    ("api:review_results", "get", lambda w: {"pk": w["batch"].pk}, expect(401)),
    ("api:dashboard", "get", None, expect(401)),
    ("api:rounds", "get", None, expect(401)),
    ("api:round_reports", "get", lambda w: {"pk": w["tracking_round"].pk}, expect(401)),
    ("api:notices", "get", None, expect(401)),
    ("api:objections", "get", lambda w: {"pk": w["public_notice"].pk}, expect(401)),
]


def _api_client(world):
    """A city client of 广州, created by a province officer (its token is not needed here)."""
    from shifan.api.models import ApiClient
    from shifan.api.services import create_client

    client = ApiClient.objects.first()
    if client is None:
        client, _token = create_client(
            actor=factories.ProvinceOfficerFactory(),
            name="广州市企业库",
            role="city",
            city_code="440100",
            can_write=False,
            valid_days=30,
        )
    return client


# Pages anyone may see, kept a minute by browsers and proxies when a visitor without a session
# asks; every other answer, and these to anyone logged in, must be kept by no cache.
PUBLIC_PAGES = {
    "publicity:public_notices",
    "publicity:public_notice",
    "publicity:public_announcement",
    "cases:public_list",
    "cases:public_case",
    "cases:public_picture",
    "documents:verify",
    "tracking:public_revocations",
}


def test_draft_is_invisible_to_officers(client, world):
    for role in ("city", "province"):
        login_verified(client, world["users"][role])
        url = reverse(
            "applications:attachment",
            kwargs={"pk": world["draft"].pk, "attachment_pk": world["draft_file"].pk},
        )
        assert client.get(url).status_code == 404


def all_url_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= all_url_names(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_matrix_covers_every_url():
    covered = {name for name, *_ in MATRIX}
    assert all_url_names() - covered == set(), "add these URLs to the permission matrix"
    assert covered - all_url_names() == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "kwargs", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_permission_matrix(client, world, role, name, method, kwargs, expected):
    user = world["users"][role]
    if user is not None:
        login_verified(client, user)
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    response = getattr(client, method)(url)
    response.close()  # a file response holds its file open until closed
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
    if response.status_code == 302 and user is None and name not in {"set_language", "accounts:logout"}:
        assert response["Location"].startswith(reverse("accounts:login"))
    if user is None and name in PUBLIC_PAGES and response.status_code == 200:
        assert response["Cache-Control"] == "public, max-age=60", url
    else:
        assert {"private", "no-store"} <= cache_directives(response), f"{role} {method.upper()} {url}"


def test_roles_cover_every_role():
    assert {Role.APPLICANT, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.EXPERT} == set(Role)
