"""Who sees which application: the one place that decides it."""

from django.db.models import QuerySet
from django.http import Http404

from shifan.accounts.models import User
from shifan.applications.models import Application, ApplicationState, Attachment, Snapshot

# Drafts and withdrawn applications belong to the applicant alone until they are submitted.
PRIVATE_STATES = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


def applications_visible_to(user: User) -> QuerySet[Application]:
    queryset = Application.objects.select_related("batch", "organisation")
    if user.is_applicant:
        return queryset.filter(organisation__memberships__user=user)
    if user.is_province_officer:
        return queryset.exclude(state__in=PRIVATE_STATES)
    if user.is_city_officer:
        return queryset.filter(organisation__city_code=user.city_code).exclude(state__in=PRIVATE_STATES)
    return queryset.none()


def application_for(user: User, pk: int) -> Application:
    try:
        return applications_visible_to(user).get(pk=pk)
    except Application.DoesNotExist as error:
        raise Http404 from error


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
