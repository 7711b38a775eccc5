"""The expert review's lists cost what they show: the same queries for 1 application and for 1,000."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shifan.applications.models import Application, ApplicationState
from shifan.expert_review import selectors
from shifan.expert_review.conflicts import applicant_facts, conflict_reasons, expert_facts, experts_with_facts
from shifan.expert_review.models import Assignment, AssignmentState
from tests import factories
from tests.expert_review.conftest import expert
from tests.helpers import assert_flat, login_verified, read_list

pytestmark = pytest.mark.django_db


def under_review(batch, count, experts, *, start=0, state=AssignmentState.PUBLISHED):
    """Return `count` accepted applications of the batch, each with a task for every one of `experts`."""
    applications = factories.many_submitted(batch, count, start=start)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(state=ApplicationState.IN_REVIEW)
    Assignment.objects.bulk_create(
        Assignment(
            batch=batch,
            application=application,
            expert=person,
            state=state,
            match=10,
            published_at=timezone.now() if state == AssignmentState.PUBLISHED else None,
        )
        for application in applications
        for person in experts
    )
    return applications


@pytest.mark.parametrize("params", [{}, {"q": "批量"}, {"missing": "1"}, {"page": "2"}])
def test_the_assignment_plan_reads_one_page_whatever_the_batch_holds(client, province_officer, params):
    one, two = expert(), expert()
    small = factories.BatchFactory(experts_per_application=3)
    large = factories.BatchFactory(experts_per_application=3)
    under_review(small, 1, [one, two])
    under_review(large, 1000, [one, two], start=1)
    few, _page = read_list(
        client,
        province_officer,
        reverse("expert_review:assignments", args=[small.pk]),
        params,
        table="applications_application",
    )
    many, page = read_list(
        client,
        province_officer,
        reverse("expert_review:assignments", args=[large.pk]),
        params,
        table="applications_application",
    )
    assert_flat(few, many)
    assert page.count('data-testid="plan-row"') == 40
    assert page.count('data-testid="plan-expert"') == 80


def test_the_plan_counts_the_whole_batch_in_the_database(client, province_officer):
    one, two = expert(), expert()
    batch = factories.BatchFactory(experts_per_application=3)
    under_review(batch, 45, [one, two])
    under_review(batch, 5, [one], start=45, state=AssignmentState.PROPOSED)
    login_verified(client, province_officer)
    response = client.get(
        reverse("expert_review:assignments", args=[batch.pk]), {"missing": "1", "page": "2"}
    )
    assert response.context["total"] == 50
    assert response.context["missing"] == 45 * 1 + 5 * 2
    assert (response.context["proposed"], response.context["published"]) == (5, 90)
    assert response.context["match_total"] == 95 * 10
    # 50 applications miss an expert: the second page holds the last 10, each with its own tasks.
    assert response.context["page"].paginator.count == 50
    rows = response.context["page"].object_list
    assert len(rows) == 10
    assert all(len(row["assignments"]) == 3 - row["missing"] > 0 for row in rows)
    searched = client.get(reverse("expert_review:assignments", args=[batch.pk]), {"q": "b-00046"})
    assert [row["application"].number for row in searched.context["page"]] == ["GD-SMD-2024-B-00046"]


def test_the_experts_list_reads_one_page_whatever_it_holds(client):
    few_tasks, many_tasks = expert(), expert()
    under_review(factories.BatchFactory(), 1, [few_tasks])
    under_review(factories.BatchFactory(), 1000, [many_tasks], start=1)
    url = reverse("expert_review:my_assignments")
    few, _page = read_list(client, few_tasks, url, table="expert_review_assignment")
    client.logout()
    many, page = read_list(client, many_tasks, url, table="expert_review_assignment")
    assert_flat(few, many)
    assert page.count('data-testid="assignment-row"') == 30
    assert "共 1000 份，已提交 0 份" in page


def test_the_experts_list_leaves_out_what_the_conflict_check_refuses(client):
    person = expert(city_code="440300")
    batch = factories.BatchFactory(same_city_conflict=True)
    applications = under_review(batch, 6, [person])
    # Declared, past employer, the expert's own employer, and an applicant now in the expert's city.
    factories.DeclaredConflictFactory(expert=person.expert_profile, credit_code=applications[0].credit_code)
    person.expert_profile.past_employments.create(employer="旧单位", credit_code=applications[1].credit_code)
    person.expert_profile.employer_credit_code = applications[2].credit_code
    person.expert_profile.save()
    moved = applications[3].organisation
    moved.city_code = "440300"
    moved.save()
    [facts] = expert_facts(experts_with_facts().filter(pk=person.pk))
    allowed_by_python = {
        a.pk
        for a in selectors.assignments_of(person)
        if not conflict_reasons(facts, applicant_facts(a.application), same_city=True)
    }
    listed = {a.pk for a in selectors.open_assignments(person)}
    assert listed == allowed_by_python
    assert {a.application_id for a in selectors.open_assignments(person)} == {
        applications[4].pk,
        applications[5].pk,
    }


def many_experts(count, *, start=0):
    """Return `count` experts with profiles, made in bulk."""
    from shifan.accounts.models import ExpertProfile, Role, User

    users = User.objects.bulk_create(
        User(email=f"pool{start + n}@example.com", name=f"专家{start + n}", role=Role.EXPERT)
        for n in range(count)
    )
    ExpertProfile.objects.bulk_create(
        ExpertProfile(user=user, employer="某研究院", city_code="440300", expertise=["工业设计"])
        for user in users
    )
    return users


def test_the_replacement_candidates_cost_the_same_queries_for_a_large_pool(client, province_officer):
    [first] = many_experts(1)
    batch = factories.BatchFactory()
    [application] = under_review(batch, 1, [first])
    assignment = Assignment.objects.get(application=application)
    url = reverse("expert_review:replace_expert", args=[assignment.pk])
    login_verified(client, province_officer)
    client.get(url)  # the first request of a session fills what is cached per user
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    many_experts(999, start=1)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert len(large) == len(small)
    assert page.content.decode().count('data-testid="candidate"') == 30


def test_the_results_rank_every_score_in_as_many_queries_for_1000_applications_as_for_1(
    client, province_officer
):
    # The ranking is a computation over every score of the batch: it reads them all, but in a fixed
    # number of queries, once per request.
    one, two = expert(), expert()
    small, large = factories.BatchFactory(), factories.BatchFactory()
    under_review(small, 1, [one, two])
    under_review(large, 1000, [one, two], start=1)
    Assignment.objects.update(submitted_at=timezone.now(), total=80)
    Assignment.objects.filter(expert=two).update(total=90)
    login_verified(client, province_officer)
    counts = []
    for batch in (small, large):
        url = reverse("expert_review:results", args=[batch.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert page.content.decode().count("GD-SMD-2024-B-") >= 1000
