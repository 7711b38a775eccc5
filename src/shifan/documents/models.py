"""Bulk exports: one officer's request for every book of a selection as one ZIP.

    queued 排队中 ──worker picks it up──▶ running 生成中 ──▶ done 已完成
                                                       └──▶ failed 失败 (with the reason)

A job and its file are kept for `KEEP_DAYS` days: older ones are no longer listed or downloadable,
and the task deletes them when it next runs (a deleted job's file goes with it, see signals).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shifan.core import reference
from shifan.programs.models import Batch

KEEP_DAYS = 7


class ExportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


ACTIVE_STATES = (ExportState.QUEUED, ExportState.RUNNING)


def export_path(instance: "ExportJob", filename: str) -> str:
    # Named by the job, not by the selection: the Chinese name is given on download.
    return f"exports/{instance.created_at:%Y%m}/export-{instance.pk}.zip"


def selection_city_name(city_code: str) -> str:
    """Return the city of a selection: its name, or 全部城市 when blank."""
    return reference.city(city_code).name if city_code else str(_("全部城市"))


def selection_category_name(batch: Batch, category: str) -> str:
    """Return the category of a selection: its name in the batch's spec, or 全部类别 when blank."""
    if not category:
        return str(_("全部类别"))
    try:
        return str(batch.category(category).name)
    except KeyError:
        return category


def selection_state_name(state: str) -> str:
    """Return the application state of a selection: its label, or 全部状态 when blank."""
    from shifan.applications.models import ApplicationState

    if not state:
        return str(_("全部状态"))
    try:
        return str(ApplicationState(state).label)
    except ValueError:
        return state


class ExportJob(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.CASCADE, related_name="+"
    )
    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="+")
    city_code = models.CharField(_("城市"), max_length=6, blank=True)  # blank: every city
    category = models.CharField(_("申报类别"), max_length=20, blank=True)  # blank: every category
    # blank: every state
    application_state = models.CharField(_("申报状态"), max_length=20, blank=True, db_default="")
    state = models.CharField(
        _("状态"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    total = models.PositiveIntegerField(_("申报书份数"), default=0)
    done = models.PositiveIntegerField(_("已生成份数"), default=0)
    file = models.FileField(_("文件"), upload_to=export_path, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    error = models.TextField(_("失败原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # The last book written: a running job with none for a while has lost its worker.
    progressed_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量导出")
        verbose_name_plural = _("批量导出")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A second click, or a second tab, must not start the same export twice.
            models.UniqueConstraint(
                fields=["requested_by", "batch", "city_code", "category", "application_state"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_active_export_per_selection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch.name} · {self.city_name} · {self.category_name} · {self.state_name}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def city_name(self) -> str:
        return selection_city_name(self.city_code)

    @property
    def category_name(self) -> str:
        return selection_category_name(self.batch, self.category)

    @property
    def state_name(self) -> str:
        return selection_state_name(self.application_state)

    @property
    def expires_at(self) -> Any:
        return self.created_at + timedelta(days=KEEP_DAYS)

    @property
    def download_name(self) -> str:
        """Return the name the ZIP is saved under: the batch and the selection, readable."""
        parts = [self.batch.name, self.city_name, self.category_name, "申报书"]
        return "-".join(part.replace("/", "_") for part in parts) + ".zip"


def rendered_book_path(instance: "RenderedBook", filename: str) -> str:
    # From the snapshot's digest and the layout, never from a name anyone typed; the primary key
    # keeps two snapshots apart even if a hand-made one repeated another's digest.
    snapshot = instance.snapshot
    return (
        f"books/{instance.layout}/{snapshot.digest[:2]}/{snapshot.digest}-{snapshot.pk}.{instance.extension}"
    )


class RenderedBook(models.Model):
    """A submitted book as made once, PDF or Word, for one layout version (documents.rendered).

    The row is written after its file, so a file without a row (a render cut off while it was
    being saved) is never served.
    """

    snapshot = models.ForeignKey(
        "applications.Snapshot", verbose_name=_("提交版本"), on_delete=models.CASCADE, related_name="+"
    )
    extension = models.CharField(_("格式"), max_length=4)  # "pdf" or "docx"
    layout = models.CharField(_("版式版本"), max_length=40)
    file = models.FileField(_("文件"), upload_to=rendered_book_path, max_length=300)
    filename = models.CharField(_("文件名"), max_length=300)
    size = models.PositiveBigIntegerField(_("文件大小"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已生成的申报书")
        verbose_name_plural = _("已生成的申报书")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "extension", "layout"], name="one_render_per_layout")
        ]

    def __str__(self) -> str:
        return self.filename
