"""Opening and changing batches."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from shifan.accounts.models import User
from shifan.core.services import record_event
from shifan.programs.models import Batch
from shifan.programs.registry import SpecFile


class BatchError(Exception):
    """Raised when a batch cannot be opened or changed as asked; `message` is for the officer."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _check_dates(opens_at: datetime, closes_at: datetime, city_deadline: datetime) -> None:
    if closes_at <= opens_at:
        raise BatchError("申报截止时间应晚于开始时间。", field="closes_at")
    if city_deadline < closes_at:
        raise BatchError("地市推荐截止时间不能早于申报截止时间。", field="city_deadline")


@transaction.atomic
def open_batch(
    *,
    actor: User,
    spec_file: SpecFile,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    city_deadline: datetime,
    quotas: dict[str, int] | None = None,
    **settings: Any,
) -> Batch:
    """Open a batch from a spec file; the batch keeps the file's text as it is now."""
    if not actor.is_province_officer:
        raise BatchError("只有省工信厅可以发布征集批次。")
    if spec_file.spec is None:
        raise BatchError(f"申报规格文件有误，不能发布：{spec_file.error}", field="spec_file")
    _check_dates(opens_at, closes_at, city_deadline)
    spec = spec_file.spec
    defaults = spec.defaults
    batch = Batch(
        name=name.strip() or spec.name,
        spec_key=spec.key,
        spec_version=spec.version,
        spec_digest=spec.digest,
        spec_source_name=spec_file.path.name,
        spec_text=spec_file.path.read_bytes().decode("utf-8"),
        application_year=spec.application_year,
        opens_at=opens_at,
        closes_at=closes_at,
        city_deadline=city_deadline,
        quotas=quotas or {category.key: category.quota for category in spec.categories},
        notice_working_days=settings.get("notice_working_days", defaults.notice_working_days),
        experts_per_application=settings.get("experts_per_application", defaults.experts_per_application),
        same_city_conflict=settings.get("same_city_conflict", defaults.same_city_conflict),
        recognition_valid_years=settings.get("recognition_valid_years", defaults.recognition_valid_years),
        **{key: settings[key] for key in REVIEW_SETTINGS if key in settings},
        opened_by=actor,
    )
    batch.full_clean()
    batch.save()
    record_event(
        actor=actor,
        action="batch.opened",
        target=batch,
        after={
            "spec": f"{spec.key} {spec.version}",
            "digest": spec.digest,
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
            "city_deadline": city_deadline.isoformat(),
            "quotas": batch.quotas,
        },
    )
    return batch


# Expert review settings with model defaults (the spec does not set them).
REVIEW_SETTINGS = (
    "expert_max_load",
    "aggregation_rule",
    "standardise_scores",
    "disagreement_threshold",
    "similar_units_to_experts",
    "review_deadline",
)

BATCH_EDITABLE_FIELDS = (
    "name",
    "opens_at",
    "closes_at",
    "city_deadline",
    "quotas",
    "notice_working_days",
    "experts_per_application",
    "same_city_conflict",
    "recognition_valid_years",
    "expert_max_load",
    "aggregation_rule",
    "standardise_scores",
    "disagreement_threshold",
    "similar_units_to_experts",
    "review_deadline",
)


@transaction.atomic
def update_batch(*, actor: User, batch: Batch, **changes: Any) -> Batch:
    """Change a batch's dates, quotas or settings (never its spec)."""
    if not actor.is_province_officer:
        raise BatchError("只有省工信厅可以修改征集批次。")
    unknown = set(changes) - set(BATCH_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    _check_dates(
        changes.get("opens_at", batch.opens_at),
        changes.get("closes_at", batch.closes_at),
        changes.get("city_deadline", batch.city_deadline),
    )
    before = {key: getattr(batch, key) for key in changes}
    for key, value in changes.items():
        setattr(batch, key, value)
    changed = [key for key in changes if getattr(batch, key) != before[key]]
    if not changed:
        return batch
    batch.full_clean()
    batch.save(update_fields=[*changed, "updated_at"])
    if "review_deadline" in changed:
        from shifan.expert_review.services import schedule_review_reminders

        transaction.on_commit(lambda: schedule_review_reminders(batch))

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        return value.isoformat() if isinstance(value, datetime) else value

    record_event(
        actor=actor,
        action="batch.updated",
        target=batch,
        before={key: plain(before[key]) for key in changed},
        after={key: plain(getattr(batch, key)) for key in changed},
    )
    return batch
