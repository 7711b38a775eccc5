"""Role-scoped reads of organisations, people and the audit trail.

This is the one place that decides who sees which organisation or account. Views fetch objects
only through these functions, so an id outside the reader's row is simply not found (404).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessFailureLog
from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Mod, StrIndex, Substr
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone

from shifan.accounts.models import (
    ExpertProfile,
    Invitation,
    Membership,
    Organisation,
    OrganisationChange,
    OrganisationClaim,
    PastEmployment,
    Role,
    User,
    VerificationDocument,
    VerificationState,
)
from shifan.core import uscc
from shifan.core.models import AuditEvent


def organisations_visible_to(user: User) -> QuerySet[Organisation]:
    """Return the organisations the user may see: all (province), one city's, or its own."""
    queryset = Organisation.objects.all()
    if user.is_province_officer:
        return queryset
    if user.is_city_officer:
        return queryset.filter(city_code=user.city_code)
    if user.is_applicant:
        return queryset.filter(memberships__user=user)
    return queryset.none()


def organisation_for(user: User, pk: int) -> Organisation:
    try:
        return organisations_visible_to(user).get(pk=pk)
    except Organisation.DoesNotExist as error:
        raise Http404 from error


def organisation_search(
    user: User, *, query: str = "", city_code: str = "", warnings_only: bool = False
) -> QuerySet[Organisation]:
    queryset = organisations_visible_to(user).annotate(member_count=Count("memberships"))
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()))
    if city_code:
        queryset = queryset.filter(city_code=city_code)
    if warnings_only:
        queryset = queryset.filter(_credit_code_warned())
    return queryset.order_by("city_code", "name")


_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _credit_code_warned() -> Q:
    """Return the organisations whose code `uscc.warnings` warns of, asked of the database.

    The same three warnings: an area outside Guangdong, an area in another city than the declared
    one (a province-level area excepted), and an organisation code (characters 9–17) whose check
    character is not the GB 11714 one. Codes are stored normalised (upper case), as `uscc.validate`
    leaves them.
    """
    area = Substr("credit_code", 3, 6)
    total: Any = Value(0)
    for position, weight in enumerate(uscc.ORG_CODE_WEIGHTS, start=9):
        total = total + Value(weight) * (StrIndex(Value(_BASE36), Substr("credit_code", position, 1)) - 1)
    # SQLite's MOD answers a real number (5.0): cast back to an integer before it becomes text.
    remainder = Value(11) - Cast(
        Mod(ExpressionWrapper(total, output_field=IntegerField()), 11), IntegerField()
    )
    check = Case(
        When(Exact(remainder, 10), then=Value("X")),
        When(Exact(remainder, 11), then=Value("0")),
        default=Cast(remainder, CharField()),
        output_field=CharField(),
    )
    outside = ~Q(Exact(Substr(area, 1, 2), uscc.GUANGDONG_PREFIX))
    other_city = (
        ~Q(city_code="")
        & ~Q(Exact(area, uscc.GUANGDONG_PROVINCE_AREA))
        & ~Q(Exact(Substr(area, 1, 4), Substr("city_code", 1, 4)))
    )
    return outside | other_city | ~Q(Exact(Substr("credit_code", 17, 1), check))


def membership_of(user: User) -> Membership | None:
    """Return the user's (first) membership with its organisation; the same read answers
    `organisation_ids_of` for the rest of the request."""
    if not user.is_authenticated or not user.is_applicant:
        return None
    memberships = list(Membership.objects.select_related("organisation").filter(user=user).order_by("pk"))
    prime_organisation_ids(user, (m.organisation_id for m in memberships))
    return memberships[0] if memberships else None


def prime_organisation_ids(user: User, organisation_ids: Iterable[int]) -> None:
    """Tell `organisation_ids_of` what a query of the request already established."""
    setattr(user, "_shifan_organisation_ids", frozenset(organisation_ids))  # noqa: B010


def organisation_ids_of(user: User) -> frozenset[int]:
    """Return the ids of the organisations the user belongs to.

    Read once per user object, that is once per request: a save asks twice (the page's check, then
    the service's), and on the deadline day every applicant saves every few seconds.
    """
    cached: frozenset[int] | None = getattr(user, "_shifan_organisation_ids", None)
    if cached is None:
        cached = frozenset(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        setattr(user, "_shifan_organisation_ids", cached)  # noqa: B010 - not a field of User
    return cached


def members_by_organisation(organisation_ids: Iterable[int]) -> dict[int, list[User]]:
    """Return the members of each organisation, in one query."""
    members: dict[int, list[User]] = {pk: [] for pk in organisation_ids}
    for membership in Membership.objects.filter(organisation_id__in=list(members)).select_related("user"):
        members[membership.organisation_id].append(membership.user)
    return members


def member_users(organisation_id: int) -> list[User]:
    """Return the people of one organisation, as `members_by_organisation` does for several."""
    return members_by_organisation([organisation_id])[organisation_id]


def city_officers(city_code: str) -> list[User]:
    """Return the active officers of one city's bureau: who acts next on its applicants' submissions."""
    return list(User.objects.filter(role=Role.CITY_OFFICER, city_code=city_code, is_active=True))


def province_officers() -> list[User]:
    """Return the active province officers: who acts next on a city's recommendation set."""
    return list(User.objects.filter(role=Role.PROVINCE_OFFICER, is_active=True))


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("-is_admin", "created_at")


def member_of_own_organisation(user: User, pk: int) -> Membership:
    """Return a membership of the user's own organisation, else 404."""
    membership = membership_of(user)
    if membership is None:
        raise Http404
    try:
        return members_of(membership.organisation).get(pk=pk)
    except Membership.DoesNotExist as error:
        raise Http404 from error


def invitations_of(organisation: Organisation) -> QuerySet[Invitation]:
    return organisation.invitations.select_related("invited_by").order_by("-created_at")


def invitation_of_own_organisation(user: User, pk: int) -> Invitation:
    membership = membership_of(user)
    if membership is None:
        raise Http404
    try:
        return invitations_of(membership.organisation).get(pk=pk)
    except Invitation.DoesNotExist as error:
        raise Http404 from error


def invitation_by_token(token: str) -> Invitation:
    try:
        return Invitation.objects.select_related("organisation").get(token=token)
    except Invitation.DoesNotExist as error:
        raise Http404 from error


# Verification and claims: officers see their city's, the province everything.


def _officer_city_filter(user: User, field: str) -> Q | None:
    """Return the filter of an officer's row (empty for the province), or None for anyone else."""
    if user.is_province_officer:
        return Q()
    if user.is_city_officer:
        return Q(**{field: user.city_code})
    return None


def organisations_awaiting_verification(
    user: User, *, query: str = "", state: str = VerificationState.PENDING
) -> QuerySet[Organisation]:
    """Return the organisations in the officer's verification queue, the longest waiting first.

    `state` other than 待核验 lists the organisations returned or refused, latest decision first.
    """
    row = _officer_city_filter(user, "city_code")
    if row is None:
        return Organisation.objects.none()
    queryset = Organisation.objects.filter(row, verification_state=state).exclude(
        verification_state=VerificationState.VERIFIED
    )
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()))
    if state == VerificationState.PENDING:
        # Waiting for its documents, an organisation is not yet the officer's to act on.
        return queryset.exclude(verification_requested_at=None).order_by("verification_requested_at", "pk")
    return queryset.order_by("-verified_at", "-pk")


def organisation_to_verify(user: User, pk: int) -> Organisation:
    """Return an organisation of the officer's row for the verification page, else 404."""
    row = _officer_city_filter(user, "city_code")
    if row is None:
        raise Http404
    try:
        return Organisation.objects.filter(row).get(pk=pk)
    except Organisation.DoesNotExist as error:
        raise Http404 from error


def claims_visible_to(user: User, *, state: str = "", query: str = "") -> QuerySet[OrganisationClaim]:
    """Return the claims an officer decides: on the organisations of the city, or all (province)."""
    row = _officer_city_filter(user, "organisation__city_code")
    if row is None:
        return OrganisationClaim.objects.none()
    queryset = OrganisationClaim.objects.filter(row).select_related("organisation")
    if state:
        queryset = queryset.filter(state=state)
    if query:
        queryset = queryset.filter(
            Q(organisation__name__icontains=query)
            | Q(organisation__credit_code__icontains=query.upper())
            | Q(organisation_name__icontains=query)
            | Q(claimant_name__icontains=query)
        )
    return queryset.order_by("-created_at", "-pk")


def claim_for(user: User, pk: int) -> OrganisationClaim:
    try:
        return claims_visible_to(user).select_related("decided_by").get(pk=pk)
    except OrganisationClaim.DoesNotExist as error:
        raise Http404 from error


def verification_document_for(user: User, pk: int) -> VerificationDocument:
    """Return a scan to its readers: the organisation's own to members and officers, a claim's to officers."""
    try:
        document = VerificationDocument.objects.select_related("organisation").get(pk=pk)
    except VerificationDocument.DoesNotExist as error:
        raise Http404 from error
    city_code = document.organisation.city_code
    officer = user.is_province_officer or (user.is_city_officer and user.city_code == city_code)
    # A member sees what the present members handed in, not the scans of people an upheld claim removed.
    member = (
        document.claim_id is None
        and document.uploaded_by_id is not None
        and document.organisation_id in organisation_ids_of(user)
        and Membership.objects.filter(
            organisation_id=document.organisation_id, user_id=document.uploaded_by_id
        ).exists()
    )
    if not (officer or member):
        raise Http404
    return document


def accounts_visible_to(user: User, *, role: str = "", query: str = "") -> QuerySet[User]:
    """Return officer and expert accounts for a province officer; nothing for anyone else."""
    if not user.is_province_officer:
        return User.objects.none()
    # API clients' accounts (shifan.api) are managed on the clients' pages, not here.
    queryset = (
        User.objects.exclude(role=Role.APPLICANT).filter(api_client=None).select_related("expert_profile")
    )
    if role:
        queryset = queryset.filter(role=role)
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(email__icontains=query))
    return queryset.order_by("role", "city_code", "name")


def account_for(user: User, pk: int) -> User:
    try:
        return accounts_visible_to(user).get(pk=pk)
    except User.DoesNotExist as error:
        raise Http404 from error


def expert_profile_of(user: User) -> ExpertProfile:
    if not user.is_expert:
        raise Http404
    profile, _created = ExpertProfile.objects.get_or_create(user=user, defaults={"employer": ""})
    return profile


def expert_profile_for(user: User, pk: int) -> ExpertProfile:
    """Return the profile of the expert account `pk` for a province officer; 404 for any other account."""
    if not user.is_province_officer:
        raise Http404
    try:
        return ExpertProfile.objects.select_related("user").get(user_id=pk, user__role=Role.EXPERT)
    except ExpertProfile.DoesNotExist as error:
        raise Http404 from error


def past_employments_of(profile: ExpertProfile) -> QuerySet[PastEmployment]:
    return profile.past_employments.order_by(F("until_year").desc(nulls_last=True), "employer")


def account_roles_by_email(user: User, emails: Iterable[str]) -> dict[str, str]:
    """Return the role of each address that already has an account, for a province officer's import."""
    if not user.is_province_officer:
        return {}
    wanted = {email.strip().lower() for email in emails}
    found = User.objects.filter(email__in=wanted).values_list("email", "role")
    return {email.lower(): role for email, role in found}


def experts_by_email(user: User, emails: Iterable[str]) -> dict[str, ExpertProfile]:
    """Return the profiles of the experts with these addresses, their earlier employers loaded."""
    if not user.is_province_officer:
        return {}
    wanted = {email.strip().lower() for email in emails}
    profiles = (
        ExpertProfile.objects.filter(user__email__in=wanted, user__role=Role.EXPERT)
        .select_related("user")
        .prefetch_related(
            Prefetch("past_employments", queryset=PastEmployment.objects.only("expert", "credit_code"))
        )
    )
    return {profile.user.email.lower(): profile for profile in profiles}


def audit_events_visible_to(user: User, *, action: str = "", query: str = "") -> QuerySet[AuditEvent]:
    if not user.is_province_officer:
        return AuditEvent.objects.none()
    queryset = AuditEvent.objects.all()
    if action:
        queryset = queryset.filter(action__startswith=action)
    if query:
        queryset = queryset.filter(Q(actor_label__icontains=query) | Q(target_label__icontains=query))
    return queryset


def organisation_counts_by_city() -> dict[str, int]:
    rows = Organisation.objects.values("city_code").annotate(count=Count("id"))
    return {row["city_code"]: row["count"] for row in rows}


# Failed logins: axes keeps each one (`AccessFailureLog`) under the name that was typed, normalised
# to the account's lower-case e-mail address (`login_guard.username_of`). Only the account's own
# holder reads them: the reader is the account, so there is no id to try.
FAILED_LOGIN_DAYS = 90


@dataclass(frozen=True)
class FailedLogins:
    """How many failed logins an account had, and the latest one."""

    count: int
    last_at: datetime
    last_address: str


def failed_logins_of(user: User) -> QuerySet[AccessFailureLog]:
    """Return the failed logins on the user's own account in the last `FAILED_LOGIN_DAYS`, newest first."""
    if not user.requires_two_factor:
        return AccessFailureLog.objects.none()
    since = timezone.now() - timedelta(days=FAILED_LOGIN_DAYS)
    return AccessFailureLog.objects.filter(username=user.email.lower(), attempt_time__gte=since).order_by(
        "-attempt_time", "-pk"
    )


def failed_logins_by_address(user: User, *, limit: int = 20) -> list[dict[str, Any]]:
    """Return the addresses the user's account failed to log in from: count, first and last time."""
    return list(
        failed_logins_of(user)
        .order_by()
        .values("ip_address")
        .annotate(count=Count("pk"), first_at=Min("attempt_time"), last_at=Max("attempt_time"))
        .order_by("-last_at")[:limit]
    )


def failed_logins_since(user: User, since: datetime) -> FailedLogins | None:
    """Return the failed logins on the user's account after `since`, or None when there were none."""
    recent = failed_logins_of(user).filter(attempt_time__gt=since)
    last = recent.values("attempt_time", "ip_address").first()
    if last is None:
        return None
    return FailedLogins(
        count=recent.count(), last_at=last["attempt_time"], last_address=last["ip_address"] or ""
    )


def organisation_changes_visible_to(
    user: User, *, state: str = "", query: str = ""
) -> QuerySet[OrganisationChange]:
    """Return the change requests the user may see: the province's all, an administrator's own."""
    queryset = OrganisationChange.objects.select_related("organisation", "requested_by", "decided_by")
    if user.is_applicant:
        queryset = queryset.filter(organisation__memberships__user=user)
    elif not user.is_province_officer:
        return queryset.none()
    if state:
        queryset = queryset.filter(state=state)
    if query:
        queryset = queryset.filter(
            Q(organisation__name__icontains=query) | Q(organisation__credit_code__icontains=query)
        )
    return queryset.order_by("-created_at", "-id")


def organisation_change_for(user: User, pk: int) -> OrganisationChange:
    try:
        return organisation_changes_visible_to(user).get(pk=pk)
    except OrganisationChange.DoesNotExist as error:
        raise Http404 from error
