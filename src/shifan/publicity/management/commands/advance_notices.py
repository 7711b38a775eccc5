from typing import Any

from django.core.management.base import BaseCommand

from shifan.publicity.tasks import advance_notices


class Command(BaseCommand):
    help = "Open and close public notices whose dates have come (for cron, beside the task worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = advance_notices.call()
        self.stdout.write(f"{changed} notice(s) advanced")
