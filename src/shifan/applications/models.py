"""Applications (申报书), their revisions, attachments and immutable submitted snapshots.

State diagram (the states users know; later stages come with the review apps):

    draft 暂存 ──submit──▶ submitted 已提交 ──withdraw──▶ withdrawn 已撤回 ──submit──▶ submitted
                               │
                               ├─city returns──▶ returned 退回修改 ──submit──▶ submitted
                               ├─city declines─▶ declined 不予推荐
                               └─city recommends▶ recommended 已推荐 ▶ accepted 已受理 ▶ in review 评审中
                                                  ▶ proposed 拟认定 ▶ in notice 公示中 ▶ recognised 已认定
                                                  (or not selected 未入选)

Answers are edited only in the editable states (draft, returned, withdrawn). Every autosave is
one revision (who, when, the fields changed and their new values); every submission is one
snapshot whose SHA-256 digest covers the answers, the attachment hashes and the spec version. The
scan of the sealed commitment page, printed from a submitted book, is a `SealedScan` tied to the
snapshot that was current when it was uploaded.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shifan.accounts.models import Organisation
from shifan.core.models import TimeStampedModel
from shifan.programs.models import Batch


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("暂存")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回修改")
    WITHDRAWN = "withdrawn", _("已撤回")
    DECLINED = "declined", _("不予推荐")
    RECOMMENDED = "recommended", _("已推荐")
    ACCEPTED = "accepted", _("已受理")
    IN_REVIEW = "in_review", _("评审中")
    PROPOSED = "proposed", _("拟认定")
    NOT_SELECTED = "not_selected", _("未入选")
    IN_NOTICE = "in_notice", _("公示中")
    RECOGNISED = "recognised", _("已认定")


EDITABLE_STATES = frozenset({ApplicationState.DRAFT, ApplicationState.RETURNED, ApplicationState.WITHDRAWN})


class Application(TimeStampedModel):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="applications")
    category = models.CharField(_("申报类别"), max_length=20)  # the spec's category key
    state = models.CharField(_("状态"), max_length=20, choices=ApplicationState.choices, default="draft")
    answers = models.JSONField(_("填报内容"), default=dict)
    # Bumped by every save: a save based on an older version is checked for conflicts.
    version = models.PositiveIntegerField(default=0)
    number = models.CharField(_("申报编号"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申报书")
        verbose_name_plural = _("申报书")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "organisation", "category"], name="one_application_per_category_and_batch"
            ),
            models.UniqueConstraint(
                fields=["number"], condition=~models.Q(number=""), name="unique_application_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} · {self.category_name}"

    @property
    def category_spec(self) -> Any:
        return self.batch.category(self.category)

    @property
    def category_name(self) -> str:
        return str(self.category_spec.name)

    @property
    def form(self) -> Any:
        return self.category_spec.form

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class Revision(models.Model):
    """One save: the fields it changed, with their new values (earlier values are in earlier rows)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    # The page that saved it: saves of one page never conflict with each other.
    client_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "version"], name="one_revision_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.version}"

    @property
    def changed_fields(self) -> list[str]:
        return list(self.values)


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Stored under the content hash: names typed by applicants never reach the file system.
    return f"attachments/{instance.application.batch_id}/{instance.application_id}/{instance.sha256}"


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    field_key = models.CharField(max_length=80)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    kind = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Removed files stay stored: a submitted snapshot may refer to them.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def record(self) -> dict[str, Any]:
        """Return the attachment as a snapshot lists it (and the book prints it)."""
        return {
            "field": self.field_key,
            "name": self.original_name,
            "sha256": self.sha256,
            "size": self.size,
            "id": self.pk,
        }


class Snapshot(models.Model):
    """A submission, immutable: what the applicant sent, as the reviewers will see it."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="snapshots")
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    answers = models.JSONField()
    attachments = models.JSONField(default=list)
    spec_key = models.CharField(max_length=80)
    spec_version = models.CharField(max_length=40)
    spec_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["application", "sequence"], name="one_snapshot_per_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.number} #{self.sequence}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("Snapshots are immutable.")
        super().save(*args, **kwargs)

    @property
    def short_digest(self) -> str:
        return self.digest[:12]


class SealedScanKind(models.TextChoices):
    COMMITMENT = "commitment", _("盖章承诺页")


def sealed_scan_path(instance: "SealedScan", filename: str) -> str:
    # Stored under the content hash, like attachments: the uploaded name is kept in a column only.
    return f"sealed/{instance.application.batch_id}/{instance.application_id}/{instance.sha256}"


class SealedScan(models.Model):
    """A scan of a page printed from a submitted book, sealed and signed on paper.

    It belongs to the snapshot that was current when it was uploaded: the printed page carries
    that snapshot's number and digest. Uploading again adds a row; the latest of a kind is the
    current one, and the earlier rows stay as history.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="sealed_scans")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="sealed_scans")
    kind = models.CharField(_("类型"), max_length=20, choices=SealedScanKind.choices)
    file = models.FileField(upload_to=sealed_scan_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("盖章页扫描件")
        verbose_name_plural = _("盖章页扫描件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class NumberCounter(models.Model):
    """The last application number given in an application year and category (GD-SMD-2024-E-0001).

    By year, not by batch: the number carries only the year, and must stay unique when a year has
    more than one batch.
    """

    year = models.PositiveIntegerField()
    category = models.CharField(max_length=20)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="one_counter_per_year_and_category")
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.category}: {self.last}"


def sha256_of(chunks: Any) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
