"""Submitted facts stay put: an organisation's name, city and county after its applications are submitted.

Routing and every officer page read what was submitted; while an application is in review a
change of name, city or county is a request the province decides.
"""

import pytest
from django.urls import reverse

from shifan.accounts import organisation_changes, services
from shifan.accounts.models import ChangeState, OrganisationChange
from shifan.accounts.services import AccountError
from shifan.applications import selectors as application_selectors
from shifan.applications import services as applications
from shifan.applications.models import IN_PROCESS_STATES
from shifan.core.models import AuditEvent, Notice
from shifan.reviews import selectors as review_selectors
from shifan.reviews import services as reviews
from shifan.reviews.services import ReviewError
from tests import factories
from tests.applications.test_services import complete
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

GUANGZHOU, SHENZHEN = "440100", "440300"
SHENZHEN_COUNTY = "440304"  # 福田区


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


@pytest.fixture
def submitted(batch, organisation, applicant_admin):
    application = applications.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    complete(application, applicant_admin)
    applications.submit_application(actor=applicant_admin, application=application)
    application.refresh_from_db()
    return application


@pytest.fixture
def shenzhen_officer(db):
    return factories.CityOfficerFactory(city_code=SHENZHEN)


def move_to_shenzhen(actor, organisation, reason="注册地迁至深圳"):
    return services.edit_organisation(
        actor=actor,
        organisation=organisation,
        changes={"city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY},
        change_reason=reason,
    )


def test_the_lists_of_states_in_review_agree():
    assert set(organisation_changes.IN_PROCESS_STATES) == {str(state) for state in IN_PROCESS_STATES}


def test_submission_records_the_organisation_as_it_was(submitted, organisation):
    snapshot = application_selectors.latest_snapshot(submitted)
    assert snapshot.unit["name"] == organisation.name
    assert snapshot.unit["city_code"] == GUANGZHOU
    assert snapshot.unit["credit_code"] == organisation.credit_code
    assert snapshot.unit["contact_email"] == organisation.contact_email
    assert (submitted.unit_name, submitted.city_code) == (organisation.name, GUANGZHOU)


def test_a_change_of_the_organisation_does_not_move_a_submitted_application(
    submitted, organisation, city_officer, shenzhen_officer
):
    # However the organisation's row comes to change (an approved request, an officer's repair),
    # the application stays with the city it was submitted to, under the name it was submitted with.
    organisation.city_code, organisation.county_code, organisation.name = (
        SHENZHEN,
        SHENZHEN_COUNTY,
        "改名公司",
    )
    organisation.save()
    assert [a.pk for a in review_selectors.review_queue(city_officer, submitted.batch)] == [submitted.pk]
    assert list(review_selectors.review_queue(shenzhen_officer, submitted.batch)) == []
    assert application_selectors.application_for(city_officer, submitted.pk).applicant_name != "改名公司"
    with pytest.raises(ReviewError):
        reviews.recommend_application(
            actor=shenzhen_officer, application=submitted, opinion="同意推荐", truthfulness_confirmed=True
        )
    reviews.recommend_application(
        actor=city_officer, application=submitted, opinion="同意推荐", truthfulness_confirmed=True
    )
    with pytest.raises(ReviewError):
        reviews.withdraw_recommendation(actor=shenzhen_officer, application=submitted, reason="不是本市的")


def test_the_administrator_cannot_move_an_organisation_in_review_alone(
    submitted, organisation, applicant_admin
):
    with pytest.raises(AccountError) as refused:
        services.update_organisation(
            actor=applicant_admin, organisation=organisation, city_code=SHENZHEN, county_code=SHENZHEN_COUNTY
        )
    assert "省工信厅核准" in refused.value.message
    with pytest.raises(AccountError) as no_reason:
        move_to_shenzhen(applicant_admin, organisation, reason=" ")
    assert no_reason.value.field == "change_reason"
    organisation.refresh_from_db()
    assert organisation.city_code == GUANGZHOU


def test_a_request_saves_the_other_fields_and_waits_for_the_province(
    submitted, organisation, applicant_admin
):
    change = services.edit_organisation(
        actor=applicant_admin,
        organisation=organisation,
        changes={"name": "新名称有限公司", "contact_name": "新联系人", "address": "新地址1号"},
        change_reason="已在市场监管部门办理名称变更",
    )
    organisation.refresh_from_db()
    assert change.state == ChangeState.PENDING
    assert change.after == {"name": "新名称有限公司"}
    assert organisation.name != "新名称有限公司"
    assert (organisation.contact_name, organisation.address) == ("新联系人", "新地址1号")
    assert AuditEvent.objects.filter(action="organisation.change_requested").count() == 1
    with pytest.raises(AccountError, match="待省工信厅审核"):
        move_to_shenzhen(applicant_admin, organisation)


def test_an_approved_move_changes_the_organisation_but_not_the_application(
    submitted, organisation, applicant_admin, province_officer, city_officer, shenzhen_officer
):
    change = move_to_shenzhen(applicant_admin, organisation)
    organisation_changes.decide_change(actor=province_officer, change=change, approve=True, note="")
    organisation.refresh_from_db()
    assert organisation.city_code == SHENZHEN
    assert [a.pk for a in review_selectors.review_queue(city_officer, submitted.batch)] == [submitted.pk]
    assert list(review_selectors.review_queue(shenzhen_officer, submitted.batch)) == []
    event = AuditEvent.objects.get(action="organisation.change_approved")
    assert event.before == {"city_code": GUANGZHOU, "county_code": change.before["county_code"]}
    # The applicant and both cities' officers are told.
    assert Notice.objects.filter(recipient=applicant_admin, title__contains="已核准").exists()
    assert Notice.objects.filter(recipient=shenzhen_officer).exists()
    assert Notice.objects.filter(recipient=city_officer).exists()


def test_a_resubmission_after_a_return_keeps_the_city_and_name_it_was_reviewed_under(
    submitted, organisation, applicant_admin, province_officer, city_officer, shenzhen_officer
):
    reviews.return_application(actor=city_officer, application=submitted, reason="请补充")
    change = services.edit_organisation(
        actor=applicant_admin,
        organisation=organisation,
        changes={"name": "迁址后公司", "city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY},
        change_reason="迁址",
    )
    organisation_changes.decide_change(actor=province_officer, change=change, approve=True, note="")
    submitted.refresh_from_db()
    applications.submit_application(actor=applicant_admin, application=submitted)
    submitted.refresh_from_db()
    latest = application_selectors.latest_snapshot(submitted)
    assert latest.sequence == 2
    assert (latest.unit["city_code"], submitted.city_code) == (GUANGZHOU, GUANGZHOU)
    assert submitted.unit_name != "迁址后公司"
    assert list(review_selectors.review_queue(shenzhen_officer, submitted.batch)) == []


def test_a_new_submission_after_the_review_ends_takes_the_organisation_as_it_is(
    batch, organisation, applicant_admin, province_officer
):
    application = applications.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    complete(application, applicant_admin)
    applications.submit_application(actor=applicant_admin, application=application)
    applications.withdraw_application(actor=applicant_admin, application=application, reason="重新整理")
    # Withdrawn before any city acted: the approved move applies to the next submission.
    change = move_to_shenzhen(applicant_admin, organisation)
    organisation_changes.decide_change(actor=province_officer, change=change, approve=True, note="")
    application.refresh_from_db()
    applications.submit_application(actor=applicant_admin, application=application)
    application.refresh_from_db()
    assert application.city_code == SHENZHEN


def test_a_verified_organisation_changes_its_name_or_city_only_with_the_province(
    organisation, applicant_admin
):
    # An officer checked the licence against this name and place: no application is needed.
    assert organisation.is_verified
    assert organisation_changes.numbers_in_process(organisation) == []
    with pytest.raises(AccountError):
        services.update_organisation(
            actor=applicant_admin, organisation=organisation, name="另一个名字有限公司"
        )
    change = services.edit_organisation(
        actor=applicant_admin,
        organisation=organisation,
        changes={"name": "另一个名字有限公司", "contact_name": "新联系人"},
        change_reason="更名",
    )
    organisation.refresh_from_db()
    assert change.after == {"name": "另一个名字有限公司"}
    assert (organisation.name, organisation.contact_name) != ("另一个名字有限公司", "联系人")
    assert organisation.contact_name == "新联系人"


def test_an_unverified_organisation_not_in_review_changes_its_city_at_once(organisation, applicant_admin):
    organisation.verification_state = "pending"
    organisation.save(update_fields=["verification_state"])
    assert (
        services.edit_organisation(
            actor=applicant_admin,
            organisation=organisation,
            changes={"city_code": SHENZHEN, "county_code": SHENZHEN_COUNTY},
        )
        is None
    )
    organisation.refresh_from_db()
    assert organisation.city_code == SHENZHEN


def test_only_the_province_decides_and_a_rejection_needs_a_reason(
    submitted, organisation, applicant_admin, province_officer, city_officer
):
    change = move_to_shenzhen(applicant_admin, organisation)
    with pytest.raises(organisation_changes.ChangeRefused):
        organisation_changes.decide_change(actor=city_officer, change=change, approve=True, note="")
    with pytest.raises(organisation_changes.ChangeRefused) as refused:
        organisation_changes.decide_change(actor=province_officer, change=change, approve=False, note="")
    assert refused.value.field == "note"
    organisation_changes.decide_change(actor=province_officer, change=change, approve=False, note="证明不全")
    organisation.refresh_from_db()
    assert organisation.city_code == GUANGZHOU
    with pytest.raises(organisation_changes.ChangeRefused, match="已未核准"):
        organisation_changes.decide_change(actor=province_officer, change=change, approve=True, note="")


def test_an_approval_of_a_request_made_on_facts_that_changed_since_is_refused(
    submitted, organisation, applicant_admin, province_officer
):
    change = move_to_shenzhen(applicant_admin, organisation)
    OrganisationChange.objects.filter(pk=change.pk).update(before={"city_code": "440600"})
    with pytest.raises(organisation_changes.ChangeRefused, match="已有变化"):
        organisation_changes.decide_change(actor=province_officer, change=change, approve=True, note="")


def test_an_active_demonstration_unit_counts_as_in_review(province_officer):
    from tests.tracking.conftest import announced, recognised

    batch = factories.BatchFactory()
    unit = recognised(announced(batch, province_officer))
    assert organisation_changes.numbers_in_process(unit.organisation) == [unit.application.number]
    unit.status = "revoked"
    unit.save(update_fields=["status"])
    assert organisation_changes.numbers_in_process(unit.organisation) == []


# Pages ------------------------------------------------------------------------------------------


def edit_post(**overrides):
    data = {
        "name": "测试公司",
        "nature": "enterprise",
        "city_code": SHENZHEN,
        "county_code": SHENZHEN_COUNTY,
        "address": "示范路1号",
        "contact_name": "联系人",
        "contact_phone": "020-12345678",
        "contact_email": "c@example.com",
    }
    return {**data, **overrides}


def test_the_edit_page_asks_for_a_reason_and_files_the_request(
    client, submitted, organisation, applicant_admin
):
    client.force_login(applicant_admin)
    url = reverse("accounts:own_organisation_edit")
    page = client.get(url).content.decode()
    assert 'data-testid="in-process"' in page
    assert submitted.number in page
    refused = client.post(url, edit_post(name=organisation.name))
    assert refused.status_code == 200
    assert "须写明理由" in refused.content.decode()
    filed = client.post(url, edit_post(name=organisation.name, change_reason="迁址"))
    assert filed.status_code == 302
    assert OrganisationChange.objects.get().after["city_code"] == SHENZHEN
    assert "待审核" in client.get(reverse("accounts:own_organisation")).content.decode()


def test_the_province_reviews_requests_on_its_pages(
    client, submitted, organisation, applicant_admin, province_officer, city_officer
):
    change = move_to_shenzhen(applicant_admin, organisation)
    login_verified(client, province_officer)
    listing = client.get(reverse("accounts:organisation_change_list")).content.decode()
    assert organisation.name in listing
    assert "深圳市" in listing
    url = reverse("accounts:organisation_change", kwargs={"pk": change.pk})
    assert submitted.number in client.get(url).content.decode()
    refused = client.post(url, {"decision": "reject", "note": ""})
    assert "请写明不予核准的理由" in refused.content.decode()
    assert client.post(url, {"decision": "approve", "note": ""}).status_code == 302
    organisation.refresh_from_db()
    assert organisation.city_code == SHENZHEN
    detail = client.get(reverse("accounts:organisation_detail", kwargs={"pk": organisation.pk}))
    assert "已核准" in detail.content.decode()
    login_verified(client, city_officer)
    assert client.get(url).status_code == 403
    client.force_login(applicant_admin)
    assert client.get(reverse("accounts:organisation_change_list")).status_code == 403
