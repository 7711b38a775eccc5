"""One messenger for every notification: an in-app notice and an e-mail, after the commit."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from shifan.core.mail import queue_mail
from shifan.core.models import Notice


def notify(*, recipients: Iterable[Any], title: str, body: str, url: str = "") -> list[Notice]:
    """Notify people in the app and by e-mail; call inside the transaction of the change."""
    people = [person for person in recipients if person is not None and person.is_active]
    notices = Notice.objects.bulk_create(
        Notice(recipient=person, title=title, body=body, url=url) for person in people
    )
    queue_mail(
        to=[person.email for person in people],
        subject=title,
        template="core/mail/notice.txt",
        context={"title": title, "body": body, "url": url},
    )
    return notices


def notices_of(user: Any) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient=user)


def unread_count(user: Any) -> int:
    if not user.is_authenticated:
        return 0
    return Notice.objects.filter(recipient=user, read_at=None).count()


def mark_read(*, user: Any, notice: Notice | None = None) -> int:
    """Mark one notice (or all of them) read for its recipient."""
    queryset = Notice.objects.filter(recipient=user, read_at=None)
    if notice is not None:
        queryset = queryset.filter(pk=notice.pk)
    return queryset.update(read_at=timezone.now())
