"""The dashboard's figures, counted in the database, against a plain Python count over the rows.

A seeded mix of applications (every state, both categories, four cities, drafts routed by their
organisation, enterprises and platforms with every shape of mode answers, answers rewritten after
creation, eligibility checks recorded by the service and repeated, score sheets and a hearing)
is counted twice: by `dashboard.selectors` and here, one application at a time, from the answers,
each application's latest check and the expert review's results. Any difference is a wrong chart.
"""

import random
from decimal import Decimal

import pytest
from django.utils import timezone

from shifan.applications.answers import chosen_modes, selected
from shifan.applications.models import Application, ApplicationState
from shifan.dashboard import selectors
from shifan.dashboard.selectors import STAGES, Scope
from shifan.eligibility.models import EligibilityCheck
from shifan.eligibility.services import record_check
from shifan.expert_review.models import Assignment, AssignmentState, Hearing
from shifan.expert_review.selectors import batch_results
from tests import factories
from tests.dashboard.world import check, choice, make_application, multi

pytestmark = pytest.mark.django_db

CITIES = ("440100", "440300", "440600", "441900")
MODES = (
    "industrial_design",
    "customization",
    "supply_chain",
    "testing_certification",
    "lifecycle",
    "other",
)
INDUSTRIES = ("C34", "C39", "C13", "I")
PRIVATE = {ApplicationState.DRAFT, ApplicationState.WITHDRAWN}
REVIEWED = {"in_review", "proposed", "not_selected", "in_notice", "recognised"}
SEVERITY = ("fail", "missing", "judgment", "warning")


def random_answers(rng, category):
    """Answers as the forms store them, in every shape the modes and the industry come in."""
    answers = {}
    if category == "enterprise":
        if rng.random() < 0.85:
            answers["modes"] = multi(*rng.sample(MODES, rng.randint(0, 3)))
    else:
        main = rng.choice(["shared_manufacturing", "other_modes", "other_modes", "", None])
        if main is not None:
            answers["main_mode"] = choice(main)
        if rng.random() < 0.8:  # left over under 共享制造: not counted
            answers["other_modes"] = multi(*rng.sample(MODES, rng.randint(0, 3)))
    industry = rng.choice([*INDUSTRIES, "", None])
    if industry is not None:
        answers["industry"] = choice(industry)
    return answers


def build_mix(seed=19):
    rng = random.Random(seed)
    province = factories.ProvinceOfficerFactory()
    batch = factories.BatchFactory(opened_by=province)
    states = list(ApplicationState.values)
    experts = [factories.ExpertProfileFactory().user for _ in range(3)]
    for index in range(2 * len(states) + 14):
        state = states[index % len(states)] if index < 2 * len(states) else rng.choice(states)
        category = rng.choice(["enterprise", "platform"])
        application, snapshot = make_application(
            batch,
            rng.choice(CITIES),
            category,
            state,
            random_answers(rng, category),
            submit=state != ApplicationState.DRAFT,
        )
        if rng.random() < 0.3:  # changed after it was written: the database keeps the choices up to date
            Application.objects.filter(pk=application.pk).update(answers=random_answers(rng, category))
        if snapshot is None or state == ApplicationState.WITHDRAWN:
            continue
        if rng.random() < 0.5:
            record_check(actor=province, application=application, snapshot=snapshot, trigger="submission")
        if rng.random() < 0.5:
            earlier = check(application, snapshot, province, **{rng.choice(SEVERITY): 1, "pass": 5})
            EligibilityCheck.objects.filter(pk=earlier.pk).update(
                checked_at=timezone.now() - timezone.timedelta(days=1)
            )
            check(application, snapshot, province, **{rng.choice(SEVERITY): rng.randint(0, 2), "pass": 6})
        if state in REVIEWED:
            for expert in experts:
                Assignment.objects.create(
                    batch=batch,
                    application=application,
                    expert=expert,
                    state=AssignmentState.PUBLISHED,
                    total=Decimal(rng.randint(50, 100)),
                    submitted_at=timezone.now() if rng.random() < 0.8 else None,
                )
            if rng.random() < 0.3:
                Hearing.objects.create(
                    application=application,
                    kind="defence",
                    held_on=timezone.localdate(),
                    panel="专家组",
                    record="答辩",
                    adjustment=Decimal(rng.choice([-5, 3])),
                    recorded_by=province,
                )
    return batch


def in_scope(application, scope):
    city = application.city_code or application.organisation.city_code
    return (not scope.city_code or city == scope.city_code) and (
        not scope.category or application.category == scope.category
    )


def expected_figures(batch, scope):
    """Count every figure one application at a time."""
    applications = list(Application.objects.filter(batch=batch).select_related("organisation"))
    funnel, states, modes, industries, outcomes, bins = {}, {}, {}, {}, {}, {}
    results = batch_results(batch)
    for application in applications:
        if not in_scope(application, scope):
            continue
        city, category = application.city_code or application.organisation.city_code, application.category
        for stage in STAGES:
            reached = (
                application.submitted_at is not None
                if stage.key == "submitted"
                else application.state in stage.states
            )
            cell = funnel.setdefault((city, category), dict.fromkeys((s.key for s in STAGES), 0))
            cell[stage.key] += reached
        states.setdefault(application.state, {}).setdefault(category, 0)
        states[application.state][category] += 1
        if application.pk in results:
            final = results[application.pk].final
            low = 60 + 5 * min(int((final - 60) // 5), 7) if final >= 60 else None
            label = f"{low}–{low + 5}" if low is not None else "60分以下"
            bins.setdefault(label, {}).setdefault(category, 0)
            bins[label][category] += 1
        if application.state in PRIVATE:
            continue
        for key in set(chosen_modes(application.answers)):
            modes.setdefault(key, {}).setdefault(category, 0)
            modes[key][category] += 1
        industry = selected(application.answers.get("industry"))
        code = industry if isinstance(industry, str) else ""
        industries.setdefault(code, {}).setdefault(category, 0)
        industries[code][category] += 1
        latest = application.eligibility_checks.order_by("-checked_at", "-id").first()
        if latest is not None:
            outcome = next((o for o in SEVERITY if latest.summary.get(o, 0) > 0), "pass")
            outcomes.setdefault(outcome, {}).setdefault(category, 0)
            outcomes[outcome][category] += 1
    return funnel, states, modes, industries, outcomes, bins


def without_zeros(counts):
    return {key: {c: n for c, n in by.items() if n} for key, by in counts.items() if any(by.values())}


SCOPES = [
    Scope(),
    Scope(category="enterprise"),
    Scope(category="platform"),
    *(Scope(city_code=city) for city in CITIES),
    Scope(city_code="440300", category="platform"),
]


def test_every_figure_matches_a_count_over_the_rows():
    batch = build_mix()
    for scope in SCOPES:
        funnel, states, modes, industries, outcomes, bins = expected_figures(batch, scope)
        found = selectors.funnel(batch, scope)
        assert found.cells == funnel, scope
        assert without_zeros(
            {
                state: {c: found.state_counts(category=c)[state] for c in ("enterprise", "platform")}
                for state in states
            }
        ) == without_zeros(states), scope
        assert without_zeros(selectors.modes(batch, scope)) == modes, scope
        assert selectors.industries(batch, scope) == industries, scope
        assert selectors.eligibility(batch, scope) == outcomes, scope
        assert without_zeros(selectors.scores(batch, scope)) == bins, scope
    # The mix holds what the figures are about: each is counted from more than a handful.
    funnel, states, modes, industries, outcomes, bins = expected_figures(batch, Scope())
    assert len(states) == len(ApplicationState.values)
    assert len(modes) >= 5
    assert {"", "C34"} <= set(industries)
    assert len(outcomes) >= 4
    assert sum(sum(by.values()) for by in bins.values()) >= 5
