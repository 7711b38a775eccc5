"""One messenger for every e-mail: rendered now, sent by a background task after commit.

A task can run twice (its worker killed before the queue recorded it as done: core.workers), so
`deliver_mail` marks the mail sent (`DeliveredMail`) once the mail server has taken it, and a
second run finds the mark. A kill between the server's acceptance and the mark's commit (one local
row) still sends twice; see docs/operations.md, "Crash safety". No transaction is held while the
mail server answers: on SQLite it would hold every writer's lock for as long.
"""

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django_tasks import task

from shifan.core.models import DeliveredMail
from shifan.core.taskqueue import enqueue_with_transaction


@task(takes_context=True)
def deliver_mail(context: Any, *, subject: str, body: str, to: list[str]) -> bool:
    """Send one mail unless an earlier run of this task sent it; return whether this run sent it.

    One worker runs a task at a time (it claims the task first), so the check and the mark need no
    lock between them."""
    key = str(context.task_result.id)
    if DeliveredMail.objects.filter(task_id=key).exists():
        return False
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    DeliveredMail.objects.get_or_create(task_id=key)
    return True


def queue_mail(*, to: list[str], subject: str, template: str, context: dict[str, object]) -> None:
    """Render a plain-text mail and send it once the surrounding transaction commits (never if it
    rolls back)."""
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    recipients = [address for address in to if address]
    if not recipients:
        return
    enqueue_with_transaction(deliver_mail, subject=subject, body=body, to=recipients)
