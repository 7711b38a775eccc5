"""What city and province officers see of submitted applications, by batch."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shifan.accounts.models import User
from shifan.applications.models import Application, ApplicationState
from shifan.applications.selectors import (
    applications_visible_to,
    latest_snapshots,
    with_sealed_scan_sequences,
)
from shifan.core import reference
from shifan.eligibility.rules import Outcome
from shifan.programs.models import Batch
from shifan.reviews.models import CitySubmission, Recommendation

OUTCOMES = frozenset(str(outcome) for outcome in Outcome)

SORTS = {
    "submitted": "-submitted_at",
    "name": "unit_name",
    "number": "number",
    "state": "state",
}


def current_batch(batch_pk: str | None = None, among: list[Batch] | None = None) -> Batch | None:
    """Return the batch asked for, or the latest opened one; from `among` when the page read them."""
    if among is not None:
        now = timezone.now()
        opened = sorted((b for b in among if b.opens_at <= now), key=lambda b: (b.opens_at, b.pk))
        if batch_pk and batch_pk.isdigit():
            for candidate in opened:
                if candidate.pk == int(batch_pk):
                    return candidate
            raise Http404
        return opened[-1] if opened else None
    queryset = Batch.objects.filter(opens_at__lte=timezone.now())
    if batch_pk and batch_pk.isdigit():
        batch = queryset.filter(pk=int(batch_pk)).first()
        if batch is None:
            raise Http404
        return batch
    return queryset.order_by("-opens_at").first()


def review_queue(
    user: User,
    batch: Batch,
    *,
    query: str = "",
    category: str = "",
    state: str = "",
    outcome: str = "",
    city_code: str = "",
    sort: str = "submitted",
) -> QuerySet[Application]:
    """Return the batch's submitted applications the officer may see, filtered and sorted.

    Everything is done by the database, so a page of the queue costs the same however many
    applications the batch holds. Each row carries `scan_sequence` and `latest_sequence` (see
    `with_sealed_scan_sequences`); `outcome` keeps the applications whose latest eligibility check
    has at least one result of that outcome (`Application.eligibility_summary`).
    """
    queryset = with_sealed_scan_sequences(
        applications_visible_to(user).filter(batch=batch).select_related("recommendation")
    )
    if query:
        queryset = queryset.filter(
            Q(unit_name__icontains=query) | Q(number__icontains=query) | Q(credit_code__icontains=query)
        )
    if category:
        queryset = queryset.filter(category=category)
    if state:
        queryset = queryset.filter(state=state)
    if city_code and user.is_province_officer:
        queryset = queryset.filter(city_code=city_code)
    if outcome in OUTCOMES:
        queryset = queryset.filter(**{f"eligibility_summary__{outcome}__gt": 0})
    return queryset.order_by(SORTS.get(sort, "-submitted_at"), "pk")


def recommendations(batch: Batch, city_code: str) -> dict[str, list[Recommendation]]:
    """Return the city's recommendations by category key, in rank order."""
    grouped: dict[str, list[Recommendation]] = {}
    for item in (
        Recommendation.objects.filter(batch=batch, city_code=city_code)
        .select_related("application__organisation")
        .order_by("category", "rank")
    ):
        grouped.setdefault(item.category, []).append(item)
    return grouped


def city_progress(batch: Batch) -> list[dict[str, Any]]:
    """Return, per city, how many applications are in each state and whether its set was sent."""
    counts: dict[str, dict[str, int]] = {}
    for row in (
        Application.objects.filter(batch=batch)
        .exclude(state__in=[ApplicationState.DRAFT])
        .values("city_code", "state")
        .annotate(count=Count("id"))
    ):
        counts.setdefault(row["city_code"], {})[row["state"]] = row["count"]
    submissions = {s.city_code: s for s in CitySubmission.objects.filter(batch=batch)}
    rows = []
    for city in reference.cities():
        states = counts.get(city.code, {})
        rows.append(
            {
                "city": city,
                "submitted": states.get(ApplicationState.SUBMITTED, 0),
                "returned": states.get(ApplicationState.RETURNED, 0),
                "declined": states.get(ApplicationState.DECLINED, 0),
                "recommended": states.get(ApplicationState.RECOMMENDED, 0),
                "accepted": states.get(ApplicationState.ACCEPTED, 0),
                "withdrawn": states.get(ApplicationState.WITHDRAWN, 0),
                "total": sum(states.values()),
                "submission": submissions.get(city.code),
            }
        )
    return rows


def city_submission_for(user: User, batch: Batch, city_code: str) -> CitySubmission:
    """Return a city's submission record if the user may see it (own city, or any for the province)."""
    if not (user.is_province_officer or (user.is_city_officer and user.city_code == city_code)):
        raise Http404
    submission = CitySubmission.objects.filter(batch=batch, city_code=city_code).first()
    if submission is None:
        raise Http404
    return submission


RESUBMITTED = "resubmitted"
ADDED = "added"
REMOVED = "removed"


@dataclass(frozen=True)
class LetterDiscrepancy:
    """A way the city's recommendations differ from what its 推荐函 covered when it was uploaded."""

    kind: str  # RESUBMITTED, ADDED or REMOVED
    number: str
    organisation: str
    covered_sequence: int | None = None
    current_sequence: int | None = None


def letter_discrepancies(batch: Batch, city_code: str | None = None) -> dict[str, list[LetterDiscrepancy]]:
    """Return, by city, the recommended applications resubmitted since the letter, added or taken out.

    Cities whose letter matches (or whose letter recorded nothing) are left out.
    """
    submissions = CitySubmission.objects.filter(batch=batch, letter_snapshots__isnull=False).exclude(
        letter=""
    )
    if city_code is not None:
        submissions = submissions.filter(city_code=city_code)
    covered = {
        submission.city_code: {entry["application"]: entry for entry in submission.letter_snapshots or []}
        for submission in submissions
    }
    if not covered:
        return {}
    recommended: dict[str, set[int]] = {}
    for city, application_id in Recommendation.objects.filter(
        batch=batch, city_code__in=list(covered)
    ).values_list("city_code", "application_id"):
        recommended.setdefault(city, set()).add(application_id)
    ids = {pk for entries in covered.values() for pk in entries} | {
        pk for members in recommended.values() for pk in members
    }
    applications = Application.objects.select_related("organisation").in_bulk(ids)
    latest = latest_snapshots(list(ids))
    result: dict[str, list[LetterDiscrepancy]] = {}
    for city, entries in covered.items():
        now = recommended.get(city, set())
        found = []
        for pk, entry in entries.items():
            name = applications[pk].applicant_name if pk in applications else ""
            if pk not in now:
                found.append(LetterDiscrepancy(REMOVED, entry["number"], name, entry["sequence"]))
            elif pk in latest and latest[pk].pk != entry["snapshot"]:
                found.append(
                    LetterDiscrepancy(
                        RESUBMITTED, entry["number"], name, entry["sequence"], latest[pk].sequence
                    )
                )
        for pk in now - set(entries):
            application = applications[pk]
            current = latest[pk].sequence if pk in latest else None
            found.append(
                LetterDiscrepancy(ADDED, application.number, application.applicant_name, None, current)
            )
        if found:
            result[city] = sorted(found, key=lambda item: item.number)
    return result
