"""Stored eligibility results and officers' own checks of the credit register.

The rule logic is in `rules.py` (pure functions). Results are stored when an application is
submitted, when an officer records a credit-register check, and when a province officer re-runs
the checks of a batch; every run is kept, the latest is the current one.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckTrigger(models.TextChoices):
    SUBMISSION = "submission", _("提交时")
    RERUN = "rerun", _("省厅重新运行")
    CREDIT_CHECK = "credit_check", _("信用核查后")


class EligibilityCheck(models.Model):
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="eligibility_checks"
    )
    snapshot = models.ForeignKey(
        "applications.Snapshot", on_delete=models.PROTECT, related_name="eligibility_checks"
    )
    results = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    blocking = models.BooleanField(_("有不符合项"), default=False)
    trigger = models.CharField(max_length=20, choices=CheckTrigger.choices)
    checked_at = models.DateTimeField(auto_now_add=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["application", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.application_id} {self.checked_at:%Y-%m-%d %H:%M}"


class CreditRegisterCheck(models.Model):
    """An officer's own look at the national credit register; it overrides the declaration."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="credit_checks"
    )
    # Named so as not to shadow Model.clean(): True when the register lists the unit nowhere.
    not_listed = models.BooleanField(_("未列入经营异常名录和严重违法失信企业名单"))
    note = models.CharField(_("核查说明"), max_length=500)
    checked_at = models.DateTimeField(auto_now_add=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application_id} {'not listed' if self.not_listed else 'listed'}"


class JudgeRole(models.TextChoices):
    CITY = "city", _("地市工信局")
    EXPERT = "expert", _("评审专家")


class Verdict(models.TextChoices):
    MET = "met", _("符合")
    NOT_MET = "not_met", _("不符合")
    UNCLEAR = "unclear", _("存疑")


class ConditionJudgment(models.Model):
    """A city officer's or an expert's judgment of one needs-judgment item of the checklist.

    The items are the results of a submitted version's check with the outcome judgment: the
    conditions the guide states in words (鲜明转型特点 …), and the figures the rules refer to the
    reviewers (negative net assets, a share below 20%). Every judgment is kept; a judge's latest
    on an item is the current one.
    """

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="condition_judgments"
    )
    snapshot = models.ForeignKey("applications.Snapshot", on_delete=models.PROTECT, related_name="+")
    rule_key = models.CharField(max_length=60)
    role = models.CharField(max_length=10, choices=JudgeRole.choices)
    verdict = models.CharField(_("判断"), max_length=10, choices=Verdict.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    judged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-judged_at", "-id"]
        indexes = [models.Index(fields=["application", "rule_key", "-judged_at"])]

    def __str__(self) -> str:
        return f"{self.application_id} {self.rule_key} {self.verdict}"
