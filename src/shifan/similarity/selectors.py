"""Who sees which similar pair, and what of it.

- The province sees every pair.
- A city officer sees a pair when it sees both applications (its own city's, submitted), or its
  own application and a published case: a pair across two cities is the province's alone.
- An expert sees the pairs of the applications it is assigned to and may open (its assignment
  confirmed, no conflict), with the other application's text but not its number or unit unless
  the batch allows it (`Batch.similar_units_to_experts`).
- Applicants see none.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shifan.accounts.models import User
from shifan.applications.models import Application
from shifan.applications.selectors import PRIVATE_STATES, applications_visible_to
from shifan.programs.models import Batch
from shifan.similarity.align import Aligned, align
from shifan.similarity.models import PairDecision, SimilarPair

SORTS = {
    "score": ("-score", "-id"),
    "-score": ("score", "id"),
    "number": ("application__number", "id"),
    "found": ("-found_at", "-id"),
    "decision": ("decision", "-score", "-id"),
}


def _expert_applications(user: User) -> QuerySet[Application]:
    from shifan.expert_review.selectors import open_assignments

    return Application.objects.filter(
        pk__in=open_assignments(user).exclude(confirmed_at=None).values("application_id")
    )


def reviewed_by(user: User) -> set[int]:
    """The ids of the applications an expert reviews (its assignments it may open, confirmed)."""
    return set(_expert_applications(user).values_list("pk", flat=True))


def live_pairs() -> QuerySet[SimilarPair]:
    """The pairs whose applications are both before the officers: a withdrawn application (or one
    not submitted again) belongs to its applicant alone, as on every other page."""
    live = Application.objects.exclude(state__in=PRIVATE_STATES).values("pk")
    return SimilarPair.objects.filter(application__in=live).filter(
        Q(other_application__in=live) | Q(other_case__isnull=False)
    )


def pairs_visible_to(user: User) -> QuerySet[SimilarPair]:
    pairs = live_pairs().select_related(
        "application__batch",
        "other_application__batch",
        "other_case",
        "batch",
        "other_batch",
        "decided_by",
    )
    if user.is_province_officer:
        return pairs
    if user.is_city_officer:
        own = applications_visible_to(user).values("pk")
        return pairs.filter(application__in=own).filter(
            Q(other_application__in=own) | Q(other_case__isnull=False)
        )
    if user.is_expert:
        assigned = _expert_applications(user).values("pk")
        return pairs.filter(Q(application__in=assigned) | Q(other_application__in=assigned))
    return pairs.none()


def pair_for(user: User, pk: int) -> SimilarPair:
    pair = pairs_visible_to(user).filter(pk=pk).first()
    if pair is None:
        raise Http404
    return pair


def shows_units(user: User, pair: SimilarPair) -> bool:
    """Whether the user sees the numbers and units of both sides (experts: if the batch allows)."""
    if not user.is_expert:
        return True
    return pair.batch.similar_units_to_experts and (
        pair.other_batch is None or pair.other_batch.similar_units_to_experts
    )


@dataclass
class Flag:
    """A pair as seen from one of its applications: the other side, and the score."""

    pair: SimilarPair
    other_label: str  # number and unit, the case's title, or a neutral name for experts
    score_percent: int
    sections: int


def side_label(pair: SimilarPair, application: Application | None, *, show_unit: bool) -> str:
    if application is None:
        return _("典型案例：%(title)s") % {"title": pair.other_case.title} if pair.other_case else ""
    if not show_unit:
        return _("另一份申报书")
    return f"{application.number} {application.applicant_name}".strip()


def flags_for(user: User, application: Application) -> list[Flag]:
    """The pairs of `application` the user sees, most alike first."""
    pairs = pairs_visible_to(user).filter(Q(application=application) | Q(other_application=application))
    flags = []
    for pair in pairs.order_by("-score", "-id")[:50]:
        other = pair.other_application if pair.application_id == application.pk else pair.application
        flags.append(
            Flag(
                pair=pair,
                other_label=side_label(pair, other, show_unit=shows_units(user, pair)),
                score_percent=round(pair.score * 100),
                sections=len(pair.matches),
            )
        )
    return flags


@dataclass
class Passage:
    """One pair of sections side by side, with their shared text marked."""

    anchor: str
    score_percent: int
    left_title: str
    right_title: str
    left: Aligned
    right: Aligned


def _field_label(application: Application | None, key: str) -> str:
    if application is None:
        return _("案例正文")
    try:
        return str(application.form.field(key).label)
    except KeyError:
        return key


def _answers(application: Application | None) -> dict[str, Any]:
    if application is None:
        return {}
    snapshot = application.snapshots.order_by("-sequence").first()
    return snapshot.answers if snapshot is not None else {}


def passages(pair: SimilarPair, limit: int = 20) -> list[Passage]:
    """The pair's matching sections, the pair's application on the left."""
    left_answers = _answers(pair.application)
    other = pair.other_application
    right_answers = _answers(other)
    found = []
    for n, match in enumerate(pair.matches[:limit], start=1):
        left_text = str(left_answers.get(match["field"]) or "")
        right_text = (
            pair.other_case.body
            if pair.other_case is not None
            else str(right_answers.get(match["other_field"]) or "")
        )
        left, right = align(left_text, right_text)
        found.append(
            Passage(
                anchor=f"passage-{n}",
                score_percent=round(match["score"] * 100),
                left_title=_field_label(pair.application, match["field"]),
                right_title=_field_label(other, match["other_field"]),
                left=left,
                right=right,
            )
        )
    return found


def batch_pairs(
    user: User, batch: Batch, *, sort: str = "score", decision: str | None = None
) -> QuerySet[SimilarPair]:
    """Every pair the user sees with an application of the batch (the province's list)."""
    pairs = pairs_visible_to(user).filter(Q(batch=batch) | Q(other_batch=batch))
    if decision is not None and decision in PairDecision.values:
        pairs = pairs.filter(decision=decision)
    return pairs.order_by(*SORTS.get(sort, SORTS["score"]))
