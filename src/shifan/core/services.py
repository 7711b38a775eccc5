"""Writes shared by every domain app: the audit trail."""

from typing import Any

from django.db import models, transaction

from shifan.core.models import AuditEvent


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_label: str = "",
    organisation_id: int | None = None,
    city_code: str = "",
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records.")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=str(actor) if actor is not None else "系统",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target) if target is not None else ""),
        organisation_id=organisation_id,
        city_code=city_code,
        reason=reason,
        before=before,
        after=after,
    )
