"""People, organisations and their roles.

A user has exactly one role. Applicants belong to one organisation through a membership (the
organisation's administrator invites the others); city officers are bound to one city; experts
carry a profile used for conflicts of interest and assignment.
"""

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shifan.core import reference, uscc
from shifan.core.models import TimeStampedModel


class Role(models.TextChoices):
    APPLICANT = "applicant", _("申报单位")
    CITY_OFFICER = "city_officer", _("地市工信局")
    PROVINCE_OFFICER = "province_officer", _("省工信厅")
    EXPERT = "expert", _("评审专家")


# Officers and experts see data of many organisations: they must log in with a second factor.
TWO_FACTOR_ROLES = frozenset({Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.EXPERT})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("role", Role.PROVINCE_OFFICER)
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("电子邮箱"), unique=True)
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    city_code = models.CharField(_("所属城市"), max_length=6, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(default=False)
    is_demo = models.BooleanField(_("演示账号"), default=False)
    date_joined = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role=Role.CITY_OFFICER) | ~models.Q(city_code=""),
                name="city_officer_has_city",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.email}）" if self.name else self.email

    @property
    def requires_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES

    @property
    def city_name(self) -> str:
        return reference.city(self.city_code).name if self.city_code else ""

    def is_verified(self) -> bool:
        """Return whether the second factor was passed; django-otp's middleware replaces this per request."""
        return False

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def is_city_officer(self) -> bool:
        return self.role == Role.CITY_OFFICER

    @property
    def is_province_officer(self) -> bool:
        return self.role == Role.PROVINCE_OFFICER

    @property
    def is_expert(self) -> bool:
        return self.role == Role.EXPERT


class OrganisationNature(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INSTITUTION = "institution", _("事业单位")
    SOCIAL = "social", _("社会组织")
    OTHER = "other", _("其他")


class Organisation(TimeStampedModel):
    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    nature = models.CharField(_("单位性质"), max_length=20, choices=OrganisationNature.choices)
    city_code = models.CharField(_("所在城市"), max_length=6, db_index=True)
    county_code = models.CharField(_("区县"), max_length=6)
    address = models.CharField(_("注册地址"), max_length=300)
    contact_name = models.CharField(_("联系人"), max_length=100)
    contact_phone = models.CharField(_("联系电话"), max_length=30)
    contact_email = models.EmailField(_("联系邮箱"))
    # The 深汕特别合作区 lies in 汕尾 but is run by 深圳: a province officer may set the region.
    region_override = models.CharField(_("所属区域（调整）"), max_length=10, blank=True)
    region_override_reason = models.TextField(_("区域调整理由"), blank=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def city(self) -> reference.City:
        return reference.city(self.city_code)

    @property
    def county_name(self) -> str:
        try:
            return reference.county(self.county_code).name
        except KeyError:
            return ""

    @property
    def region_key(self) -> str:
        return self.region_override or self.city.region.key

    @property
    def region_name(self) -> str:
        return next(r.name for r in reference.regions() if r.key == self.region_key)

    @property
    def credit_code_warnings(self) -> list[uscc.CreditCodeWarning]:
        return uscc.warnings(self.credit_code, self.city_code)


class Membership(TimeStampedModel):
    # One person, one organisation: an applicant account is the organisation's 申报人.
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    is_admin = models.BooleanField(_("单位管理员"), default=False)

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")
        ordering = ["-is_admin", "created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.user}"


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("电子邮箱"))
    name = models.CharField(_("姓名"), max_length=100)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    expires_at = models.DateTimeField(_("有效期至"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("成员邀请")
        verbose_name_plural = _("成员邀请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status_label(self) -> str:
        if self.accepted_at:
            return str(_("已接受"))
        if self.revoked_at:
            return str(_("已撤销"))
        if self.expires_at <= timezone.now():
            return str(_("已过期"))
        return str(_("待接受"))


class ExpertiseField(models.TextChoices):
    INDUSTRIAL_DESIGN = "工业设计服务", _("工业设计服务")
    CUSTOMISATION = "定制化服务", _("定制化服务")
    SUPPLY_CHAIN = "供应链管理", _("供应链管理")
    SHARED_MANUFACTURING = "共享制造", _("共享制造")
    TESTING = "检验检测认证", _("检验检测认证")
    LIFECYCLE = "全生命周期管理", _("全生命周期管理")
    TOTAL_INTEGRATION = "总集成总承包", _("总集成总承包")
    GREEN = "绿色制造服务", _("绿色制造服务")
    FINANCE = "生产性金融服务", _("生产性金融服务")
    PLATFORM_ECONOMY = "平台经济", _("平台经济")
    DIGITAL = "数字化转型", _("数字化转型")
    ACCOUNTING = "财务与投融资", _("财务与投融资")
    MANUFACTURING = "制造业", _("制造业")


class ExpertProfile(TimeStampedModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="expert_profile")
    employer = models.CharField(_("工作单位"), max_length=200)
    employer_credit_code = models.CharField(_("工作单位统一社会信用代码"), max_length=18, blank=True)
    city_code = models.CharField(_("所在城市"), max_length=6, blank=True)
    title = models.CharField(_("职称"), max_length=100, blank=True)
    expertise = models.JSONField(_("专业领域"), default=list, blank=True)
    industries = models.JSONField(_("熟悉行业"), default=list, blank=True)

    class Meta:
        verbose_name = _("专家信息")
        verbose_name_plural = _("专家信息")

    def __str__(self) -> str:
        return f"{self.user.name}（{self.employer}）"


class DeclaredConflict(TimeStampedModel):
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="declared_conflicts")
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    organisation_name = models.CharField(_("单位名称"), max_length=200)
    reason = models.CharField(_("回避理由"), max_length=300)

    class Meta:
        verbose_name = _("申明回避")
        verbose_name_plural = _("申明回避")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "credit_code"], name="one_declaration_per_organisation")
        ]

    def __str__(self) -> str:
        return f"{self.expert} ↔ {self.organisation_name}"


class PastEmployment(TimeStampedModel):
    """An organisation the expert worked for before: the expert review treats it as a conflict."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="past_employments")
    # Blank only when imported from a list that gave the code alone and the organisation is not
    # registered here; the code is what decides the conflict.
    employer = models.CharField(_("单位名称"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    until_year = models.PositiveSmallIntegerField(_("离职年份"), null=True, blank=True)

    class Meta:
        verbose_name = _("曾任职单位")
        verbose_name_plural = _("曾任职单位")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "credit_code"], name="one_past_employment_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} ← {self.employer or self.credit_code}"
