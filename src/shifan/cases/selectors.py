"""Reads of typical cases: the public sees published cases of units not revoked; officers see all."""

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from shifan.cases.models import CasePicture, CaseState, TypicalCase
from shifan.core.models import AuditEvent
from shifan.publicity.models import DemonstrationUnit, UnitStatus

# ---------------------------------------------------------------------------------------------
# Public


def _public() -> QuerySet[TypicalCase]:
    # A revoked unit's cases leave the library by themselves, whatever their stored state.
    return TypicalCase.objects.filter(state=CaseState.PUBLISHED, unit__status=UnitStatus.ACTIVE)


def _search(queryset: QuerySet[TypicalCase], query: str) -> QuerySet[TypicalCase]:
    if query:
        queryset = queryset.filter(Q(title__icontains=query) | Q(unit__unit_name__icontains=query))
    return queryset


def public_cases(*, mode: str = "", city_code: str = "", query: str = "") -> QuerySet[TypicalCase]:
    """Published cases, newest first, each with its unit and first picture (three queries a page)."""
    queryset = (
        _public()
        .select_related("unit")
        .only(
            "id",
            "title",
            "summary",
            "mode",
            "mode_name",
            "city_name",
            "published_at",
            "unit__id",
            "unit__unit_name",
            "unit__category_name",
        )
        .prefetch_related(Prefetch("pictures", queryset=CasePicture.objects.order_by("position", "id")))
        .order_by("-published_at", "-id")
    )
    if mode:
        queryset = queryset.filter(mode=mode)
    if city_code:
        queryset = queryset.filter(city_code=city_code)
    return _search(queryset, query.strip())


def public_version() -> tuple[object, ...]:
    """Sum up, in one query, what the public library shows: which cases are in it (their number
    and the sum of their ids, which a revocation or a reinstatement changes), their newest change,
    and their pictures (added or removed, never edited)."""
    row = _public().aggregate(
        count=Count("id", distinct=True),
        ids=Sum("id", distinct=True),
        changed=Max("updated_at"),
        picture_count=Count("pictures"),
        newest_picture=Max("pictures__id"),
    )
    return tuple(row.values())


def public_filters() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the modes and the cities that published cases have, for the filters."""
    rows = list(_public().values_list("mode", "mode_name", "city_code", "city_name").distinct())
    modes = sorted({(mode, name) for mode, name, _code, _city in rows})
    cities = sorted({(code, city) for _mode, _name, code, city in rows})
    return modes, cities


def public_case(pk: int) -> tuple[TypicalCase, list[CasePicture]]:
    """Return a published case with its unit and announcement, and its pictures; 404 otherwise."""
    case = get_object_or_404(_public().select_related("unit__announcement"), pk=pk)
    return case, list(case.pictures.all())


def public_picture(pk: int, picture_pk: int) -> CasePicture:
    return get_object_or_404(CasePicture, case__in=_public(), case_id=pk, pk=picture_pk)


# ---------------------------------------------------------------------------------------------
# Province officers


def cases_for_officers(
    *, state: str = "", mode: str = "", city_code: str = "", query: str = ""
) -> QuerySet[TypicalCase]:
    queryset = TypicalCase.objects.select_related("unit").order_by("-updated_at", "-id")
    if state == "hidden":
        queryset = queryset.filter(state=CaseState.PUBLISHED).exclude(unit__status=UnitStatus.ACTIVE)
    elif state:
        queryset = queryset.filter(state=state)
    if mode:
        queryset = queryset.filter(mode=mode)
    if city_code:
        queryset = queryset.filter(city_code=city_code)
    return _search(queryset, query.strip())


def case_for_officer(pk: int) -> TypicalCase:
    return get_object_or_404(TypicalCase.objects.select_related("unit__announcement__batch"), pk=pk)


def picture_for_officer(pk: int, picture_pk: int) -> CasePicture:
    return get_object_or_404(CasePicture, case_id=pk, pk=picture_pk)


def units_for_cases() -> QuerySet[DemonstrationUnit]:
    """Recognised units a new case may be written from: not revoked, newest announcement first."""
    return (
        DemonstrationUnit.objects.filter(status=UnitStatus.ACTIVE)
        .select_related("announcement")
        .order_by("-announcement__issued_on", "category", "position")
    )


def case_history(case: TypicalCase) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type="cases.typicalcase", target_id=str(case.pk)).order_by(
        "-occurred_at", "-id"
    )
