"""Conflicts of interest between experts and applicants, and how well an expert fits an application.

A conflict, with its reason shown to the officer:

- the expert's employer is the applicant (same credit code);
- the expert's employer is in the applicant's city, when the batch says so (on by default);
- the expert declared a conflict with the applicant;
- the expert worked for the applicant before (an earlier employment on record).

A conflicted expert is never assigned, and the expert's pages answer 404 for that application,
whatever happened since the assignment: the check runs again on every read.

The fit (匹配度) counts the application's modes found in the expert's fields of expertise, the
general field (制造业 for enterprises, 平台经济 for platforms) and the industry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from shifan.accounts.models import ExpertiseField, User
from shifan.applications.answers import options_for, selected
from shifan.applications.models import Application
from shifan.core import reference

MODE_POINTS = 10
MAX_MODES_COUNTED = 3
GENERAL_POINTS = 5
INDUSTRY_POINTS = 4
GENERAL_FIELD = {
    "enterprise": ExpertiseField.MANUFACTURING.value,
    "platform": ExpertiseField.PLATFORM_ECONOMY.value,
}
EXPERTISE = frozenset(ExpertiseField.values)


@dataclass(frozen=True)
class ExpertFacts:
    user_id: int
    name: str
    employer: str
    employer_credit_code: str
    city_code: str
    declared: frozenset[str]
    past: frozenset[str]
    expertise: frozenset[str]
    industries: frozenset[str]


@dataclass(frozen=True)
class ApplicantFacts:
    application_id: int
    credit_code: str
    # The city the application was submitted from and, if the organisation has moved since (a
    # change the province approved), the one it is in now: a conflict with either counts.
    city_codes: frozenset[str]
    category: str
    # Fields of expertise the application calls for (its modes, in the pool's words).
    fields: frozenset[str]
    industry: str


def conflict_reasons(expert: ExpertFacts, applicant: ApplicantFacts, *, same_city: bool) -> list[str]:
    """Return why the expert may not review the applicant; empty when there is no conflict.

    expert_review.selectors._conflicts_in_sql asks the database the same four questions for the
    expert's own pages: change both together (a test checks that they agree).
    """
    reasons = []
    if expert.employer_credit_code and expert.employer_credit_code == applicant.credit_code:
        reasons.append("专家工作单位即申报单位")
    if same_city and expert.city_code and expert.city_code in applicant.city_codes:
        reasons.append(f"专家工作单位与申报单位同在{_city_name(expert.city_code)}")
    if applicant.credit_code in expert.declared:
        reasons.append("专家已申明回避")
    if applicant.credit_code in expert.past:
        reasons.append("专家曾在申报单位任职")
    return reasons


def fit(expert: ExpertFacts, applicant: ApplicantFacts) -> tuple[int, list[str]]:
    """Return how well the expert's fields match the application (higher is better) and which."""
    modes = sorted(applicant.fields & expert.expertise)
    points = MODE_POINTS * min(len(modes), MAX_MODES_COUNTED)
    matched = list(modes)
    general = GENERAL_FIELD.get(applicant.category)
    if general and general in expert.expertise:
        points += GENERAL_POINTS
        matched.append(general)
    if applicant.industry and applicant.industry in expert.industries:
        points += INDUSTRY_POINTS
        matched.append(f"行业：{_industry_name(applicant.industry)}")
    return points, matched


def _city_name(code: str) -> str:
    try:
        return reference.city(code).name
    except KeyError:
        return code


def _industry_name(code: str) -> str:
    try:
        return reference.industry(code).name
    except KeyError:
        return code


def expert_facts(experts: Iterable[User]) -> list[ExpertFacts]:
    """Return the facts of experts fetched with `experts_with_facts`."""
    facts = []
    for user in experts:
        profile = user.expert_profile
        facts.append(
            ExpertFacts(
                user_id=user.pk,
                name=user.name,
                employer=profile.employer,
                employer_credit_code=profile.employer_credit_code,
                city_code=profile.city_code,
                declared=frozenset(c.credit_code for c in profile.declared_conflicts.all()),
                past=frozenset(e.credit_code for e in profile.past_employments.all()),
                expertise=frozenset(profile.expertise),
                industries=frozenset(profile.industries),
            )
        )
    return facts


def experts_with_facts() -> QuerySet[User]:
    """Return the active experts with everything `expert_facts` reads, in few queries."""
    return (
        User.objects.filter(role="expert", is_active=True, expert_profile__isnull=False)
        .select_related("expert_profile")
        .prefetch_related("expert_profile__declared_conflicts", "expert_profile__past_employments")
        .order_by("pk")
    )


def applicant_facts(application: Application) -> ApplicantFacts:
    """Return what decides conflicts and fit for an application (organisation loaded)."""
    category = application.batch.category(application.category)
    answers = application.answers
    fields: set[str] = set()
    for key in ("modes", "other_modes", "main_mode"):
        try:
            field = category.form.field(key)
        except KeyError:
            continue
        labels = dict(options_for(field))
        chosen = selected(answers.get(key))
        for option in [chosen] if isinstance(chosen, str) else chosen or []:
            label = labels.get(option, "")
            if label in EXPERTISE:
                fields.add(label)
            elif label.removesuffix("服务") in EXPERTISE:
                fields.add(label.removesuffix("服务"))
    industry = selected(answers.get("industry"))
    return ApplicantFacts(
        application_id=application.pk,
        credit_code=application.applicant_credit_code,
        city_codes=frozenset({application.applicant_city_code, application.organisation.city_code}),
        category=category.key,
        fields=frozenset(fields),
        industry=industry if isinstance(industry, str) else "",
    )
