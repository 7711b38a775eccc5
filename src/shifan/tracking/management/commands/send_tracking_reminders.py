from typing import Any

from django.core.management.base import BaseCommand

from shifan.tracking.tasks import send_tracking_reminders


class Command(BaseCommand):
    help = "Send the reminders of tracking reports due now, each once (for cron, beside the task worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_tracking_reminders.call()
        self.stdout.write(f"{sent} reminder(s) sent")
