"""Public notice (公示), objections (异议) and the announcement (通告) of recognised units.

What the public reads is frozen when it is published: a notice's entries and an announcement's
units keep the names, cities and modes as they stood that day, so a later rename changes nothing
already published. The phase of a notice is always computed from its dates; its stored `state`
only records which of the phase's effects (applications 公示中, officers notified) have been applied.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shifan.core.models import TimeStampedModel


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("工作日（调休上班）")


class CalendarOverride(models.Model):
    """A day the province declares a holiday or a workday, for years the holiday package lacks."""

    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    note = models.CharField(_("说明"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """A year whose holiday arrangement the province marked complete, after entering or importing it.

    A year counts as covered when the holiday package knows it or when it is marked here: one
    override alone (a single 调休 day) no longer makes a whole year count as entered.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("已完整登记的年份")
        verbose_name_plural = _("已完整登记的年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class NoticePhase(models.TextChoices):
    SCHEDULED = "scheduled", _("待开始")
    OPEN = "open", _("公示中")
    CLOSED = "closed", _("公示期满")


DEFAULT_OBJECTION_RULES = (
    "任何单位或个人对公示名单有异议的，请在公示期内以实名方式提出，并提供必要的证明材料。"
    "个人提出异议的，须提供真实姓名和联系电话；单位提出异议的，须提供单位名称、统一社会信用代码和联系人。"
    "匿名或逾期提出的异议不予受理。"
)


class Notice(TimeStampedModel):
    batch = models.OneToOneField("programs.Batch", on_delete=models.PROTECT, related_name="notice")
    title = models.CharField(_("公示标题"), max_length=200)
    starts_on = models.DateField(_("公示开始日期"))
    working_days = models.PositiveSmallIntegerField(_("公示工作日"))
    ends_on = models.DateField(_("公示截止日期"))
    contact_office = models.CharField(_("联系处室"), max_length=100)
    contact_phone = models.CharField(_("联系电话"), max_length=40)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    contact_address = models.CharField(_("通讯地址"), max_length=200, blank=True)
    objection_rules = models.TextField(_("异议受理方式"), default=DEFAULT_OBJECTION_RULES)
    # Shown to officers when the period ran into a year the holiday calendar does not cover.
    calendar_warning = models.TextField(blank=True)
    # When a later holiday override moves the end the calendar gives and the province keeps the
    # published end anyway: the end the calendar gave then, and why it was kept.
    end_kept_for = models.DateField(null=True, blank=True)
    end_kept_reason = models.TextField(blank=True, db_default="")
    state = models.CharField(max_length=10, choices=NoticePhase.choices, default=NoticePhase.SCHEDULED)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def phase(self, today: date | None = None) -> str:
        """The phase by the dates (local time), whatever the worker has or has not done yet."""
        today = today or timezone.localdate()
        if today < self.starts_on:
            return NoticePhase.SCHEDULED
        if today <= self.ends_on:
            return NoticePhase.OPEN
        return NoticePhase.CLOSED

    def phase_label(self, today: date | None = None) -> str:
        return str(NoticePhase(self.phase(today)).label)

    def accepts_objections(self, today: date | None = None) -> bool:
        return self.phase(today) == NoticePhase.OPEN


class NoticeEntry(models.Model):
    """One proposed unit as published on the notice."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="notice_entries"
    )
    category = models.CharField(max_length=20)
    category_name = models.CharField(_("类别"), max_length=40)
    position = models.PositiveIntegerField(_("序号"))
    unit_name = models.CharField(_("单位名称"), max_length=200)
    city_code = models.CharField(max_length=6)
    city_name = models.CharField(_("所在地市"), max_length=20)
    modes = models.CharField(_("服务型制造模式"), max_length=300, blank=True)
    # Set when an upheld objection removes the unit from the list.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["category", "position"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "application"], name="one_entry_per_application")
        ]

    def __str__(self) -> str:
        return f"{self.category_name} {self.position} {self.unit_name}"


class ObjectorKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANISATION = "organisation", _("单位")


class ObjectionState(models.TextChoices):
    RECEIVED = "received", _("已受理，待核查")
    CHECKING = "checking", _("核查中")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


DECIDED_STATES = frozenset({ObjectionState.UPHELD, ObjectionState.DISMISSED})


class Objection(models.Model):
    """A real-name objection to one listed unit. The objector's identity is for province officers only."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    entry = models.ForeignKey(NoticeEntry, on_delete=models.PROTECT, related_name="objections")
    reference = models.CharField(_("受理编号"), max_length=24, unique=True)
    objector_kind = models.CharField(_("异议人类型"), max_length=20, choices=ObjectorKind.choices)
    name = models.CharField(_("姓名或单位名称"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=30)
    email = models.EmailField(_("电子邮箱"), blank=True)
    id_number = models.CharField(_("身份证号码"), max_length=18, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=100, blank=True)
    grounds = models.TextField(_("异议事实和理由"))
    state = models.CharField(
        _("状态"), max_length=20, choices=ObjectionState.choices, default=ObjectionState.RECEIVED
    )
    findings = models.TextField(_("核查情况"), blank=True)
    decision_reason = models.TextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_decided(self) -> bool:
        return self.state in DECIDED_STATES

    def unanswered_inquiries(self) -> list["Inquiry"]:
        return list(self.inquiries.filter(answered_at__isnull=True).order_by("asked_at", "id"))


def evidence_path(instance: "ObjectionEvidence", filename: str) -> str:
    # Stored under the content hash: names typed by the public never reach the file system.
    return f"objections/{instance.objection.notice_id}/{instance.objection_id}/{instance.sha256}"


class ObjectionEvidence(models.Model):
    """A file of an objection: the objector's evidence, or (with `inquiry`) one sent with an answer."""

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="evidence")
    inquiry = models.ForeignKey(
        "Inquiry", null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class InquiryAddressee(models.TextChoices):
    CITY = "city", _("所在地市工业和信息化局")
    UNIT = "unit", _("被异议单位")


class Inquiry(models.Model):
    """A province officer's request for an explanation, answered by the city bureau or the unit.

    The addressee sees only the officer's question, never the objection or its author.
    """

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="inquiries")
    addressee = models.CharField(_("核查对象"), max_length=10, choices=InquiryAddressee.choices)
    question = models.TextField(_("核查事项"))
    due_on = models.DateField(_("答复期限"), null=True, blank=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("情况说明"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("核查请求")
        verbose_name_plural = _("核查请求")
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"{self.objection_id} {self.addressee}"

    @property
    def closed_unanswered(self) -> bool:
        """Whether the objection was decided before this inquiry was answered: nothing is owed."""
        return self.answered_at is None and self.objection.state in DECIDED_STATES


class Announcement(TimeStampedModel):
    """The 通告 of recognised units: published once, never edited."""

    batch = models.OneToOneField("programs.Batch", on_delete=models.PROTECT, related_name="announcement")
    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="announcement")
    number = models.CharField(_("文号"), max_length=60, unique=True)
    title = models.CharField(_("通告标题"), max_length=200)
    issued_on = models.DateField(_("发布日期"))
    issuer = models.CharField(_("发布单位"), max_length=100, default="广东省工业和信息化厅")
    body = models.TextField(_("通告正文"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("通告")
        verbose_name_plural = _("通告")
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class UnitStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")


class DemonstrationUnit(TimeStampedModel):
    """A recognised demonstration enterprise or platform, as announced; followed in tracking."""

    announcement = models.ForeignKey(Announcement, on_delete=models.PROTECT, related_name="units")
    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="demonstration_unit"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="demonstration_units"
    )
    category = models.CharField(max_length=20)
    category_name = models.CharField(_("类别"), max_length=40)
    position = models.PositiveIntegerField(_("序号"))
    unit_name = models.CharField(_("单位名称"), max_length=200)
    city_code = models.CharField(max_length=6, db_index=True)
    city_name = models.CharField(_("所在地市"), max_length=20)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=UnitStatus.choices, default=UnitStatus.ACTIVE)
    # When the title was revoked (tracking's 撤销): the published announcement marks it with the date.
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    national_recommended = models.BooleanField(_("推荐参加国家级遴选"), default=False)
    national_priority = models.PositiveSmallIntegerField(_("推荐优先次序"), null=True, blank=True)
    national_note = models.TextField(_("推荐理由"), blank=True)

    class Meta:
        verbose_name = _("示范单位")
        verbose_name_plural = _("示范单位")
        ordering = ["announcement", "category", "position"]

    def __str__(self) -> str:
        return f"{self.unit_name}（{self.category_name}）"

    def is_valid(self, today: date | None = None) -> bool:
        """Recognised, not revoked, and within the validity period."""
        today = today or timezone.localdate()
        return self.status == UnitStatus.ACTIVE and self.valid_from <= today <= self.valid_until
