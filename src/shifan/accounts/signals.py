"""Signals the accounts app sends for later stages of the lifecycle to react to, and the login record.

Accounts comes first in the import order, so it cannot call the expert review; it says what
changed and the expert review (which connects in its AppConfig.ready) removes assignments that
became conflicts, inside the same transaction.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import Signal, receiver

from shifan.core.services import record_event

# Sent inside the transaction, with `actor` (User) and `profile` (ExpertProfile), whenever
# something that decides an expert's conflicts of interest changed: a declared conflict, the
# employer or its credit code, the city, or an earlier employment.
expert_conflicts_changed = Signal()


@receiver(user_logged_in)
def record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        record_event(actor=user, action="account.logged_in", target=user, city_code=user.city_code)
