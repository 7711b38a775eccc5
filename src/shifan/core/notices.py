"""One messenger for every notification: an in-app notice and an e-mail, after the commit.

The bell in every page's header shows the unread count. It is kept in the cache per person (as the
public notice pages are, so several server processes need the shared cache: docs/deployment.md)
and forgotten whenever a notice is created or read, at once and again after the commit, so that
a page rendered in between cannot keep the old count. It also expires after UNREAD_SECONDS, which
bounds how long a count can lag where each process has its own cache.
"""

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
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
    forget_unread_counts(person.pk for person in people)
    queue_mail(
        to=[person.email for person in people],
        subject=title,
        template="core/mail/notice.txt",
        context={"title": title, "body": body, "url": url},
    )
    return notices


def notices_of(user: Any) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient=user)


UNREAD_SECONDS = 60


def _unread_key(user_pk: Any) -> str:
    return f"shifan:notices:unread:{user_pk}"


def unread_count(user: Any) -> int:
    if not user.is_authenticated:
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notice.objects.filter(recipient=user, read_at=None).count()
        cache.set(key, count, UNREAD_SECONDS)
    return int(count)


def forget_unread_counts(user_pks: Iterable[Any]) -> None:
    """Drop the cached unread counts of these people, now and once the transaction commits."""
    keys = [_unread_key(pk) for pk in user_pks]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def mark_read(*, user: Any, notice: Notice | None = None) -> int:
    """Mark one notice (or all of them) read for its recipient."""
    queryset = Notice.objects.filter(recipient=user, read_at=None)
    if notice is not None:
        queryset = queryset.filter(pk=notice.pk)
    marked = queryset.update(read_at=timezone.now())
    forget_unread_counts([user.pk])
    return marked
