"""The permission matrix: every role against every page and object URL that exists.

A new URL pattern fails `test_matrix_covers_every_url` until its row is added here, so the
matrix grows with every capability. Answers: 200 (or 302 after an allowed POST), 302 to the
login page for anonymous visitors, 403 for a role that may not use the page, 404 for an
object outside the reader's row.
"""

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from shifan.accounts.models import Role
from shifan.core.models import Notice
from shifan.expert_review.models import Assignment, AssignmentState
from shifan.publicity.models import CalendarOverride, DayKind
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
    """Two organisations in two cities, and one person of every role."""
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
    reviewed = factories.ApplicationFactory(
        batch=batch, organisation=factories.OrganisationFactory(city_code="440600")
    )
    reviewed_file = factories.attachment(reviewed)
    factories.submitted(reviewed)
    reviewed.state = "in_review"
    reviewed.save(update_fields=["state"])
    assignment = Assignment.objects.create(
        batch=batch,
        application=reviewed,
        expert=expert_profile.user,
        state=AssignmentState.PUBLISHED,
        published_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    return {
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
        "notice": Notice.objects.create(recipient=admin, title="测试通知", url="/"),
        "letter": factories.city_letter(batch, "440100"),
        "calendar_override": CalendarOverride.objects.create(
            day=date(2027, 1, 1), kind=DayKind.HOLIDAY, created_by=factories.ProvinceOfficerFactory()
        ),
    }


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
    ("set_language", "post", None, expect(302)),
    ("accounts:login", "get", None, expect(302, anonymous=200)),
    ("accounts:logout", "post", None, expect(302)),
    ("accounts:register", "get", None, expect(302, anonymous=200)),
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
    ("accounts:invitation_accept", "get", lambda w: {"token": w["invitation"].token}, expect(200)),
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
    ("applications:batch_eligibility", "get", lambda w: {"pk": w["batch"].pk}, PROVINCE_ONLY),
    ("reviews:queue", "get", None, expect(403, anonymous=302, city=200, other_city=200, province=200)),
    (
        "reviews:application",
        "get",
        lambda w: {"pk": w["sent"].pk},
        expect(403, anonymous=302, city=200, other_city=404, province=200),
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
    (
        "publicity:calendar_remove",
        "post",
        lambda w: {"pk": w["calendar_override"].pk},
        expect(403, anonymous=302, province=302),
    ),
]


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


def test_roles_cover_every_role():
    assert {Role.APPLICANT, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.EXPERT} == set(Role)
