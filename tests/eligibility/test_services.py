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


# --- judgments of the needs-judgment items --------------------------------------------------------


def assign(application, person, state="published"):
    from django.utils import timezone

    from shifan.expert_review.models import Assignment

    return Assignment.objects.create(
        batch=application.batch,
        application=application,
        expert=person,
        state=state,
        match=10,
        published_at=timezone.now() if state == "published" else None,
        # The expert has confirmed the absence of conflicts: judging comes with reading it.
        confirmed_at=timezone.now() if state == "published" else None,
    )


@pytest.fixture
def expert(db):
    """An expert of another city than the applicant's (one of its city is in conflict with it)."""
    return factories.ExpertProfileFactory(city_code="440600").user


@pytest.fixture
def submitted(application, applicant_admin):
    services.submit_application(actor=applicant_admin, application=application)
    return application


def test_the_conditions_in_words_reach_the_city_with_their_passages(submitted, city_officer):
    check = eligibility.latest_check(submitted)
    items = {item["key"]: item for item in eligibility.judgment_items(submitted, check, city_officer)}
    assert {"transformation", "results", "advantage"} <= set(items)
    passage = items["transformation"]["passages"][0]
    assert passage["label"] == "企业简介"
    assert passage["text"] == check.snapshot.answers["intro"]
    assert items["transformation"]["judgments"] == []


def test_a_city_judgment_is_recorded_audited_and_shown(submitted, city_officer, expert):
    eligibility.record_judgment(
        actor=city_officer, application=submitted, rule_key="transformation", verdict="met", note=""
    )
    event = AuditEvent.objects.get(action="eligibility.condition_judged")
    assert event.after["rule"] == "transformation"
    assert event.after["role"] == "city"
    assign(submitted, expert)
    check = eligibility.latest_check(submitted)
    shown = {item["key"]: item for item in eligibility.judgment_items(submitted, check, expert)}
    assert [j.verdict for j in shown["transformation"]["judgments"]] == ["met"]


def test_not_met_or_unclear_needs_a_reason(submitted, city_officer):
    for verdict in ("not_met", "unclear"):
        with pytest.raises(eligibility.EligibilityError, match="理由"):
            eligibility.record_judgment(
                actor=city_officer, application=submitted, rule_key="advantage", verdict=verdict, note=" "
            )
    with pytest.raises(eligibility.EligibilityError, match="判断结果"):
        eligibility.record_judgment(
            actor=city_officer, application=submitted, rule_key="advantage", verdict="maybe", note="x"
        )
    # A rule that is not a judgment item cannot be judged.
    with pytest.raises(eligibility.EligibilityError, match="不是需判断"):
        eligibility.record_judgment(
            actor=city_officer, application=submitted, rule_key="prior_year_revenue", verdict="met", note=""
        )


def test_only_the_city_of_the_applicant_and_assigned_experts_judge(submitted, applicant_admin, expert):
    other_city = factories.CityOfficerFactory(city_code="440300")
    unpublished = factories.ExpertProfileFactory(city_code="440600").user
    assign(submitted, unpublished, state="proposed")
    for actor in (other_city, applicant_admin, expert, unpublished):
        with pytest.raises(eligibility.EligibilityError, match="只有"):
            eligibility.record_judgment(
                actor=actor, application=submitted, rule_key="transformation", verdict="met", note=""
            )
    assign(submitted, expert)
    judgment = eligibility.record_judgment(
        actor=expert,
        application=submitted,
        rule_key="transformation",
        verdict="unclear",
        note="转型特点不突出",
    )
    assert judgment.role == "expert"


def test_no_one_judges_once_a_decision_was_made_on_it(submitted, city_officer, expert, applicant_admin):
    from django.utils import timezone

    from shifan.reviews import services as reviews

    # An expert of the applicant's own city (in conflict), one not yet confirmed free of conflicts,
    # and one who has submitted the scores.
    conflicted = factories.ExpertProfileFactory(city_code="440100").user
    assign(submitted, conflicted)
    unconfirmed = factories.ExpertProfileFactory(city_code="440600").user
    assign(submitted, unconfirmed).__class__.objects.filter(expert=unconfirmed).update(confirmed_at=None)
    scored = factories.ExpertProfileFactory(city_code="440600").user
    assign(submitted, scored).__class__.objects.filter(expert=scored).update(submitted_at=timezone.now())
    for actor in (conflicted, unconfirmed, scored):
        with pytest.raises(eligibility.EligibilityError, match="只有"):
            eligibility.record_judgment(
                actor=actor, application=submitted, rule_key="transformation", verdict="met", note=""
            )
    # The city recommends: its judging ends with its decision.
    reviews.recommend_application(
        actor=city_officer, application=submitted, opinion="同意推荐", truthfulness_confirmed=True
    )
    with pytest.raises(eligibility.EligibilityError, match="只有"):
        eligibility.record_judgment(
            actor=city_officer, application=submitted, rule_key="transformation", verdict="met", note=""
        )
    assert not eligibility.judge_role(city_officer, submitted)


def test_a_judgment_is_of_the_version_read_and_shows_on_that_version_only(
    submitted, city_officer, applicant_admin
):
    first = eligibility.latest_check(submitted)
    eligibility.record_judgment(
        actor=city_officer,
        application=submitted,
        rule_key="transformation",
        verdict="met",
        note="",
        snapshot_id=first.snapshot_id,
    )
    from shifan.reviews import services as reviews

    reviews.return_application(actor=city_officer, application=submitted, reason="请补充")
    submitted.refresh_from_db()
    services.save_answers(
        actor=applicant_admin,
        application=submitted,
        base_version=submitted.version,
        values={"intro": "改写后的企业简介。" * 20},
    )
    submitted.refresh_from_db()
    services.submit_application(actor=applicant_admin, application=submitted)
    second = eligibility.latest_check(submitted)
    assert second.snapshot_id != first.snapshot_id
    items = {i["key"]: i for i in eligibility.judgment_items(submitted, second, city_officer)}
    assert items["transformation"]["judgments"] == []
    assert items["transformation"]["mine"] is None
    with pytest.raises(eligibility.EligibilityError, match="新的提交版本"):
        eligibility.record_judgment(
            actor=city_officer,
            application=submitted,
            rule_key="transformation",
            verdict="met",
            note="",
            snapshot_id=first.snapshot_id,
        )
    old = {i["key"]: i for i in eligibility.judgment_items(submitted, first, city_officer)}
    assert [j.verdict for j in old["transformation"]["judgments"]] == ["met"]


def test_an_experts_judgment_is_not_shown_to_the_other_experts(submitted, expert):
    colleague = factories.ExpertProfileFactory(city_code="440600").user
    assign(submitted, expert)
    assign(submitted, colleague)
    eligibility.record_judgment(
        actor=expert, application=submitted, rule_key="results", verdict="not_met", note="成效数据不足"
    )
    check = eligibility.latest_check(submitted)
    mine = {i["key"]: i for i in eligibility.judgment_items(submitted, check, expert)}
    theirs = {i["key"]: i for i in eligibility.judgment_items(submitted, check, colleague)}
    assert mine["results"]["mine"].verdict == "not_met"
    assert theirs["results"]["judgments"] == []
    assert theirs["results"]["mine"] is None


def test_judging_through_the_review_page(client, submitted, city_officer):
    login_verified(client, city_officer)
    url = reverse("reviews:application", kwargs={"pk": submitted.pk})
    page = client.get(url).content.decode()
    assert 'data-testid="judgment-items"' in page
    assert 'data-rule="transformation"' in page
    response = client.post(
        reverse("applications:judgment", kwargs={"pk": submitted.pk}),
        {"rule": "transformation", "verdict": "met", "note": "", "next": url},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}#judgments"
    page = client.get(url).content.decode()
    assert "已记录判断。" in page


@pytest.mark.parametrize("who", ["other_city", "expert", "anonymous"])
def test_the_judgment_url_refuses_who_may_not_judge(client, submitted, who):
    from shifan.eligibility.models import ConditionJudgment

    user = {
        "other_city": lambda: factories.CityOfficerFactory(city_code="440300"),
        "expert": lambda: factories.ExpertProfileFactory().user,
        "anonymous": lambda: None,
    }[who]()
    if user is not None:
        login_verified(client, user)
    response = client.post(
        reverse("applications:judgment", kwargs={"pk": submitted.pk}),
        {"rule": "transformation", "verdict": "met"},
    )
    assert response.status_code in (302, 403, 404)
    if user is not None:
        assert response.status_code == 404
    assert not ConditionJudgment.objects.exists()
