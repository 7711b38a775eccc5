"""Background work: reminders of the review deadline to experts with sheets not yet submitted."""

from django_tasks import task


@task()
def send_review_reminders() -> int:
    """Send the review-deadline reminders due now (each once); return how many were sent."""
    from shifan.expert_review.services import send_review_reminders as send

    return send()
