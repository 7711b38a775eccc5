"""Dynamic tracking (动态跟踪): reporting rounds, the units' reports, reminders and evaluations.

A report's state is never stored: `report_state` works it out from the submission time and the
round's due date on every read, so a report becomes 逾期未交 at midnight without any job running.
"""

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shifan.core.models import TimeStampedModel


class ReportState(models.TextChoices):
    PENDING = "pending", _("未提交")
    SUBMITTED = "submitted", _("已提交")
    OVERDUE = "overdue", _("逾期未交")
    LATE = "late", _("逾期提交")


class Evaluation(models.TextChoices):
    GOOD = "good", _("良好")
    ATTENTION = "attention", _("关注")
    RECTIFY = "rectify", _("整改")
    REVOKE = "revoke", _("撤销")


# The evaluations that need a written reason.
REASONED_EVALUATIONS = frozenset({Evaluation.ATTENTION, Evaluation.RECTIFY, Evaluation.REVOKE})
DEFAULT_REMINDER_DAYS = [7, 1]


class Round(TimeStampedModel):
    """A reporting round (报告轮次) the province opens for recognised units, with a due date."""

    title = models.CharField(_("报告名称"), max_length=200)
    year = models.PositiveIntegerField(_("报告年度"))
    # Empty: every category; otherwise the category key (enterprise, platform).
    category = models.CharField(_("类别"), max_length=20, blank=True)
    batch = models.ForeignKey(
        "programs.Batch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批次"),
    )
    due_on = models.DateField(_("截止日期"))
    reminder_days = models.JSONField(_("提前提醒天数"), default=list)
    note = models.TextField(_("说明"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告轮次")
        verbose_name_plural = _("报告轮次")
        ordering = ["-due_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date | None = None) -> bool:
        return (today or timezone.localdate()) > self.due_on


class Report(TimeStampedModel):
    """One unit's report in one round; created empty when the round opens."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("publicity.DemonstrationUnit", on_delete=models.PROTECT, related_name="reports")
    answers = models.JSONField(_("报告内容"), default=dict)
    saved_at = models.DateTimeField(_("暂存时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Written at submission: [{"kind", "reason", "figures": {...}}], read by the officer's list.
    flags = models.JSONField(_("提示"), default=list)
    flag_count = models.PositiveSmallIntegerField(default=0)
    evaluation = models.CharField(_("评价"), max_length=12, choices=Evaluation.choices, blank=True)
    evaluation_reason = models.TextField(_("评价理由"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("运行情况报告")
        verbose_name_plural = _("运行情况报告")
        ordering = ["round", "unit__category", "unit__position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="one_report_per_unit_and_round")
        ]

    def __str__(self) -> str:
        return f"{self.unit.unit_name} · {self.round.title}"

    def state(self, today: date | None = None) -> str:
        return report_state(self.submitted_at, self.round.due_on, today)

    def state_label(self, today: date | None = None) -> str:
        return str(ReportState(self.state(today)).label)


def report_state(submitted_at: datetime | None, due_on: date, today: date | None = None) -> str:
    """Return the report's state from its submission time and due date (a due day counts whole)."""
    if submitted_at is None:
        return ReportState.OVERDUE if (today or timezone.localdate()) > due_on else ReportState.PENDING
    return ReportState.LATE if timezone.localdate(submitted_at) > due_on else ReportState.SUBMITTED


def report_attachment_path(instance: "ReportAttachment", filename: str) -> str:
    # Stored under the content hash: names typed by units never reach the file system.
    return f"tracking/{instance.report.round_id}/{instance.report_id}/{instance.sha256}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    field_key = models.CharField(max_length=80)
    file = models.FileField(upload_to=report_attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    kind = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Reminder(models.Model):
    """A reminder sent for a report: `kind` is "before-7", "before-1" or "overdue"; each goes once."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at"]
        constraints = [models.UniqueConstraint(fields=["report", "kind"], name="one_reminder_per_kind")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"


def flag_summary(flags: list[dict[str, Any]]) -> str:
    return "；".join(str(flag.get("reason", "")) for flag in flags)
