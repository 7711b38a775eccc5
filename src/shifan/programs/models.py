from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shifan.core.models import TimeStampedModel
from shifan.programs.spec import Category, ProgrammeSpec


class BatchPhase(models.TextChoices):
    UPCOMING = "upcoming", _("未开始")
    OPEN = "open", _("申报中")
    CITY_REVIEW = "city_review", _("地市推荐中")
    CLOSED = "closed", _("申报已截止")


class AggregationRule(models.TextChoices):
    TRIMMED_MEAN = "trimmed_mean", _("去掉一个最高分和一个最低分后取平均（五位及以上专家时）")
    MEAN = "mean", _("算术平均")


class Batch(TimeStampedModel):
    """A call for applications (征集批次), opened from a programme spec whose text it keeps."""

    name = models.CharField(_("批次名称"), max_length=200)
    spec_key = models.CharField(_("申报规格"), max_length=80)
    spec_version = models.CharField(_("规格版本"), max_length=40)
    spec_digest = models.CharField(_("规格摘要"), max_length=64)
    spec_source_name = models.CharField(max_length=200)
    # The exact text the batch was opened with: later edits of the file never change an open batch.
    spec_text = models.TextField()
    application_year = models.PositiveIntegerField(_("申报年度"))
    opens_at = models.DateTimeField(_("开始申报"))
    closes_at = models.DateTimeField(_("申报截止"))
    city_deadline = models.DateTimeField(_("地市推荐截止"))
    quotas = models.JSONField(_("名额"), default=dict)
    notice_working_days = models.PositiveSmallIntegerField(_("公示工作日"), default=7)
    experts_per_application = models.PositiveSmallIntegerField(_("每份申报专家数"), default=5)
    same_city_conflict = models.BooleanField(_("同城市专家回避"), default=True)
    recognition_valid_years = models.PositiveSmallIntegerField(_("认定有效期（年）"), default=3)
    expert_max_load = models.PositiveSmallIntegerField(_("每位专家最多评审份数"), default=20)
    aggregation_rule = models.CharField(
        _("专家分汇总方法"),
        max_length=20,
        choices=AggregationRule.choices,
        default=AggregationRule.TRIMMED_MEAN,
    )
    standardise_scores = models.BooleanField(_("按专家个人尺度标准化"), default=False)
    # The province's deadline for the experts' score sheets, shown on their tasks and reminded.
    review_deadline = models.DateTimeField(_("专家评审截止"), null=True, blank=True)
    disagreement_threshold = models.DecimalField(
        _("分歧提示阈值（标准差，分）"), max_digits=5, decimal_places=2, default=Decimal(10)
    )
    # Experts see the similar application's number and unit (shifan.similarity), not only its text.
    similar_units_to_experts = models.BooleanField(
        _("专家可见相似申报的编号和单位"), default=False, db_default=False
    )
    # A province officer's corrections of rule parameters for this batch: {rule: {param: value}}.
    rule_overrides = models.JSONField(_("资格条件参数调整"), default=dict, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("征集批次")
        verbose_name_plural = _("征集批次")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="closes_after_opening"
            ),
            models.CheckConstraint(
                condition=models.Q(city_deadline__gte=models.F("closes_at")),
                name="city_deadline_after_closing",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def spec(self) -> ProgrammeSpec:
        """The parsed spec: per process by its text (`spec_from_text`), and on this instance while
        its text is the same string (a list's rows ask it many times; looking the 38 kB text up
        again each time hashes it anew)."""
        from shifan.programs.registry import spec_from_text

        text = self.spec_text
        kept = self.__dict__.get("_parsed_spec")
        if kept is None or kept[0] is not text:
            kept = (text, spec_from_text(text, self.spec_source_name))
            self.__dict__["_parsed_spec"] = kept
        return kept[1]

    def category(self, key_or_code: str) -> Category:
        return self.spec.category(key_or_code)

    def phase(self, now: Any = None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return BatchPhase.UPCOMING
        if now < self.closes_at:
            return BatchPhase.OPEN
        if now < self.city_deadline:
            return BatchPhase.CITY_REVIEW
        return BatchPhase.CLOSED

    @property
    def phase_label(self) -> str:
        return str(BatchPhase(self.phase()).label)

    def is_open(self, now: Any = None) -> bool:
        return self.phase(now) == BatchPhase.OPEN

    @property
    def review_deadline_passed(self) -> bool:
        return self.review_deadline is not None and timezone.now() >= self.review_deadline

    def quota(self, category_key: str) -> int:
        return int(self.quotas.get(category_key, 0))
