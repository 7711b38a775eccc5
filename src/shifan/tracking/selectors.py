"""Role-scoped reads of dynamic tracking: the one place that decides who sees which report.

Province officers see everything; city officers the reports of their city's units, read-only; a
unit's members their own reports. A report's state is worked out from the clock on every read.
"""

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shifan.accounts.models import User
from shifan.accounts.selectors import organisation_ids_of
from shifan.programs.models import Batch
from shifan.tracking.models import Evaluation, Report, ReportState, Round


def _after_due(due_on: date) -> datetime:
    """The first moment after the due date (its whole day counts)."""
    return datetime.combine(due_on + timedelta(days=1), time(0, 0), tzinfo=timezone.get_current_timezone())


def visible_reports(user: User) -> QuerySet[Report]:
    reports = Report.objects.select_related("round", "unit")
    if user.is_province_officer:
        return reports
    if user.is_city_officer:
        return reports.filter(unit__city_code=user.city_code)
    if user.is_applicant:
        return reports.filter(unit__organisation_id__in=organisation_ids_of(user))
    return reports.none()


def rounds_for(user: User) -> QuerySet[Round]:
    """Return the rounds the user may open: all for officers, those with its reports for a unit."""
    rounds = Round.objects.all()
    if user.is_applicant:
        rounds = rounds.filter(reports__unit__organisation_id__in=organisation_ids_of(user)).distinct()
    elif not (user.is_province_officer or user.is_city_officer):
        return rounds.none()
    return rounds.order_by("-due_on", "-pk")


def round_for(user: User, pk: int) -> Round:
    if not (user.is_province_officer or user.is_city_officer):
        raise Http404
    try:
        return Round.objects.get(pk=pk)
    except Round.DoesNotExist:
        raise Http404 from None


def report_for(user: User, pk: int) -> Report:
    try:
        return (
            visible_reports(user).select_related("unit__organisation", "unit__application__batch").get(pk=pk)
        )
    except Report.DoesNotExist:
        raise Http404 from None


def state_filter(state: str, due_on: date, today: date) -> Q:
    """Return the condition of one report state, for a round's due date and today."""
    after = _after_due(due_on)
    if state == ReportState.PENDING:
        return Q(submitted_at=None) if today <= due_on else Q(pk__in=[])
    if state == ReportState.OVERDUE:
        return Q(submitted_at=None) if today > due_on else Q(pk__in=[])
    if state == ReportState.SUBMITTED:
        return Q(submitted_at__lt=after)
    if state == ReportState.LATE:
        return Q(submitted_at__gte=after)
    return Q()


def _state_in_its_round(state: str, today: date) -> Q:
    """Return the condition of one report state against each report's own round's due date."""
    due_on = F("round__due_on")
    if state == ReportState.PENDING:
        return Q(submitted_at=None, round__due_on__gte=today)
    if state == ReportState.OVERDUE:
        return Q(submitted_at=None, round__due_on__lt=today)
    # The local date of submission against the due date: the due date's whole day counts.
    if state == ReportState.SUBMITTED:
        return Q(submitted_at__date__lte=due_on)
    if state == ReportState.LATE:
        return Q(submitted_at__date__gt=due_on)
    return Q()


def round_reports(
    user: User,
    round_: Round,
    *,
    state: str = "",
    flagged: str = "",
    evaluation: str = "",
    city_code: str = "",
    query: str = "",
    today: date | None = None,
) -> QuerySet[Report]:
    """Return the round's reports the user may see, filtered; units in announcement order."""
    today = today or timezone.localdate()
    reports = visible_reports(user).filter(round=round_).select_related("unit__organisation")
    if state:
        reports = reports.filter(state_filter(state, round_.due_on, today))
    if flagged == "yes":
        reports = reports.filter(flag_count__gt=0)
    if evaluation == "none":
        reports = reports.filter(evaluation="")
    elif evaluation:
        reports = reports.filter(evaluation=evaluation)
    if city_code:
        reports = reports.filter(unit__city_code=city_code)
    if query:
        reports = reports.filter(
            Q(unit__unit_name__icontains=query) | Q(unit__application__credit_code__icontains=query)
        )
    return reports.order_by("unit__category", "unit__city_code", "unit__position", "pk")


def state_counts(reports: QuerySet[Report], due_on: date, today: date | None = None) -> dict[str, int]:
    """Return how many of the reports are in each state, in one query."""
    today = today or timezone.localdate()
    counted = reports.aggregate(
        **{state: Count("pk", filter=state_filter(state, due_on, today)) for state in ReportState.values}
    )
    return {state: counted[state] or 0 for state in ReportState.values}


def reports_of_units(user: User) -> QuerySet[Report]:
    """Return a unit member's reports, newest round first."""
    if not user.is_applicant:
        return Report.objects.none()
    return visible_reports(user).order_by("-round__due_on", "unit__category")


# Every applicant page's menu asks whether there is a report to file; the answer is kept per person
# for OPEN_REPORT_SECONDS under a generation that opening or closing a round moves (so that the
# entry appears or goes at once in this process, and within that time in another process with its
# own cache, or for a person who joined or left a unit meanwhile: the report pages check anyway).
OPEN_REPORT_SECONDS = 60
_GENERATION_KEY = "shifan:tracking:rounds-generation"


def has_open_report(user: User) -> bool:
    """Whether the unit member has a report to file in a round still open (the nav shows the entry)."""
    if not user.is_authenticated or not user.is_applicant:
        return False
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(_GENERATION_KEY, generation, None)
        generation = cache.get(_GENERATION_KEY, generation)
    key = f"shifan:tracking:open-report:{generation}:{user.pk}"
    answer = cache.get(key)
    if answer is None:
        answer = visible_reports(user).filter(round__closed_at=None).exists()
        cache.set(key, answer, OPEN_REPORT_SECONDS)
    return bool(answer)


def forget_open_reports() -> None:
    """Make every person's menu ask again, now and after the commit: a round opened or closed."""
    cache.delete(_GENERATION_KEY)
    transaction.on_commit(lambda: cache.delete(_GENERATION_KEY))


def evaluation_counts(batch: Batch | None = None, *, today: date | None = None) -> dict[str, dict[str, int]]:
    """Return how many reports carry each evaluation and are in each state, over every round.

    `evaluations` holds one count per Evaluation value and "none" (not evaluated); `states` one per
    ReportState value, worked out against each report's own round. Narrowed to the units of one
    batch when `batch` is given. For the programme dashboard.
    """
    today = today or timezone.localdate()
    reports = Report.objects.all()
    if batch is not None:
        reports = reports.filter(unit__application__batch=batch)
    evaluations = dict.fromkeys([*Evaluation.values, "none"], 0)
    for row in reports.values("evaluation").annotate(count=Count("pk")):
        evaluations[row["evaluation"] or "none"] += row["count"]
    counted = reports.aggregate(
        **{state: Count("pk", filter=_state_in_its_round(state, today)) for state in ReportState.values}
    )
    states = {state: counted[state] or 0 for state in ReportState.values}
    return {"evaluations": evaluations, "states": states}


def revocations() -> QuerySet[Report]:
    """Return the reports whose evaluation revoked their unit, latest first (public)."""
    return (
        Report.objects.filter(evaluation=Evaluation.REVOKE)
        .select_related("unit", "round")
        .order_by("-evaluated_at", "-pk")
    )


def round_summaries(
    rounds: Iterable[Round], user: User, today: date | None = None
) -> dict[int, dict[str, Any]]:
    """Return, by round id, the counts of its reports the user sees: per state, flagged, total.

    One query for all the rounds: each report's state is judged against its own round's due date.
    """
    today = today or timezone.localdate()
    ids = [round_.pk for round_ in rounds]
    grouped = (
        visible_reports(user)
        .filter(round__in=ids)
        .order_by()
        .values("round")
        .annotate(
            total=Count("pk"),
            flagged=Count("pk", filter=Q(flag_count__gt=0)),
            **{state: Count("pk", filter=_state_in_its_round(state, today)) for state in ReportState.values},
        )
    )
    counted = {row["round"]: row for row in grouped}
    none = {"total": 0, "flagged": 0, **dict.fromkeys(ReportState.values, 0)}  # a round without reports
    summaries = {}
    for pk in ids:
        row = counted.get(pk, none)
        summaries[pk] = {
            "states": {state: row[state] for state in ReportState.values},
            "flagged": row["flagged"],
            "total": row["total"],
        }
    return summaries
