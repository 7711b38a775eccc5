"""The city's decisions on submitted applications and its recommendation set, and the province's
formal review. Decisions are append-only history; `Recommendation` is the current state of a
recommended application (its opinion and rank within the city and category)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CityAction(models.TextChoices):
    RETURNED = "returned", _("退回修改")
    DECLINED = "declined", _("不予推荐")
    RECOMMENDED = "recommended", _("推荐")
    RECOMMENDATION_WITHDRAWN = "recommendation_withdrawn", _("撤回推荐")


class CityDecision(models.Model):
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="city_decisions"
    )
    snapshot = models.ForeignKey("applications.Snapshot", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("处理"), max_length=30, choices=CityAction.choices)
    text = models.TextField(_("意见或理由"))
    # {field key: comment}: shown to the applicant beside those fields after a return.
    field_comments = models.JSONField(_("逐项意见"), default=dict, blank=True)
    truthfulness_confirmed = models.BooleanField(_("已对材料真实性进行复核"), default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class Recommendation(models.Model):
    """A recommended application: the city's opinion and its rank in the city and category."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="recommendation"
    )
    batch = models.ForeignKey("programs.Batch", on_delete=models.CASCADE, related_name="+")
    city_code = models.CharField(max_length=6, db_index=True)
    category = models.CharField(max_length=20)
    opinion = models.TextField(_("推荐意见"))
    rank = models.PositiveIntegerField(_("排序"))
    recommended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recommended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["city_code", "category", "rank"]

    def __str__(self) -> str:
        return f"{self.city_code} {self.category} #{self.rank}"


def letter_path(instance: "CitySubmission", filename: str) -> str:
    return f"letters/{instance.batch_id}/{instance.city_code}/{instance.letter_sha256}.pdf"


class CitySubmission(models.Model):
    """A city's recommendation set for a batch: the sealed 推荐函 and the moment it was sent."""

    batch = models.ForeignKey("programs.Batch", on_delete=models.CASCADE, related_name="city_submissions")
    city_code = models.CharField(max_length=6)
    letter = models.FileField(_("推荐函"), upload_to=letter_path, blank=True, max_length=300)
    letter_name = models.CharField(max_length=255, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    letter_uploaded_at = models.DateTimeField(null=True, blank=True)
    letter_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the letter covered when it was uploaded: one entry per recommended application,
    # {"application": id, "number": ..., "snapshot": id, "sequence": n}. None for a letter
    # uploaded before this was recorded, which is then compared with nothing.
    letter_snapshots = models.JSONField(_("推荐函对应的申报书版本"), null=True, blank=True, default=None)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    # Set when the province gives the set back: the city may then act after its deadline too.
    reopened_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "city_code"], name="one_submission_per_city")]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.city_code}"


class FormalDecision(models.TextChoices):
    ACCEPTED = "accepted", _("受理")
    RETURNED_TO_CITY = "returned_to_city", _("退回地市")
    RETURNED_TO_APPLICANT = "returned_to_applicant", _("退回申报单位补充材料")


class FormalReview(models.Model):
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="formal_reviews"
    )
    decision = models.CharField(_("形式审查结果"), max_length=30, choices=FormalDecision.choices)
    reason = models.TextField(_("理由"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.decision}"
