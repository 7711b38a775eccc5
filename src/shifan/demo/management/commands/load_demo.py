from typing import Any

from django.core.management.base import BaseCommand

from shifan.demo.loader import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = load_demo()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {DEMO_PASSWORD}）："))
        shown_cities = 0
        for account in accounts:
            if account.role.startswith("地市工信局"):
                shown_cities += 1
                if shown_cities > 3:
                    continue
            self.stdout.write(f"  {account.role:<24} {account.email:<36} {account.note}")
        self.stdout.write(
            "  地市工信局（其余18市）         <城市拼音>@shifan.example，如 zhanjiang@shifan.example"
        )
        self.stdout.write("")
