"""Background work: reminders before the due date and when overdue, without anyone clicking."""

from django_tasks import task


@task()
def send_tracking_reminders() -> int:
    """Send the reminders due now (each once); return how many were sent."""
    from shifan.tracking.services import send_reminders

    return send_reminders()
