"""Reads for the public pages and for officers; the public ones run a fixed, small number of queries."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shifan.accounts.models import Membership, User
from shifan.expert_review.models import ProposedList
from shifan.programs.models import Batch
from shifan.publicity.models import (
    DECIDED_STATES,
    Announcement,
    DemonstrationUnit,
    Inquiry,
    InquiryAddressee,
    Notice,
    NoticeEntry,
    NoticePhase,
    Objection,
    UnitStatus,
)

# ---------------------------------------------------------------------------------------------
# Public


def public_notices(today: date | None = None) -> QuerySet[Notice]:
    """Notices that have started: the current ones and every past one."""
    today = today or timezone.localdate()
    return (
        Notice.objects.filter(starts_on__lte=today)
        .only("id", "title", "starts_on", "ends_on")  # what the list shows, and what it groups by
        .annotate(entry_count=Count("entries", filter=Q(entries__removed_at=None)))
        .order_by("-starts_on", "-id")
    )


@dataclass
class CategoryList:
    key: str
    name: str
    entries: list[NoticeEntry]


def grouped(entries: list[NoticeEntry]) -> list[CategoryList]:
    groups: dict[str, CategoryList] = {}
    for entry in entries:
        groups.setdefault(
            entry.category, CategoryList(entry.category, entry.category_name, [])
        ).entries.append(entry)
    return list(groups.values())


def public_notice(pk: int, today: date | None = None) -> tuple[Notice, list[NoticeEntry]]:
    """Return a started notice and its entries in list order, in two queries."""
    notice = started_notice(pk, today)
    return notice, notice_entries(notice)


def fresh_public_notice_key(pk: int, today: date, language: str) -> str:
    """Return the cache key of a notice's public page as served without asking the database."""
    return f"publicity:public_notice:{pk}:{today}:{language}"


def started_notice(pk: int, today: date | None = None) -> Notice:
    """Return the notice if it has started (404 otherwise)."""
    today = today or timezone.localdate()
    return get_object_or_404(Notice.objects.filter(starts_on__lte=today), pk=pk)


def notice_entries(notice: Notice) -> list[NoticeEntry]:
    """Return a notice's entries in list order, with what the public page shows."""
    return list(
        NoticeEntry.objects.filter(notice=notice)
        .only(
            "id",
            "notice_id",
            "category",
            "category_name",
            "position",
            "unit_name",
            "city_name",
            "modes",
            "removed_at",
        )
        .order_by("category", "position")
    )


def listed_entry(notice: Notice, entry_pk: int) -> NoticeEntry:
    return get_object_or_404(NoticeEntry, notice=notice, pk=entry_pk, removed_at=None)


def objection_by_reference(reference: str, phone: str) -> Objection | None:
    """Return the objection with this reference if the phone matches; None otherwise."""
    reference = reference.strip().upper()
    phone = phone.strip().replace(" ", "")
    if not reference or not phone:
        return None
    return (
        Objection.objects.filter(reference=reference, phone=phone).select_related("entry", "notice").first()
    )


def objection_received(reference: str) -> Objection:
    """Return an objection for the page right after filing (reached by a signed, short-lived link)."""
    return get_object_or_404(Objection.objects.select_related("entry", "notice"), reference=reference)


def public_lists_version(today: date) -> tuple[object, ...]:
    """Sum up what the public list of notices and announcements shows on `today`, in two queries.

    Notices: which have started, and their newest change (a removed entry moves its notice's
    `updated_at`, as the public notice's own page relies on); announcements: how many, and their
    newest change (their units are written once, as they are issued).
    """
    started = Notice.objects.filter(starts_on__lte=today)
    notices = started.aggregate(count=Count("id"), changed=Max("updated_at"))
    announcements = Announcement.objects.aggregate(count=Count("id"), changed=Max("updated_at"))
    return (today, *notices.values(), *announcements.values())


def public_announcements() -> QuerySet[Announcement]:
    return (
        Announcement.objects.only("id", "title", "number", "issued_on")
        .annotate(unit_count=Count("units"))
        .order_by("-issued_on", "-id")
    )


def public_announcement(pk: int) -> tuple[Announcement, list[DemonstrationUnit]]:
    """Return an announcement (with its batch, for the year) and its units, in two queries."""
    announcement = get_object_or_404(
        Announcement.objects.select_related("batch").only(
            "id", "title", "number", "issued_on", "issuer", "body", "batch__id", "batch__application_year"
        ),
        pk=pk,
    )
    # The columns the published list shows, and what it groups by.
    units = list(
        announcement.units.only(
            "id",
            "announcement_id",
            "category",
            "category_name",
            "position",
            "unit_name",
            "city_code",
            "city_name",
            "valid_from",
            "valid_until",
            "status",
            "revoked_at",
        ).order_by("category", "position")
    )
    return announcement, units


def announcement_revision(pk: int) -> str:
    """Return what changes on a published announcement's page: its units revoked since, and when."""
    figures = DemonstrationUnit.objects.filter(announcement_id=pk, status=UnitStatus.REVOKED).aggregate(
        count=Count("pk"), last=Max("revoked_at")
    )
    return f"{figures['count']}-{figures['last'].timestamp() if figures['last'] else 0}"


# ---------------------------------------------------------------------------------------------
# Province officers


def batches_awaiting_notice() -> QuerySet[Batch]:
    """Batches whose proposed list is fixed and which have no notice yet."""
    fixed = ProposedList.objects.filter(fixed_at__isnull=False).values("batch_id")
    return Batch.objects.filter(pk__in=fixed, notice__isnull=True).order_by("-application_year", "-id")


def notices_for_officers() -> QuerySet[Notice]:
    return (
        Notice.objects.select_related("batch", "announcement")
        .defer("batch__spec_text")
        .annotate(
            entry_count=Count("entries", filter=Q(entries__removed_at=None), distinct=True),
            objection_count=Count("objections", distinct=True),
            pending_count=Count("objections", filter=~Q(objections__state__in=DECIDED_STATES), distinct=True),
        )
        .order_by("-starts_on", "-id")
    )


def notices_behind_their_dates(today: date | None = None) -> list[Notice]:
    """Notices whose stored phase lags behind the one their dates give."""
    today = today or timezone.localdate()
    return list(
        Notice.objects.filter(
            Q(state=NoticePhase.SCHEDULED, starts_on__lte=today)
            | Q(state=NoticePhase.OPEN, ends_on__lt=today)
        )
    )


def objections_of(notice: Notice, *, state: str = "", query: str = "") -> QuerySet[Objection]:
    objections = notice.objections.select_related("entry").order_by("-submitted_at", "-id")
    if state == "pending":
        objections = objections.exclude(state__in=DECIDED_STATES)
    elif state:
        objections = objections.filter(state=state)
    if query:
        objections = objections.filter(
            Q(reference__icontains=query) | Q(entry__unit_name__icontains=query) | Q(name__icontains=query)
        )
    return objections


def objection_for_officer(pk: int) -> Objection:
    return get_object_or_404(
        Objection.objects.select_related("entry__application", "notice__batch", "decided_by"), pk=pk
    )


def units(
    *, batch_id: str = "", category: str = "", city_code: str = "", national: str = "", query: str = ""
):
    queryset = DemonstrationUnit.objects.select_related("announcement").order_by(
        "-announcement__issued_on", "category", "position"
    )
    if batch_id.isdigit():
        queryset = queryset.filter(announcement__batch_id=int(batch_id))
    if category:
        queryset = queryset.filter(category=category)
    if city_code:
        queryset = queryset.filter(city_code=city_code)
    if national == "yes":
        queryset = queryset.filter(national_recommended=True).order_by("national_priority", "id")
    if query:
        queryset = queryset.filter(unit_name__icontains=query)
    return queryset


# ---------------------------------------------------------------------------------------------
# City officers and units: inquiries addressed to them


def inquiries_for(user: User) -> QuerySet[Inquiry]:
    """Inquiries the user may read and answer; never the objection's author or text."""
    inquiries = Inquiry.objects.select_related("objection__entry", "objection__notice").order_by(
        "answered_at", "-asked_at"
    )
    if user.is_city_officer:
        return inquiries.filter(addressee=InquiryAddressee.CITY, objection__entry__city_code=user.city_code)
    if user.is_applicant:
        organisations = Membership.objects.filter(user=user).values("organisation_id")
        return inquiries.filter(
            addressee=InquiryAddressee.UNIT, objection__entry__application__organisation_id__in=organisations
        )
    return inquiries.none()


def inquiry_for(user: User, pk: int) -> Inquiry:
    try:
        return inquiries_for(user).get(pk=pk)
    except Inquiry.DoesNotExist:
        raise Http404("没有这项核查请求。") from None
