"""Expert review: assignments with their score sheets, defences and site visits, the proposed list.

An `Assignment` is one expert reviewing one application: proposed by the solver (or an officer),
published to the expert, confirmed free of conflict by the expert on first opening, scored and
submitted. It is never deleted: a replaced or conflicted assignment is `removed` with its reason,
so the history of who was asked stays.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentState(models.TextChoices):
    PROPOSED = "proposed", _("待发布")
    PUBLISHED = "published", _("已发布")
    REMOVED = "removed", _("已撤销")


class AssignmentSource(models.TextChoices):
    SOLVER = "solver", _("自动分配")
    OFFICER = "officer", _("人工调整")


class Assignment(models.Model):
    batch = models.ForeignKey("programs.Batch", on_delete=models.CASCADE, related_name="assignments")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="expert_assignments"
    )
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(
        _("状态"), max_length=20, choices=AssignmentState.choices, default=AssignmentState.PROPOSED
    )
    source = models.CharField(
        max_length=20, choices=AssignmentSource.choices, default=AssignmentSource.SOLVER
    )
    # How well the expert's fields match the application (the solver's objective, higher is better)
    # and which fields matched, shown to the officer beside the pair.
    match = models.PositiveSmallIntegerField(_("匹配度"), default=0)
    matched_fields = models.JSONField(_("匹配领域"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when the expert, on first opening, confirms having no conflict with the applicant.
    confirmed_at = models.DateTimeField(_("确认无利益冲突"), null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    # The score sheet: {indicator key: "7.5"} and {indicator key: "comment"}.
    scores = models.JSONField(_("评分"), default=dict, blank=True)
    comments = models.JSONField(_("评语"), default=dict, blank=True)
    overall_comment = models.TextField(_("综合意见"), blank=True)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.CharField(_("退回重评原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["application_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "expert"],
                condition=~models.Q(state="removed"),
                name="one_live_assignment_per_pair",
            )
        ]
        indexes = [
            models.Index(fields=["batch", "state"]),
            models.Index(fields=["expert", "state"]),
            # What the batch's aggregation reads of each submitted sheet (`selectors.batch_results`,
            # the dashboard's check that the scores changed): the sheets' text stays unread.
            models.Index(
                fields=["batch", "state", "submitted_at", "application", "expert", "total"],
                name="assignment_submitted_totals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ← {self.expert_id}"

    @property
    def is_live(self) -> bool:
        return self.state != AssignmentState.REMOVED

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def status_label(self) -> str:
        if self.state == AssignmentState.REMOVED:
            return str(_("已撤销"))
        if self.submitted_at:
            return str(_("已提交"))
        if self.saved_at:
            return str(_("评分中"))
        if self.confirmed_at:
            return str(_("已确认回避情况"))
        return str(_("待评审"))


class HearingKind(models.TextChoices):
    DEFENCE = "defence", _("答辩")
    SITE_VISIT = "site_visit", _("现场考察")


class Hearing(models.Model):
    """A defence (答辩) or site visit (现场考察) and its effect on the application's score."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="hearings"
    )
    kind = models.CharField(_("方式"), max_length=20, choices=HearingKind.choices)
    held_on = models.DateField(_("日期"))
    panel = models.CharField(_("参加人员"), max_length=500)
    record = models.TextField(_("情况记录"))
    adjustment = models.DecimalField(_("分数调整"), max_digits=5, decimal_places=2, default=Decimal(0))
    reason = models.CharField(_("调整理由"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.held_on}"


class Selection(models.Model):
    """The province's mark on one application for the proposed list (拟认定名单)."""

    batch = models.ForeignKey("programs.Batch", on_delete=models.CASCADE, related_name="selections")
    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="selection"
    )
    category = models.CharField(max_length=20)
    selected = models.BooleanField(_("列入拟认定名单"), default=False)
    # The rank and score when the mark was made, and why it departs from the ranking if it does.
    rank = models.PositiveIntegerField(_("排名"))
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    departure_reason = models.CharField(_("调整理由"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "rank"]

    def __str__(self) -> str:
        return f"{self.application_id} {'✓' if self.selected else '✗'}"


class ProposedList(models.Model):
    """A batch's proposed list once fixed: applications moved to proposed or not selected."""

    batch = models.OneToOneField("programs.Batch", on_delete=models.CASCADE, related_name="proposed_list")
    fixed_at = models.DateTimeField(null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.batch_id} {'fixed' if self.fixed_at else 'open'}"


class ReviewReminder(models.Model):
    """A reminder of a batch's review deadline sent to one expert: `kind` is "before-3", "before-1"
    or "overdue"; each goes once (the unique constraint decides between two workers)."""

    batch = models.ForeignKey("programs.Batch", on_delete=models.CASCADE, related_name="review_reminders")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    # The deadline the reminder was about: a deadline moved later is reminded again.
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "expert", "kind", "deadline"], name="one_review_reminder_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.expert_id} {self.kind}"
