"""What experts and province officers see of the expert review.

An expert sees only its own published assignments, and only while it has no conflict with the
applicant (checked again on every read); never another expert's scores or name. Everything else
here is for province officers.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from shifan.accounts.models import User
from shifan.applications.models import Application, ApplicationState
from shifan.expert_review.aggregation import Result, Total, aggregate, ranking
from shifan.expert_review.conflicts import applicant_facts, conflict_reasons, expert_facts, experts_with_facts
from shifan.expert_review.models import Assignment, AssignmentState, Hearing, ProposedList, Selection
from shifan.programs.models import Batch

UNDER_REVIEW = [ApplicationState.ACCEPTED, ApplicationState.IN_REVIEW]
REVIEWED = [
    ApplicationState.IN_REVIEW,
    ApplicationState.PROPOSED,
    ApplicationState.NOT_SELECTED,
    ApplicationState.IN_NOTICE,
    ApplicationState.RECOGNISED,
]


def assignments_of(user: User) -> QuerySet[Assignment]:
    """Return the expert's published assignments (before the conflict re-check)."""
    if not user.is_expert:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(expert=user, state=AssignmentState.PUBLISHED)
        .select_related("application__organisation", "application__batch", "batch")
        .order_by("submitted_at", "application__number")
    )


def _conflicted(user: User, assignment: Assignment) -> bool:
    [facts] = expert_facts(experts_with_facts().filter(pk=user.pk))
    return bool(
        conflict_reasons(
            facts, applicant_facts(assignment.application), same_city=assignment.batch.same_city_conflict
        )
    )


def assignment_for_expert(user: User, pk: int) -> Assignment:
    """Return the expert's own published assignment; 404 for anything else or any conflict."""
    assignment = assignments_of(user).filter(pk=pk).first()
    if assignment is None or _conflicted(user, assignment):
        raise Http404
    return assignment


def open_assignments(user: User) -> list[Assignment]:
    """Return the expert's assignments it may open (the conflict re-check applied)."""
    assignments = list(assignments_of(user))
    if not assignments:
        return []
    [facts] = expert_facts(experts_with_facts().filter(pk=user.pk))
    return [
        a
        for a in assignments
        if not conflict_reasons(facts, applicant_facts(a.application), same_city=a.batch.same_city_conflict)
    ]


def batch_in_review() -> Batch | None:
    """Return the latest batch whose expert review has started, else one with accepted applications."""
    for states in (REVIEWED, UNDER_REVIEW):
        batch = (
            Batch.objects.filter(applications__state__in=states).distinct().order_by("-city_deadline").first()
        )
        if batch is not None:
            return batch
    return None


def assignment_plan(batch: Batch) -> list[dict]:
    """Return each application under review with its live assignments, for the officer."""
    applications = list(
        Application.objects.filter(batch=batch, state__in=[*UNDER_REVIEW])
        .select_related("organisation")
        .order_by("category", "number")
    )
    live = (
        Assignment.objects.filter(batch=batch, application__in=applications)
        .exclude(state=AssignmentState.REMOVED)
        .select_related("expert__expert_profile")
        .order_by("-match", "id")
    )
    by_application: dict[int, list[Assignment]] = {}
    for item in live:
        by_application.setdefault(item.application_id, []).append(item)
    return [
        {
            "application": application,
            "assignments": by_application.get(application.pk, []),
            "missing": max(batch.experts_per_application - len(by_application.get(application.pk, [])), 0),
        }
        for application in applications
    ]


def expert_loads(batch: Batch) -> list[dict]:
    """Return every expert with a live assignment in the batch and its counts, busiest first."""
    return list(
        Assignment.objects.filter(batch=batch)
        .exclude(state=AssignmentState.REMOVED)
        .values("expert_id", "expert__name", "expert__expert_profile__employer")
        .annotate(
            load=Count("id"),
            submitted=Count("id", filter=Q(submitted_at__isnull=False)),
            proposed=Count("id", filter=Q(state=AssignmentState.PROPOSED)),
        )
        .order_by("-load", "expert__name")
    )


def assignment_for_officer(user: User, pk: int) -> Assignment:
    if not user.is_province_officer:
        raise Http404
    assignment = (
        Assignment.objects.select_related(
            "application__organisation", "application__batch", "batch", "expert"
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def removed_assignments(batch: Batch) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(batch=batch, state=AssignmentState.REMOVED)
        .select_related("application", "expert")
        .order_by("-removed_at")
    )


@dataclass
class RankedRow:
    application: Application
    rank: int
    result: Result
    submitted: int
    expected: int
    hearings: int
    selection: Selection | None

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.submitted == self.expected


@dataclass
class PendingRow:
    application: Application
    submitted: int
    expected: int


def _submitted_totals(batch: Batch) -> list[Total]:
    return [
        Total(application_id, expert_id, total)
        for application_id, expert_id, total in Assignment.objects.filter(
            batch=batch, state=AssignmentState.PUBLISHED, submitted_at__isnull=False
        ).values_list("application_id", "expert_id", "total")
        if total is not None  # a submitted sheet always has its total
    ]


def batch_results(batch: Batch) -> dict[int, Result]:
    """Return each scored application's result under the batch's aggregation settings.

    Standardisation uses every submitted total of the batch, whatever the category: an expert's
    severity is a trait of the expert.
    """
    adjustments = {
        row["application_id"]: row["total"] or Decimal(0)
        for row in Hearing.objects.filter(application__batch=batch)
        .values("application_id")
        .annotate(total=Sum("adjustment"))
    }
    return aggregate(
        _submitted_totals(batch),
        rule=batch.aggregation_rule,
        standardised=batch.standardise_scores,
        threshold=batch.disagreement_threshold,
        adjustments=adjustments,
    )


def category_ranking(
    batch: Batch, category: str, results: dict[int, Result] | None = None
) -> list[RankedRow]:
    """Return the category's reviewed applications with scores, best first, ranked 1, 2, …

    `results` are the batch's results when the caller already has them (one page, several categories).
    """
    applications = list(
        Application.objects.filter(batch=batch, category=category, state__in=REVIEWED)
        .select_related("organisation")
        .annotate(
            expected=Count(
                "expert_assignments",
                filter=Q(expert_assignments__state=AssignmentState.PUBLISHED),
                distinct=True,
            ),
            submitted=Count(
                "expert_assignments",
                filter=Q(
                    expert_assignments__state=AssignmentState.PUBLISHED,
                    expert_assignments__submitted_at__isnull=False,
                ),
                distinct=True,
            ),
            hearing_count=Count("hearings", distinct=True),
        )
    )
    results = batch_results(batch) if results is None else results
    selections = {s.application_id: s for s in Selection.objects.filter(batch=batch, category=category)}
    scored = [a for a in applications if a.pk in results]
    ordered = ranking([results[a.pk] for a in scored], {a.pk: a.number for a in scored})
    by_pk = {a.pk: a for a in applications}
    return [
        RankedRow(
            application=by_pk[result.application],
            rank=rank,
            result=result,
            submitted=by_pk[result.application].submitted,
            expected=by_pk[result.application].expected,
            hearings=by_pk[result.application].hearing_count,
            selection=selections.get(result.application),
        )
        for rank, result in enumerate(ordered, start=1)
    ]


def unscored(batch: Batch, category: str, results: dict[int, Result] | None = None) -> list[PendingRow]:
    """Return the category's applications under review with no submitted score yet."""
    results = batch_results(batch) if results is None else results
    return [
        PendingRow(application=a, submitted=a.submitted, expected=a.expected)
        for a in Application.objects.filter(batch=batch, category=category, state__in=UNDER_REVIEW)
        .select_related("organisation")
        .annotate(
            expected=Count(
                "expert_assignments", filter=Q(expert_assignments__state=AssignmentState.PUBLISHED)
            ),
            submitted=Count(
                "expert_assignments",
                filter=Q(
                    expert_assignments__state=AssignmentState.PUBLISHED,
                    expert_assignments__submitted_at__isnull=False,
                ),
            ),
        )
        .order_by("number")
        if a.pk not in results
    ]


def list_fixed(batch: Batch) -> ProposedList | None:
    return ProposedList.objects.filter(batch=batch, fixed_at__isnull=False).first()


def application_sheets(application: Application) -> list[Assignment]:
    """Return the application's published score sheets with the experts' names (officers only)."""
    return list(
        application.expert_assignments.exclude(state=AssignmentState.PROPOSED)
        .select_related("expert__expert_profile")
        .order_by("state", "id")
    )


def reviewed_application(user: User, pk: int) -> Application:
    """Return an application in expert review for a province officer; 404 otherwise."""
    if not user.is_province_officer:
        raise Http404
    application = (
        Application.objects.select_related("organisation", "batch")
        .filter(pk=pk, state__in=[*UNDER_REVIEW, *REVIEWED])
        .first()
    )
    if application is None:
        raise Http404
    return application
