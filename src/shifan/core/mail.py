"""One messenger for every e-mail: rendered now, sent by a background task after commit.

A task can run twice (its worker killed before the queue recorded it as done: core.workers), so
`deliver_mail` marks the mail sent (`DeliveredMail`) in a transaction that is open while the mail
server takes the message, and a second run finds the mark. A kill between the server's acceptance
and that commit (one local row's commit) still sends twice; see docs/operations.md, "Crash safety".
"""

from typing import Any

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task

from shifan.core.models import DeliveredMail


@task(takes_context=True)
def deliver_mail(context: Any, *, subject: str, body: str, to: list[str]) -> bool:
    """Send one mail unless an earlier run of this task sent it; return whether this run sent it."""
    key = str(context.task_result.id)
    if DeliveredMail.objects.filter(task_id=key).exists():
        return False
    # Connected (and logged in) before the transaction: only the message itself is sent while the
    # mark's row is locked (on SQLite, while every writer waits).
    connection = get_connection()
    connection.open()
    try:
        with transaction.atomic():
            _mark, created = DeliveredMail.objects.get_or_create(task_id=key)
            if not created:  # a run of the same task at the same moment sent it
                return False
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, connection=connection)
    finally:
        connection.close()
    return True


def queue_mail(*, to: list[str], subject: str, template: str, context: dict[str, object]) -> None:
    """Render a plain-text mail and send it once the surrounding transaction commits."""
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    recipients = [address for address in to if address]
    if not recipients:
        return
    transaction.on_commit(lambda: deliver_mail.enqueue(subject=subject, body=body, to=recipients))
