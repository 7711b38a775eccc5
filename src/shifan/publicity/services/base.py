"""What every publicity service shares: its errors, the province check, who to tell."""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from shifan.accounts.models import Role, User
from shifan.applications.models import Application
from shifan.publicity.models import (
    Notice,
    NoticeEntry,
)
from shifan.publicity.selectors import fresh_public_notice_key


class PublicityError(Exception):
    """Raised when a notice, objection or announcement action is not allowed; `message` says why."""

    def __init__(self, message: str, *, field: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []


class FieldErrors(PublicityError):
    """Raised when a form has bad or missing entries; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"有 {len(errors)} 处需要修改。")
        self.errors = errors


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise PublicityError("只有省工信厅可以办理公示公布。")


def _province_officers() -> list[User]:
    return list(User.objects.filter(role=Role.PROVINCE_OFFICER, is_active=True))


def _listed(notice: Notice) -> list[tuple[NoticeEntry, Application]]:
    """Return the entries still on the list with their applications, locked in one query."""
    entries = list(notice.entries.filter(removed_at=None).order_by("category", "position"))
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .in_bulk([entry.application_id for entry in entries])
    )
    return [(entry, locked[entry.application_id]) for entry in entries]


def _city_officers(city_code: str) -> list[User]:
    return list(User.objects.filter(role=Role.CITY_OFFICER, city_code=city_code, is_active=True))


def forget_public_notice(notice: Notice) -> None:
    """Drop the public page served without a check (views.PublicNoticeView): now, and again once
    this commits, since a reader in between may have stored the page as it was.

    This process (and every process, with the shared Redis cache) renders the change at the next
    request; with per-process caches the others do within `PublicNoticeView.FRESH_SECONDS`.
    """
    today = timezone.localdate()
    keys = [fresh_public_notice_key(notice.pk, today, code) for code, _name in settings.LANGUAGES]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
