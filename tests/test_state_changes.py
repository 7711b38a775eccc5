"""The permission matrix after a state change: one party moves, renames, withdraws or resubmits,
then every other role reads and acts.

Each scenario starts from an application of organisation A (广州) submitted through the services,
applies one change made by one party, and then asks every role for the application's pages and
decisions. The answers must follow the application as submitted, whatever happened to the
organisation since.
"""

import pytest
from django.urls import reverse

from shifan.accounts import organisation_changes
from shifan.accounts import services as accounts
from shifan.applications import services as applications
from shifan.reviews import services as reviews
from tests import factories
from tests.applications.test_services import complete
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

SHENZHEN, SHENZHEN_COUNTY = "440300", "440304"
RENAMED = "改名后的有限公司"


@pytest.fixture
def people(db):
    organisation = factories.OrganisationFactory(city_code="440100")
    other = factories.OrganisationFactory(city_code=SHENZHEN)
    return {
        "organisation": organisation,
        "anonymous": None,
        "admin": factories.MembershipFactory(organisation=organisation, is_admin=True).user,
        "member": factories.MembershipFactory(organisation=organisation).user,
        "other_admin": factories.MembershipFactory(organisation=other, is_admin=True).user,
        "city": factories.CityOfficerFactory(city_code="440100"),
        "other_city": factories.CityOfficerFactory(city_code=SHENZHEN),
        "province": factories.ProvinceOfficerFactory(),
        "expert": factories.ExpertProfileFactory().user,
    }


def submitted(people):
    batch = factories.BatchFactory()
    application = applications.start_application(actor=people["admin"], batch=batch, category="enterprise")
    complete(application, people["admin"])
    applications.submit_application(actor=people["admin"], application=application)
    application.refresh_from_db()
    return application


def approved_change(people, changes):
    change = accounts.edit_organisation(
        actor=people["admin"], organisation=people["organisation"], changes=changes, change_reason="工商变更"
    )
    organisation_changes.decide_change(actor=people["province"], change=change, approve=True, note="")


def moved(people, application):
    """The organisation moves to 深圳 (approved by the province) after submitting."""
    approved_change(people, {"city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY})


def renamed(people, application):
    approved_change(people, {"name": RENAMED})


def withdrawn(people, application):
    applications.withdraw_application(actor=people["admin"], application=application, reason="重新整理")


def resubmitted(people, application):
    """Returned by the city, moved (approved), then resubmitted: the city that returned it keeps it."""
    reviews.return_application(actor=people["city"], application=application, reason="请补充")
    approved_change(people, {"city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY})
    application.refresh_from_db()
    applications.submit_application(actor=people["admin"], application=application)


def recommended_then_moved(people, application):
    reviews.recommend_application(
        actor=people["city"], application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    approved_change(people, {"city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY})


# Answers by role to: the officer's page of the application, the applicant's page of it, and one
# decision posted by an officer (decline when submitted, withdraw when recommended).
IN_CITY = {
    "anonymous": (302, 302, 302),
    "admin": (403, 200, 403),
    "member": (403, 200, 403),
    "other_admin": (403, 404, 403),
    "city": (200, 302, 302),
    "other_city": (404, 404, 404),
    "province": (200, 302, 302),
    "expert": (403, 403, 403),
}
# Withdrawn: back with the applicant alone.
PRIVATE = {
    **IN_CITY,
    "city": (404, 404, 404),
    "province": (404, 404, 404),
}
SCENARIOS = {
    "moved": (moved, "decline", IN_CITY),
    "renamed": (renamed, "decline", IN_CITY),
    "withdrawn": (withdrawn, "decline", PRIVATE),
    "resubmitted": (resubmitted, "decline", IN_CITY),
    "recommended_then_moved": (recommended_then_moved, "withdraw-recommendation", IN_CITY),
}
ROLES = list(IN_CITY)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_reads_and_actions_after_a_change(client, people, scenario, role):
    change, action, expected = SCENARIOS[scenario]
    application = submitted(people)
    change(people, application)
    application.refresh_from_db()
    user = people[role]
    if user is not None:
        login_verified(client, user)
    officer_page = client.get(reverse("reviews:application", kwargs={"pk": application.pk}))
    applicant_page = client.get(reverse("applications:detail", kwargs={"pk": application.pk}))
    decision = client.post(
        reverse("reviews:decide", kwargs={"pk": application.pk, "action": action}), {"text": "理由"}
    )
    answers = (officer_page.status_code, applicant_page.status_code, decision.status_code)
    assert answers == expected[role], f"{scenario}: {role}"
    before = application.state
    application.refresh_from_db()
    # The decision took effect for the submitted city's officer alone (the province's answer is a
    # refusal shown as a message on the page it returns to).
    took_effect = role == "city" and expected is IN_CITY
    assert (application.state != before) == took_effect, f"{scenario}: {role}"
    assert application.city_code == "440100"
    if officer_page.status_code == 200:
        page = officer_page.content.decode()
        assert application.unit_name in page
        assert RENAMED not in page


def test_the_queue_and_summary_after_a_move_and_rename(client, people):
    application = submitted(people)
    reviews.recommend_application(
        actor=people["city"], application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    approved_change(people, {"name": RENAMED, "city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY})
    batch_pk = application.batch_id
    login_verified(client, people["city"])
    queue = client.get(reverse("reviews:queue"), {"batch": batch_pk}).content.decode()
    assert application.number in queue
    assert RENAMED not in queue
    login_verified(client, people["other_city"])
    assert (
        application.number not in client.get(reverse("reviews:queue"), {"batch": batch_pk}).content.decode()
    )


def cells(workbook_bytes):
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(workbook_bytes))
    return {str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value}


def test_exports_show_the_organisation_as_submitted(client, people):
    from shifan.documents import exports

    application = submitted(people)
    submitted_name = application.unit_name
    reviews.recommend_application(
        actor=people["city"], application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    approved_change(people, {"name": RENAMED, "city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY})
    login_verified(client, people["city"])
    response = client.get(reverse("reviews:summary_export", kwargs={"batch_pk": application.batch_id}))
    summary = cells(response.content)
    assert submitted_name in summary
    assert RENAMED not in summary
    snapshots = exports.snapshots_for_export(people["city"], application.batch, city_code="", category="")
    entries = exports._entries(snapshots)
    assert entries[0].path.startswith("广州市/")
    listed = cells(exports.export_summary(entries))
    assert submitted_name in listed
    assert "广州市" in listed
    assert RENAMED not in listed
    assert "深圳市" not in listed
