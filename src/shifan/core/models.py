"""The append-only audit trail and the base model every domain model shares."""

import functools
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


@functools.cache
def _choice_labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    return dict(make_hashable(field.flatchoices))


class ChoiceLabels(models.Model):
    """`get_<field>_display()` from a table of the field's choices built once per process.

    Django's own builds that table at every call, hashing each choice's label, a lazy translation,
    and so translating every label of the field: on a list of thirty rows showing a state and a
    category, some five hundred translations a page. The labels in the table stay lazy, so each
    shows in the language of the request that shows it. Fields whose choices are computed at each
    use (a callable) are looked up as Django does.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:  # noqa: N802 - Django's name
        if isinstance(field.choices, CallableChoiceIterator):
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(make_hashable(value), value), strings_only=True)


class TimeStampedModel(ChoiceLabels):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One change, by one actor, written in the same transaction as the change itself."""

    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept beside the foreign key so the trail still reads right if the person is renamed.
    actor_label = models.CharField(_("操作人"), max_length=200, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    target_label = models.CharField(_("对象"), max_length=300, blank=True)
    organisation_id = models.BigIntegerField(_("单位编号"), null=True, blank=True, db_index=True)
    city_code = models.CharField(_("城市"), max_length=6, blank=True, db_index=True)
    reason = models.TextField(_("理由"), blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")

    @property
    def action_label(self) -> str:
        from shifan.core.audit import action_label

        return action_label(self.action)

    @property
    def before_items(self) -> list[tuple[str, str]]:
        from shifan.core.audit import describe_change

        return describe_change(self.before if isinstance(self.before, dict) else None)

    @property
    def after_items(self) -> list[tuple[str, str]]:
        from shifan.core.audit import describe_change

        return describe_change(self.after if isinstance(self.after, dict) else None)

    @property
    def actor_name(self) -> str:
        return self.actor_label.split("（", 1)[0]


class Notice(models.Model):
    """An in-app notice to one person (sent with an e-mail by `core.notices.notify`)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class TaskRetry(models.Model):
    """A failed background task queued again by an officer: at most one retry per failed task."""

    failed_task = models.OneToOneField(
        "django_tasks_database.DBTaskResult",
        verbose_name=_("失败的任务"),
        on_delete=models.CASCADE,
        related_name="shifan_retry",
    )
    # The queued task's id; not a foreign key, since a backend other than the database queue keeps no row.
    retry_task_id = models.CharField(_("重试任务编号"), max_length=64)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("重试人"), on_delete=models.PROTECT, related_name="+"
    )
    retried_at = models.DateTimeField(_("重试时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任务重试")
        verbose_name_plural = _("任务重试")

    def __str__(self) -> str:
        return f"{self.failed_task_id} → {self.retry_task_id}"


class DeliveredMail(models.Model):
    """The mark of a mail task that sent its mail (`core.mail.deliver_mail`), written as soon as
    the mail server has taken it: a task run again (its worker killed before the queue recorded it
    as done) finds the mark and sends nothing."""

    task_id = models.CharField(_("任务"), max_length=64, unique=True)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    objects: models.Manager["DeliveredMail"] = models.Manager()

    class Meta:
        verbose_name = _("已发送邮件")
        verbose_name_plural = _("已发送邮件")

    def __str__(self) -> str:
        return self.task_id
