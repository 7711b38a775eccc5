from typing import Any

from django.core.management.base import BaseCommand

from shifan.expert_review.tasks import send_review_reminders


class Command(BaseCommand):
    help = "Send the experts' review-deadline reminders due now, each once (for cron, beside the worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_review_reminders.call()
        self.stdout.write(f"{sent} reminder(s) sent")
