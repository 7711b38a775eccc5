"""Expert review services against the real database: assignment, conflicts, scoring, the list."""

from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404

from shifan.accounts import services as accounts
from shifan.accounts.models import PastEmployment
from shifan.applications.models import ApplicationState
from shifan.core.models import AuditEvent, Notice
from shifan.expert_review import selectors, services
from shifan.expert_review.models import Assignment, AssignmentState, Selection
from shifan.expert_review.services import ReviewError, ScoreErrors
from tests import factories
from tests.expert_review.conftest import accepted, expert


def live(application):
    return set(
        Assignment.objects.filter(application=application)
        .exclude(state=AssignmentState.REMOVED)
        .values_list("expert_id", flat=True)
    )


def publish(batch, officer):
    services.assign_experts(actor=officer, batch=batch)
    services.publish_assignments(actor=officer, batch=batch)


def full_sheet(assignment, score="4"):
    leaves = list(assignment.batch.category(assignment.application.category).rubric_leaves())
    return {
        "scores": {leaf.key: score for leaf in leaves},
        "comments": {leaf.key: "论述充分，有实例佐证。" for leaf in leaves},
        "overall_comment": "总体较好，建议推荐。",
    }


def score(assignment, value="4"):
    services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
    return services.save_scores(
        actor=assignment.expert, assignment=assignment, submit=True, **full_sheet(assignment, value)
    )


# Conflicts, in every form -------------------------------------------------------------------


def test_same_employer_is_never_assigned(batch, province_officer):
    application = accepted(batch)
    own = expert(employer_credit_code=application.organisation.credit_code)
    others = [expert() for _ in range(2)]
    services.assign_experts(actor=province_officer, batch=batch)
    assert live(application) == {e.pk for e in others}
    assert own.pk not in live(application)


def test_same_city_conflict_follows_the_batch_setting(batch, province_officer):
    application = accepted(batch, city_code="440100")
    local = expert(city_code="440100")
    [expert(city_code="440300") for _ in range(2)]
    services.assign_experts(actor=province_officer, batch=batch)
    assert local.pk not in live(application)

    batch.same_city_conflict = False
    batch.experts_per_application = 3
    batch.save()
    Assignment.objects.all().delete()
    services.assign_experts(actor=province_officer, batch=batch)
    assert local.pk in live(application)


def test_declared_conflict_and_earlier_employment_are_never_assigned(batch, province_officer):
    application = accepted(batch)
    declared = expert()
    factories.DeclaredConflictFactory(
        expert=declared.expert_profile, credit_code=application.organisation.credit_code
    )
    former = expert()
    PastEmployment.objects.create(
        expert=former.expert_profile, employer="原单位", credit_code=application.organisation.credit_code
    )
    free = [expert() for _ in range(2)]
    services.assign_experts(actor=province_officer, batch=batch)
    assert live(application) == {e.pk for e in free}


def test_conflicted_expert_gets_404_even_after_assignment(batch, province_officer):
    application = accepted(batch)
    first, second = expert(), expert()
    publish(batch, province_officer)
    assignment = Assignment.objects.get(application=application, expert=first)
    assert selectors.assignment_for_expert(first, assignment.pk) == assignment
    # The organisation moves into the expert's city: the read re-checks and refuses.
    organisation = application.organisation
    organisation.city_code = first.expert_profile.city_code
    organisation.save()
    with pytest.raises(Http404):
        selectors.assignment_for_expert(first, assignment.pk)
    assert list(selectors.open_assignments(first)) == []
    # The other expert, in the same city too, is refused the same way; neither sees the other.
    with pytest.raises(Http404):
        selectors.assignment_for_expert(second, assignment.pk)


def test_declaring_a_conflict_on_first_opening_removes_the_assignment(batch, province_officer):
    application = accepted(batch)
    [expert() for _ in range(3)]
    publish(batch, province_officer)
    assignment = Assignment.objects.filter(application=application).order_by("id").first()
    person = assignment.expert
    services.decline_for_conflict(actor=person, assignment=assignment, reason="曾为该企业提供咨询")
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.REMOVED
    assert "专家已申明回避" in assignment.removed_reason
    assert person.expert_profile.declared_conflicts.filter(
        credit_code=application.organisation.credit_code
    ).exists()
    assert Notice.objects.filter(recipient=province_officer, title="专家回避，需补充分配").exists()
    assert services.assignment_gaps(batch) == {application.pk: 1}
    # Filling the gap keeps the published pair and never brings back the declared expert.
    report = services.assign_experts(actor=province_officer, batch=batch)
    assert report.created == 1
    assert person.pk not in live(application)
    assert len(live(application)) == 2


def test_a_conflict_declared_in_the_profile_removes_the_assignment(batch, province_officer):
    application = accepted(batch)
    first, second = expert(), expert()
    publish(batch, province_officer)
    accounts.declare_conflict(
        actor=first,
        profile=first.expert_profile,
        credit_code=application.organisation.credit_code,
        organisation_name="",
        reason="亲属任职",
    )
    assert live(application) == {second.pk}
    assert AuditEvent.objects.filter(action="expert_review.assignment_removed_for_conflict").count() == 1


# Assignment -------------------------------------------------------------------------------------


def test_assignment_meets_demand_and_load_and_prefers_matching_fields(batch, province_officer):
    design = [accepted(batch, modes=("industrial_design",)) for _ in range(2)]
    supply = [accepted(batch, modes=("supply_chain",)) for _ in range(2)]
    designers = [expert(expertise=("工业设计服务",)) for _ in range(2)]
    chain = [expert(expertise=("供应链管理",)) for _ in range(2)]
    report = services.assign_experts(actor=province_officer, batch=batch)
    assert report.created == 8
    assert report.proven_optimal
    for application in design:
        assert live(application) == {e.pk for e in designers}
    for application in supply:
        assert live(application) == {e.pk for e in chain}
    assert all(a.matched_fields for a in Assignment.objects.all())


def test_short_pool_assigns_as_many_as_it_can_and_says_what_is_short(batch, province_officer):
    applications = [accepted(batch) for _ in range(4)]
    [expert() for _ in range(2)]  # 2 experts × 3 each = 6 reviews for the 8 needed
    report = services.assign_experts(actor=province_officer, batch=batch)
    assert report.created == 6
    assert Assignment.objects.count() == 6
    assert report.proven_optimal
    assert "仍有 1 份申报共缺 2 人次" in report.shortfalls[0]
    short = [a for a in applications if len(live(a)) < 2]
    assert len(short) == 1
    assert not live(short[0])
    assert short[0].number in report.shortfalls[1]
    assert "缺 2 位专家" in report.shortfalls[1]
    event = AuditEvent.objects.get(action="expert_review.assignment_proposed")
    assert event.after["short"] == 2
    assert event.after["gap"] == 0


def test_an_application_without_enough_free_experts_is_named(batch, province_officer):
    application = accepted(batch)
    other = accepted(batch, city_code="440600")
    expert(city_code="440100")
    expert(city_code="440100")
    expert(city_code="440300")
    report = services.assign_experts(actor=province_officer, batch=batch)
    # The other application still gets its two; this one gets the only expert it may have.
    assert len(live(other)) == 2
    assert len(live(application)) == 1
    assert any(application.number in line and "缺 1 位专家" in line for line in report.shortfalls)


def test_solving_again_keeps_the_officers_manual_pairs(batch, province_officer):
    application = accepted(batch)
    first, second = expert(), expert()
    spare = expert(expertise=())
    services.assign_experts(actor=province_officer, batch=batch)
    assert live(application) == {first.pk, second.pk}
    manual = Assignment.objects.get(application=application, expert=first)
    services.replace_expert(actor=province_officer, assignment=manual, expert=spare)
    assert [a.expert for a in services.manual_proposals(batch)] == [spare]
    report = services.assign_experts(actor=province_officer, batch=batch)
    assert report.kept_manual == 1
    assert live(application) == {spare.pk, second.pk}
    # Giving the manual pairs up, by choice, puts the best match back and says which went.
    report = services.assign_experts(actor=province_officer, batch=batch, drop_manual=True)
    assert live(application) == {first.pk, second.pk}
    assert report.dropped_manual == [f"{application.number}：{spare.name}"]


def test_solving_again_fills_around_manual_pairs(batch, province_officer):
    applications = [accepted(batch) for _ in range(2)]
    experts = [expert() for _ in range(3)]
    spare = expert(expertise=())
    services.assign_experts(actor=province_officer, batch=batch)
    manual = Assignment.objects.filter(application=applications[0]).first()
    services.replace_expert(actor=province_officer, assignment=manual, expert=spare)
    report = services.assign_experts(actor=province_officer, batch=batch)
    assert report.kept_manual == 1
    assert spare.pk in live(applications[0])
    assert all(len(live(a)) == 2 for a in applications)
    assert len(experts) == 3


def test_field_without_experts_is_reported(batch, province_officer):
    accepted(batch, modes=("shared_manufacturing",))
    [expert(expertise=("工业设计服务",)) for _ in range(2)]
    report = services.assign_experts(actor=province_officer, batch=batch)
    assert any(w.startswith("共享制造领域") and "该领域无回避专家 0 位" in w for w in report.warnings)


def test_publish_moves_applications_to_review_and_notifies_experts(batch, province_officer):
    application = accepted(batch)
    first, second = expert(), expert()
    publish(batch, province_officer)
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW
    assert Notice.objects.filter(recipient__in=[first, second], title="您有新的评审任务").count() == 2
    assert not Assignment.objects.filter(state=AssignmentState.PROPOSED).exists()
    with pytest.raises(ReviewError, match="没有待发布的分配方案"):
        services.publish_assignments(actor=province_officer, batch=batch)


def test_only_province_officers_assign(batch, city_officer):
    accepted(batch)
    with pytest.raises(ReviewError):
        services.assign_experts(actor=city_officer, batch=batch)


def test_replacing_an_expert_keeps_the_rules(batch, province_officer):
    application = accepted(batch)
    first, second = expert(), expert()
    local = expert(city_code="440100")
    spare, later = expert(expertise=()), expert(expertise=())
    services.assign_experts(actor=province_officer, batch=batch)
    assert live(application) == {first.pk, second.pk}  # the best matches
    assignment = Assignment.objects.get(application=application, expert=first)
    with pytest.raises(ReviewError, match="同在广州市"):
        services.replace_expert(actor=province_officer, assignment=assignment, expert=local)
    with pytest.raises(ReviewError, match="已在本申报的专家组中"):
        services.replace_expert(actor=province_officer, assignment=assignment, expert=second)
    services.replace_expert(actor=province_officer, assignment=assignment, expert=spare)
    assert live(application) == {spare.pk, second.pk}
    # After publication a change needs a reason, notifies both, and keeps the old pair on record.
    services.publish_assignments(actor=province_officer, batch=batch)
    published = Assignment.objects.get(application=application, expert=spare)
    with pytest.raises(ReviewError, match="请填写理由"):
        services.replace_expert(actor=province_officer, assignment=published, expert=later)
    services.replace_expert(actor=province_officer, assignment=published, expert=later, reason="专家出差")
    published.refresh_from_db()
    assert published.state == AssignmentState.REMOVED
    assert live(application) == {later.pk, second.pk}
    assert Notice.objects.filter(recipient=spare, title="评审任务已调整").exists()
    assert Notice.objects.filter(recipient=later, title="您有新的评审任务").exists()


def test_replacing_refuses_experts_at_their_maximum_load(batch, province_officer):
    batch.expert_max_load = 1
    batch.experts_per_application = 1
    batch.save()
    first_application, second_application = accepted(batch), accepted(batch)
    busy, other = expert(), expert()
    services.assign_experts(actor=province_officer, batch=batch)
    assignment = Assignment.objects.get(application=first_application)
    target = busy if assignment.expert == other else other
    with pytest.raises(ReviewError, match="已达每位专家最多评审份数"):
        services.replace_expert(actor=province_officer, assignment=assignment, expert=target)
    assert second_application


# Scoring ---------------------------------------------------------------------------------------


@pytest.fixture
def published(batch, province_officer):
    application = accepted(batch)
    experts = [expert() for _ in range(2)]
    publish(batch, province_officer)
    return application, experts


def test_scores_must_be_confirmed_in_range_in_steps_and_complete_to_submit(published):
    application, _experts = published
    assignment = Assignment.objects.filter(application=application).first()
    sheet = full_sheet(assignment)
    with pytest.raises(ReviewError, match="请先确认"):
        services.save_scores(actor=assignment.expert, assignment=assignment, **sheet)
    services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
    bad = {
        **sheet,
        "scores": {**sheet["scores"], "intro": "6", "strategy_planning": "2.3", "business_model": "x"},
    }
    with pytest.raises(ScoreErrors) as raised:
        services.save_scores(actor=assignment.expert, assignment=assignment, **bad)
    assert raised.value.errors == {
        "score_intro": "分值应在 0 到 5 之间。",
        "score_strategy_planning": "分值最小单位为 0.5 分。",
        "score_business_model": "请输入数字，如 7 或 7.5。",
    }
    # A partial draft saves; submitting it does not.
    draft = {**sheet, "scores": {"intro": "4.5"}, "comments": {}, "overall_comment": ""}
    saved = services.save_scores(actor=assignment.expert, assignment=assignment, **draft)
    assert (saved.total, saved.submitted_at) == (Decimal("4.5"), None)
    with pytest.raises(ScoreErrors) as raised:
        services.save_scores(actor=assignment.expert, assignment=assignment, submit=True, **draft)
    assert raised.value.errors["score_strategy_planning"] == "请打分。"
    assert raised.value.errors["comment_intro"].startswith("请填写评语")
    assert "overall_comment" in raised.value.errors
    done = services.save_scores(actor=assignment.expert, assignment=assignment, submit=True, **sheet)
    assert done.total == Decimal(4 * 14)
    assert done.submitted_at is not None


def test_submitted_scores_are_locked_until_the_province_reopens_them(published, province_officer):
    application, _experts = published
    assignment = Assignment.objects.filter(application=application).first()
    score(assignment)
    with pytest.raises(ReviewError, match="评分已提交"):
        services.save_scores(actor=assignment.expert, assignment=assignment, **full_sheet(assignment, "5"))
    with pytest.raises(ReviewError, match="请填写退回重评的原因"):
        services.reopen_scores(actor=province_officer, assignment=assignment, reason="")
    services.reopen_scores(actor=province_officer, assignment=assignment, reason="第三项评分与评语不符")
    assert Notice.objects.filter(recipient=assignment.expert, title="评分已退回，请重新评审").exists()
    again = services.save_scores(
        actor=assignment.expert, assignment=assignment, submit=True, **full_sheet(assignment, "5")
    )
    assert again.total == Decimal(5 * 14)


def test_an_expert_cannot_score_another_experts_assignment(published):
    application, experts = published
    assignment = Assignment.objects.get(application=application, expert=experts[0])
    with pytest.raises(ReviewError, match="这不是您的评审任务"):
        services.confirm_no_conflict(actor=experts[1], assignment=assignment, signed=True)
    with pytest.raises(Http404):
        selectors.assignment_for_expert(experts[1], assignment.pk)


# Aggregation, hearings and the proposed list ----------------------------------------------------


def test_trimmed_mean_over_five_experts_and_a_hearing_adjustment(db, province_officer):
    batch = factories.BatchFactory(experts_per_application=5, expert_max_load=5)
    application = accepted(batch)
    [expert() for _ in range(5)]
    publish(batch, province_officer)
    # 14 indicators scored 3, 4, 4.5, 5 and 2 each: totals 42, 56, 63, 70 and 28.
    for assignment, value in zip(
        Assignment.objects.filter(application=application).order_by("id"),
        ["3", "4", "4.5", "5", "2"],
        strict=True,
    ):
        score(assignment, value)
    [row] = selectors.category_ranking(batch, "enterprise")
    # Drop 70 and 28: (42 + 56 + 63) / 3 = 53.67.
    assert (row.result.score, row.result.final) == (Decimal("53.67"), Decimal("53.67"))
    assert row.complete
    services.record_hearing(
        actor=province_officer,
        application=application,
        kind="site_visit",
        held_on=date(2024, 9, 1),
        panel="省工信厅、专家组",
        record="现场查看共享产线",
        adjustment=Decimal(3),
        reason="现场核实成效突出",
    )
    [row] = selectors.category_ranking(batch, "enterprise")
    assert row.result.final == Decimal("56.67")
    with pytest.raises(ReviewError, match="调整分数须写明理由"):
        services.record_hearing(
            actor=province_officer,
            application=application,
            kind="defence",
            held_on=date(2024, 9, 2),
            panel="专家组",
            record="答辩",
            adjustment=Decimal(-2),
        )


@pytest.fixture
def scored(batch, province_officer):
    batch.quotas = {"enterprise": 2, "platform": 1}
    batch.save()
    applications = [accepted(batch) for _ in range(3)]
    [expert() for _ in range(2)]
    publish(batch, province_officer)
    for application, value in zip(applications, ["5", "3", "4"], strict=True):
        for assignment in Assignment.objects.filter(application=application):
            score(assignment, value)
    return applications


def test_ranking_orders_by_final_score(batch, scored):
    rows = selectors.category_ranking(batch, "enterprise")
    assert [row.application for row in rows] == [scored[0], scored[2], scored[1]]
    assert [row.rank for row in rows] == [1, 2, 3]


def test_the_list_respects_the_quota_and_asks_reasons_for_departures(batch, scored, province_officer):
    first, third, second = scored[0], scored[1], scored[2]  # by score: first, second, third
    with pytest.raises(ReviewError, match="名额为 2 个"):
        services.mark_proposed_list(
            actor=province_officer,
            batch=batch,
            category="enterprise",
            selected={a.pk for a in scored},
            reasons={},
        )
    with pytest.raises(ReviewError, match="有 2 份未填") as refused:
        services.mark_proposed_list(
            actor=province_officer,
            batch=batch,
            category="enterprise",
            selected={first.pk, third.pk},
            reasons={},
        )
    # Each row says what is wrong with it.
    assert refused.value.rows == {
        third.pk: "排名第 3，在名额线以下却被选入，请写明选入理由。",
        second.pk: "排名第 2，在名额线以内却未选入，请写明不选的理由。",
    }
    services.mark_proposed_list(
        actor=province_officer,
        batch=batch,
        category="enterprise",
        selected={first.pk, third.pk},
        reasons={third.pk: "现场考察核实成效突出", second.pk: "答辩中发现数据不实"},
    )
    marks = {s.application_id: s for s in Selection.objects.all()}
    assert marks[third.pk].selected
    assert marks[third.pk].departure_reason == "现场考察核实成效突出"
    assert marks[second.pk].departure_reason == "答辩中发现数据不实"
    assert marks[first.pk].departure_reason == ""
    services.fix_proposed_list(actor=province_officer, batch=batch)
    states = {a.pk: a.state for a in type(first).objects.filter(pk__in=[a.pk for a in scored])}
    assert states == {
        first.pk: ApplicationState.PROPOSED,
        third.pk: ApplicationState.PROPOSED,
        second.pk: ApplicationState.NOT_SELECTED,
    }
    with pytest.raises(ReviewError, match="拟认定名单已确定"):
        services.mark_proposed_list(
            actor=province_officer, batch=batch, category="enterprise", selected={first.pk}, reasons={}
        )
    services.reopen_proposed_list(actor=province_officer, batch=batch, reason="异议复核")
    first.refresh_from_db()
    assert first.state == ApplicationState.IN_REVIEW


def test_the_list_waits_for_every_score(batch, province_officer):
    application = accepted(batch)
    [expert() for _ in range(2)]
    publish(batch, province_officer)
    score(Assignment.objects.filter(application=application).first())
    with pytest.raises(ReviewError, match="评分未全部提交") as refused:
        services.mark_proposed_list(
            actor=province_officer, batch=batch, category="enterprise", selected=set(), reasons={}
        )
    assert refused.value.details == [
        f"{application.number}（{application.applicant_name}）：专家评分已提交 1/2 份"
    ]
    with pytest.raises(ReviewError, match="未确定是否列入名单"):
        services.fix_proposed_list(actor=province_officer, batch=batch)


# Review deadline and reminders -------------------------------------------------------------------


def test_review_deadline_reminders_go_once_per_window_to_experts_with_open_sheets(batch, province_officer):
    from datetime import timedelta

    from django.utils import timezone

    from shifan.expert_review.services import send_review_reminders

    accepted(batch)
    first, second = expert(), expert()
    publish(batch, province_officer)
    done = Assignment.objects.get(expert=second)
    score(done)
    now = timezone.now()
    batch.review_deadline = now + timedelta(days=5)
    batch.save(update_fields=["review_deadline"])
    assert send_review_reminders(now=now) == 0
    assert send_review_reminders(now=now + timedelta(days=2, hours=1)) == 1  # 3 days left
    assert send_review_reminders(now=now + timedelta(days=2, hours=2)) == 0  # once only
    assert send_review_reminders(now=now + timedelta(days=4, hours=1)) == 1  # 1 day left
    assert send_review_reminders(now=now + timedelta(days=6)) == 1  # overdue
    titles = list(Notice.objects.filter(recipient=first).values_list("title", flat=True))
    assert sum("截止" in title for title in titles) == 3
    assert not Notice.objects.filter(recipient=second, title__contains="截止").exists()
    # A later deadline is reminded again.
    batch.review_deadline = now + timedelta(days=10)
    batch.save(update_fields=["review_deadline"])
    assert send_review_reminders(now=now + timedelta(days=8)) == 1


def test_the_commitment_must_be_signed_before_scoring(published):
    _application, experts = published
    assignment = Assignment.objects.filter(expert=experts[0]).get()
    with pytest.raises(ReviewError, match="承诺书"):
        services.confirm_no_conflict(actor=experts[0], assignment=assignment)
    assert Assignment.objects.get(pk=assignment.pk).confirmed_at is None
