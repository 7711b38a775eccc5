"""Typical cases (典型案例): a recognised unit's experience, written up and published by the province.

A case is written from one `DemonstrationUnit`; its city and the unit's name are read from the
unit, its mode is one of the programme's nine modes, frozen with its label so a later spec does
not rename a published case. States: draft → published → withdrawn (and withdrawn → published
again). A case of a revoked unit leaves the public library by itself (the public reads check the
unit's status), so revoking a unit needs no step here.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shifan.core.models import TimeStampedModel


class CaseState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤下")


class TypicalCase(TimeStampedModel):
    unit = models.ForeignKey(
        "publicity.DemonstrationUnit", on_delete=models.PROTECT, related_name="typical_cases"
    )
    title = models.CharField(_("案例标题"), max_length=100)
    summary = models.CharField(_("摘要"), max_length=300)
    mode = models.CharField(_("服务型制造模式"), max_length=40, db_index=True)
    mode_name = models.CharField(_("服务型制造模式"), max_length=40)
    city_code = models.CharField(max_length=6, db_index=True)
    city_name = models.CharField(_("所在地市"), max_length=20)
    body = models.TextField(_("案例正文"))
    state = models.CharField(
        _("状态"), max_length=10, choices=CaseState.choices, default=CaseState.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("撤下原因"), blank=True)

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("cases:case", kwargs={"pk": self.pk})

    @property
    def paragraphs(self) -> list[str]:
        """Return the text's paragraphs: one per non-blank line, as typed."""
        return [line.strip() for line in self.body.splitlines() if line.strip()]


def picture_path(instance: "CasePicture", filename: str) -> str:
    # Stored under the content hash: names typed by officers never reach the file system.
    return f"cases/{instance.case_id}/{filename}"


class CasePicture(models.Model):
    case = models.ForeignKey(TypicalCase, on_delete=models.CASCADE, related_name="pictures")
    file = models.FileField(upload_to=picture_path, max_length=300)
    # A smaller JPEG or PNG for lists and the page; the original opens on a click.
    thumbnail = models.FileField(upload_to=picture_path, max_length=300, blank=True)
    caption = models.CharField(_("图片说明"), max_length=100)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案例图片")
        verbose_name_plural = _("案例图片")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.caption
