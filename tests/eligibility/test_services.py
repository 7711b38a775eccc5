import pytest
from django.urls import reverse

from shifan.applications import services
from shifan.applications.services import SubmissionBlocked
from shifan.core.models import AuditEvent
from shifan.eligibility import services as eligibility
from shifan.eligibility.models import EligibilityCheck
from tests import factories
from tests.applications.test_services import complete
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


@pytest.fixture
def application(batch, applicant_admin):
    application = services.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    return complete(application, applicant_admin)


def set_revenue(application, user, value):
    operating = dict(application.answers["operating"])
    operating["main_business_revenue"] = {**operating["main_business_revenue"], "2023": value}
    services.save_answers(
        actor=user, application=application, base_version=application.version, values={"operating": operating}
    )
    application.refresh_from_db()


def outcome(results, rule):
    return next(str(result.outcome) for result in results if result.rule == rule)


def test_revenue_below_threshold_blocks_submission_with_the_numbers(application, applicant_admin):
    set_revenue(application, applicant_admin, "4200")
    with pytest.raises(SubmissionBlocked) as blocked:
        services.submit_application(actor=applicant_admin, application=application)
    assert "4,200" in blocked.value.message
    assert "5,000" in blocked.value.message
    set_revenue(application, applicant_admin, "5000")
    snapshot = services.submit_application(actor=applicant_admin, application=application)
    check = EligibilityCheck.objects.get(snapshot=snapshot)
    assert check.trigger == "submission"
    assert not check.blocking
    assert {item["rule"] for item in check.results} >= {"prior_year_revenue", "service_revenue_share"}


def test_region_override_raises_the_threshold(batch, applicant_admin, province_officer):
    from shifan.accounts import services as account_services

    organisation = applicant_admin.membership.organisation
    organisation.city_code = "441500"
    organisation.county_code = factories.reference.counties("441500")[0].code
    organisation.save()
    application = services.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    complete(application, applicant_admin)
    set_revenue(application, applicant_admin, "4000")
    assert outcome(eligibility.evaluate(application), "prior_year_revenue") == "pass"
    account_services.override_region(
        actor=province_officer, organisation=organisation, region_key="prd", reason="深汕特别合作区"
    )
    application.organisation.refresh_from_db()
    assert outcome(eligibility.evaluate(application), "prior_year_revenue") == "fail"


def test_officer_credit_check_overrides_the_declaration(application, applicant_admin, city_officer):
    snapshot = services.submit_application(actor=applicant_admin, application=application)
    eligibility.record_credit_check(
        actor=city_officer, application=application, not_listed=False, note="查询发现列入经营异常名录"
    )
    check = eligibility.latest_check(application)
    assert check.snapshot == snapshot
    assert check.trigger == "credit_check"
    credit = next(item for item in check.results if item["rule"] == "not_on_credit_blacklists")
    assert credit["outcome"] == "fail"
    assert AuditEvent.objects.filter(action="eligibility.credit_checked").exists()


def test_credit_check_only_by_the_own_city_or_province(application, applicant_admin):
    services.submit_application(actor=applicant_admin, application=application)
    other_city = factories.CityOfficerFactory(city_code="440300")
    with pytest.raises(eligibility.EligibilityError):
        eligibility.record_credit_check(actor=other_city, application=application, not_listed=True, note="x")


def test_province_corrects_a_parameter_and_reruns_keeping_old_results(
    client, application, applicant_admin, province_officer, batch
):
    services.submit_application(actor=applicant_admin, application=application)
    login_verified(client, province_officer)
    url = reverse("applications:batch_eligibility", kwargs={"pk": batch.pk})
    form = client.get(url).content.decode()
    assert "service_revenue_share__min_percent" in form
    data = {"action": "parameters", "reason": "规格录入错误，按申报指南应为40%"}
    for item in eligibility.rule_parameters(batch):
        data[f"{item['rule'].name}__{item['name']}"] = item["value"]
    data["service_revenue_share__min_percent"] = "40"
    client.post(url, data)
    batch.refresh_from_db()
    assert batch.rule_overrides == {"service_revenue_share": {"min_percent": 40}}
    client.post(url, {"action": "rerun", "reason": "参数调整后重新检查"})
    checks = list(EligibilityCheck.objects.filter(application=application).order_by("checked_at", "id"))
    assert [check.trigger for check in checks] == ["submission", "rerun"]
    share = next(item for item in checks[-1].results if item["rule"] == "service_revenue_share")
    assert share["outcome"] == "judgment"  # 30% < 40%: for the experts, not a fail
    event = AuditEvent.objects.get(action="eligibility.rerun")
    assert event.before["results"] == checks[0].results


def test_live_checklist_on_the_application_page(client, batch, applicant_admin):
    application = services.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    complete(application, applicant_admin)
    set_revenue(application, applicant_admin, "4200")
    client.force_login(applicant_admin)
    content = client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert 'data-rule="prior_year_revenue" data-outcome="fail"' in content
    submit = client.get(reverse("applications:submit", kwargs={"pk": application.pk})).content.decode()
    assert 'data-testid="submit-blocked"' in submit
    assert "data-submit-once" not in submit  # only a disabled button is offered
