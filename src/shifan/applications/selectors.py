"""Who sees which application: the one place that decides it."""

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from shifan.accounts.models import User
from shifan.accounts.selectors import prime_organisation_ids
from shifan.applications.models import (
    Application,
    ApplicationState,
    Attachment,
    SealedScan,
    SealedScanKind,
    Snapshot,
)

# Drafts and withdrawn applications belong to the applicant alone until they are submitted.
PRIVATE_STATES = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


def applications_visible_to(user: User) -> QuerySet[Application]:
    queryset = Application.objects.select_related("batch", "organisation")
    if user.is_applicant:
        return queryset.filter(organisation__memberships__user=user)
    if user.is_province_officer:
        return queryset.exclude(state__in=PRIVATE_STATES)
    if user.is_city_officer:
        return queryset.filter(city_code=user.city_code).exclude(state__in=PRIVATE_STATES)
    return queryset.none()


def application_for(user: User, pk: int) -> Application:
    try:
        application = applications_visible_to(user).get(pk=pk)
    except Application.DoesNotExist as error:
        raise Http404 from error
    if user.is_applicant:
        # Found through the person's membership, and a person belongs to one organisation (the
        # membership is one to one): the rules' organisation look-up needs no query of its own.
        prime_organisation_ids(user, {application.organisation_id})
    return application


def applications_of_own_organisation(user: User) -> QuerySet[Application]:
    if not user.is_applicant:
        return Application.objects.none()
    return applications_visible_to(user).order_by("-batch__opens_at", "category")


def attachment_for(user: User, application: Application, pk: int) -> Attachment:
    """Return an attachment of an application the user may see; officers see only submitted files."""
    queryset = application.attachments.all()
    if not user.is_applicant:
        submitted_ids = {
            item["id"]
            for snapshot in application.snapshots.all()
            for item in snapshot.attachments
            if "id" in item
        }
        queryset = queryset.filter(pk__in=submitted_ids)
    try:
        return queryset.get(pk=pk)
    except Attachment.DoesNotExist as error:
        raise Http404 from error


def live_attachments(application: Application) -> QuerySet[Attachment]:
    return application.attachments.filter(removed_at=None).select_related("uploaded_by")


def snapshot_for(application: Application, sequence: int) -> Snapshot:
    try:
        return application.snapshots.select_related("submitted_by").get(sequence=sequence)
    except Snapshot.DoesNotExist as error:
        raise Http404 from error


def latest_snapshot(application: Application) -> Snapshot | None:
    """Return the application's latest submission, or None before its first."""
    return application.snapshots.order_by("-sequence").first()


def latest_snapshots(application_ids: list[int]) -> dict[int, Snapshot]:
    """Return the latest snapshot of each application, by application id (one query)."""
    latest: dict[int, Snapshot] = {}
    snapshots = Snapshot.objects.filter(application_id__in=application_ids).only(
        "id", "application_id", "sequence", "digest", "submitted_at"
    )
    for snapshot in snapshots.order_by("sequence"):
        latest[snapshot.application_id] = snapshot
    return latest


# Sealed scans ---------------------------------------------------------------------------------

SCAN_MISSING = "missing"
SCAN_CURRENT = "current"
SCAN_STALE = "stale"


def scan_state(scan_sequence: int | None, latest_sequence: int | None) -> str:
    """Return whether the current scan was made for the latest submitted snapshot."""
    if scan_sequence is None:
        return SCAN_MISSING
    return SCAN_CURRENT if scan_sequence == latest_sequence else SCAN_STALE


@dataclass(frozen=True)
class SealedScanStatus:
    """An application's current sealed scan of one kind against its latest submitted snapshot."""

    scan: SealedScan | None
    latest: Snapshot | None
    withdrawn: bool

    @property
    def state(self) -> str:
        return scan_state(
            self.scan.snapshot.sequence if self.scan else None, self.latest.sequence if self.latest else None
        )


# A scan is shown with its snapshot's sequence and digest: not with the submitted content.
_SNAPSHOT_CONTENT = ("snapshot__answers", "snapshot__attachments", "snapshot__unit")


def sealed_scans_of(
    application: Application,
    kind: str = SealedScanKind.COMMITMENT,
    snapshots: list[Snapshot] | None = None,
) -> list[SealedScan]:
    """Return every scan of a kind uploaded for the application, the current (latest) first.

    `snapshots`, the application's versions a page has already read, give each scan its version
    instead of a join (and its content left out) in this query."""
    scans = application.sealed_scans.filter(kind=kind).select_related("uploaded_by")
    if snapshots is not None:
        versions = {snapshot.pk: snapshot for snapshot in snapshots}
        found = list(scans)
        if all(scan.snapshot_id in versions for scan in found):
            for scan in found:
                scan.snapshot = versions[scan.snapshot_id]
            return found
    return list(scans.select_related("snapshot").defer(*_SNAPSHOT_CONTENT))


_UNREAD: Any = object()


def sealed_scan_status(
    application: Application,
    kind: str = SealedScanKind.COMMITMENT,
    scans: list[SealedScan] | None = None,
    latest: Snapshot | None = _UNREAD,
) -> SealedScanStatus:
    """Return the current scan and the latest snapshot; pass `scans` and `latest` when already read."""
    if scans is None:
        scan = (
            application.sealed_scans.filter(kind=kind)
            .select_related("snapshot")
            .defer(*_SNAPSHOT_CONTENT)
            .first()
        )
    else:
        scan = scans[0] if scans else None
    return SealedScanStatus(
        scan=scan,
        latest=latest_snapshot(application) if latest is _UNREAD else latest,
        withdrawn=application.state == ApplicationState.WITHDRAWN,
    )


def sealed_scan_for(application: Application, pk: int) -> SealedScan:
    """Return a scan of an application already read through `application_for`."""
    try:
        return application.sealed_scans.get(pk=pk)
    except SealedScan.DoesNotExist as error:
        raise Http404 from error


def with_sealed_scan_sequences(
    queryset: QuerySet[Application], kind: str = SealedScanKind.COMMITMENT
) -> QuerySet[Application]:
    """Annotate the latest snapshot's sequence and that of the snapshot the current scan was made for."""
    scans = SealedScan.objects.filter(application=OuterRef("pk"), kind=kind).order_by("-uploaded_at", "-id")
    snapshots = Snapshot.objects.filter(application=OuterRef("pk")).order_by("-sequence")
    return queryset.annotate(
        scan_sequence=Subquery(scans.values("snapshot__sequence")[:1]),
        latest_sequence=Subquery(snapshots.values("sequence")[:1]),
    )
