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
