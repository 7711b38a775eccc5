"""What experts and province officers see of the expert review.

An expert sees only its own published assignments, and only while it has no conflict with the
applicant (checked again on every read); never another expert's scores or name. Everything else
here is for province officers.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from shifan.accounts.models import User
from shifan.applications.models import Application, ApplicationState
from shifan.expert_review.aggregation import Result, Total, aggregate, ranking
from shifan.expert_review.conflicts import (
    ExpertFacts,
    expert_facts,
    experts_with_facts,
)
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


def assignment_for_expert(user: User, pk: int) -> Assignment:
    """Return the expert's own published assignment; 404 for anything else or any conflict.

    The same re-check as the expert's list (`open_assignments`), so a task listed opens and one
    that does not open is not listed.
    """
    assignment = open_assignments(user).filter(pk=pk).first()
    if assignment is None:
        raise Http404
    return assignment


def _conflicts_in_sql(facts: ExpertFacts) -> Q:
    """Return the assignments whose applicant conflicts with the expert, as `conflict_reasons` says.

    The same four reasons, asked of the database so the expert's list pages there; the applicant's
    code and city are the submitted ones, or the organisation's when none was submitted, and its
    current city counts too.
    """
    codes = set(facts.declared | facts.past)
    if facts.employer_credit_code:
        codes.add(facts.employer_credit_code)
    conflicted = Q(pk__in=[])
    if codes:
        conflicted |= Q(application__credit_code__in=codes) | Q(
            application__credit_code="", application__organisation__credit_code__in=codes
        )
    if facts.city_code:
        conflicted |= Q(batch__same_city_conflict=True) & (
            Q(application__city_code=facts.city_code)
            | Q(application__organisation__city_code=facts.city_code)
        )
    return conflicted


def open_assignments(user: User) -> QuerySet[Assignment]:
    """Return the expert's assignments it may open (the conflict re-check done by the database)."""
    if not user.is_expert:
        return Assignment.objects.none()
    facts = expert_facts(experts_with_facts().filter(pk=user.pk))
    if not facts:  # an inactive expert, or one without a profile, opens nothing
        return Assignment.objects.none()
    return assignments_of(user).exclude(_conflicts_in_sql(facts[0]))


def batch_in_review() -> Batch | None:
    """Return the latest batch whose expert review has started, else one with accepted applications."""
    for states in (REVIEWED, UNDER_REVIEW):
        batch = (
            Batch.objects.filter(applications__state__in=states).distinct().order_by("-city_deadline").first()
        )
        if batch is not None:
            return batch
    return None


def _live_count() -> Coalesce:
    """Return the number of the application's assignments that are not removed, as a subquery."""
    live = (
        Assignment.objects.filter(application=OuterRef("pk"))
        .exclude(state=AssignmentState.REMOVED)
        .order_by()
        .values("application")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(live), 0)


def _missing(batch: Batch) -> Greatest:
    """Return how many experts the application still lacks, as an expression."""
    return Greatest(Value(batch.experts_per_application) - _live_count(), Value(0))


def assignment_plan(batch: Batch, *, query: str = "", only_missing: bool = False) -> QuerySet[Application]:
    """Return the batch's applications under review, filtered and in plan order, for the officer.

    Each carries `missing` (experts still to find, counted by the database), so a page of the plan
    costs the same however large the batch is; `plan_rows` adds the assignments of one page.
    """
    queryset = (
        Application.objects.filter(batch=batch, state__in=[*UNDER_REVIEW])
        .select_related("organisation")
        .annotate(missing=_missing(batch))
    )
    if query:
        queryset = queryset.filter(Q(number__icontains=query) | Q(unit_name__icontains=query))
    if only_missing:
        queryset = queryset.filter(missing__gt=0)
    return queryset.order_by("category", "number")


def plan_rows(batch: Batch, applications: Iterable[Application]) -> list[dict]:
    """Return one page of the plan: each application with its live assignments, best match first."""
    applications = list(applications)
    by_application: dict[int, list[Assignment]] = {}
    for item in (
        Assignment.objects.filter(batch=batch, application__in=[a.pk for a in applications])
        .exclude(state=AssignmentState.REMOVED)
        .select_related("expert__expert_profile")
        .order_by("-match", "id")
    ):
        by_application.setdefault(item.application_id, []).append(item)
    for application in applications:
        application.batch = batch  # one batch object, so its spec is parsed once for the page
    return [
        {
            "application": application,
            "assignments": by_application.get(application.pk, []),
            "missing": application.missing,  # type: ignore[attr-defined]
        }
        for application in applications
    ]


def plan_figures(batch: Batch) -> dict[str, int]:
    """Return the whole plan's figures (applications, experts missing, tasks, match) in two queries."""
    # Summed as an expression, not over the `missing` annotation: the database wraps an aggregate
    # over an annotation in a subquery that does not select it.
    figures = Application.objects.filter(batch=batch, state__in=[*UNDER_REVIEW]).aggregate(
        total=Count("pk"), missing=Sum(_missing(batch))
    )
    tasks = (
        Assignment.objects.filter(batch=batch, application__state__in=[*UNDER_REVIEW])
        .exclude(state=AssignmentState.REMOVED)
        .aggregate(
            proposed=Count("pk", filter=Q(state=AssignmentState.PROPOSED)),
            published=Count("pk", filter=Q(state=AssignmentState.PUBLISHED)),
            match_total=Sum("match"),
        )
    )
    return {
        "total": figures["total"],
        "missing": figures["missing"] or 0,
        "proposed": tasks["proposed"],
        "published": tasks["published"],
        "match_total": tasks["match_total"] or 0,
    }


def last_solve(batch: Batch) -> dict | None:
    """Return the figures of the batch's last assignment solve (when, match, bound, gap, shortfall)."""
    from shifan.core.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            action="expert_review.assignment_proposed", target_type="programs.batch", target_id=str(batch.pk)
        )
        .order_by("-occurred_at", "-pk")
        .first()
    )
    if event is None or not event.after:
        return None
    after = event.after
    return {
        "at": event.occurred_at,
        "actor": event.actor_label,
        "pairs": after.get("pairs", 0),
        "match": after.get("match", 0),
        # Recorded as the bound on the match (the negated bound on the cost).
        "bound": after.get("bound", 0),
        "gap": after.get("gap", round(after.get("bound", 0) - after.get("match", 0), 2)),
        "seconds": after.get("seconds"),
        "short": after.get("short", 0),
        "short_applications": after.get("short_applications", 0),
        "kept_manual": after.get("kept_manual", 0),
    }


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
