"""One messenger for every e-mail: rendered now, sent by a background task after commit."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task


@task()
def deliver_mail(*, subject: str, body: str, to: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def queue_mail(*, to: list[str], subject: str, template: str, context: dict[str, object]) -> None:
    """Render a plain-text mail and send it once the surrounding transaction commits."""
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    recipients = [address for address in to if address]
    if not recipients:
        return
    transaction.on_commit(lambda: deliver_mail.enqueue(subject=subject, body=body, to=recipients))
