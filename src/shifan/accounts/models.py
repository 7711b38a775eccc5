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
    # False only for an administrator who registered on their own and has not yet opened the link
    # mailed to them; invitations and activation links already prove the address they were sent to.
    email_verified = models.BooleanField(_("邮箱已验证"), default=True)
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


class VerificationState(models.TextChoices):
    PENDING = "pending", _("待核验")
    RETURNED = "returned", _("退回补正")
    REFUSED = "refused", _("不予核验")
    VERIFIED = "verified", _("已核验")


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
    # A self-registered organisation is unverified until its city officer (or the province) has
    # seen its business licence and the letter authorising its administrator: it may fill in
    # applications but not submit them. Organisations made before this check existed are verified.
    verification_state = models.CharField(
        _("核验状态"),
        max_length=10,
        choices=VerificationState.choices,
        default=VerificationState.PENDING,
        db_index=True,
    )
    # When the administrator last handed in both documents; the officers' queue is ordered by it.
    verification_requested_at = models.DateTimeField(_("提交核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User, verbose_name=_("核验人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verification_reason = models.TextField(_("核验意见"), blank=True)

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

    @property
    def is_verified(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED


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


class DocumentKind(models.TextChoices):
    LICENCE = "licence", _("营业执照")
    AUTHORISATION = "authorisation", _("授权书")


def document_path(instance: "VerificationDocument", filename: str) -> str:
    # Stored under the content hash, like every upload: the uploaded name is kept in a column only.
    return f"verification/{instance.organisation_id}/{instance.sha256}"


class VerificationDocument(models.Model):
    """A scan proving who an organisation is (营业执照) or who may act for it (授权书).

    Either the organisation's own, handed in by its administrator for verification, or part of a
    claim on the organisation's credit code. Uploading again adds a row: the latest of a kind is
    the current one, the earlier rows stay as history.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="verification_documents"
    )
    claim = models.ForeignKey(
        "OrganisationClaim", null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("材料类型"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    # Empty for a claim's documents: the claimant has no account until the claim is upheld.
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("核验材料")
        verbose_name_plural = _("核验材料")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class ClaimState(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("认领成立")
    REJECTED = "rejected", _("已驳回")


class OrganisationClaim(TimeStampedModel):
    """A company's claim that a credit code registered here by someone else is its own (认领申请).

    The claimant has no account yet: when the city officer (or the province) upholds the claim,
    an account is made for the claimant's e-mail address as the organisation's administrator and
    the earlier members lose access.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claims")
    # The name the claimant gives, from its licence: it may differ from the name registered.
    organisation_name = models.CharField(_("单位名称（营业执照）"), max_length=200)
    claimant_name = models.CharField(_("认领人姓名"), max_length=100)
    claimant_email = models.EmailField(_("认领人电子邮箱"))
    claimant_phone = models.CharField(_("认领人联系电话"), max_length=30)
    statement = models.TextField(_("认领说明"))
    state = models.CharField(
        _("状态"), max_length=10, choices=ClaimState.choices, default=ClaimState.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        User, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理意见"), blank=True)
    claimant = models.ForeignKey(
        User,
        verbose_name=_("认领人账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
    )
    # A claim filed after logging in through the business identity service: the verified claims
    # of that login (provider, subject, credit code, name), which stand in for the documents.
    # Nullable: added to a table in use without rebuilding it (tests/test_migration_safety.py).
    sso_evidence = models.JSONField(_("统一身份认证断言"), null=True, blank=True)

    class Meta:
        verbose_name = _("认领申请")
        verbose_name_plural = _("认领申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "claimant_email"],
                condition=models.Q(state="open"),
                name="one_open_claim_per_claimant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ← {self.organisation_name}（{self.claimant_name}）"


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


class ChangeState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已核准")
    REJECTED = "rejected", _("未核准")


# What an administrator may not change alone while the organisation has an application in review
# or an active demonstration unit: who it is and which city reviews it.
REVIEWED_FACTS = ("name", "city_code", "county_code")


class OrganisationChange(TimeStampedModel):
    """A request to change an organisation's name, city or county, decided by the province.

    Applications already submitted keep the facts they were submitted with: an approved change
    moves the organisation, never an application in review.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="changes")
    # The reviewed facts before and after, by field name (REVIEWED_FACTS).
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.TextField(_("变更理由"))
    state = models.CharField(
        _("状态"), max_length=10, choices=ChangeState.choices, default=ChangeState.PENDING
    )
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("单位信息变更申请")
        verbose_name_plural = _("单位信息变更申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(state="pending"),
                name="one_pending_change_per_organisation",
            )
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="organisation_change_queue")]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_state_display()}"

    def lines(self) -> list[tuple[str, str, str]]:
        """Return (label, before, after) of each requested change, with place names."""
        labels = {"name": _("单位名称"), "city_code": _("所在城市"), "county_code": _("区县")}
        result = []
        for key in REVIEWED_FACTS:
            if key in self.after and self.after[key] != self.before.get(key):
                result.append(
                    (str(labels[key]), _place(key, self.before.get(key, "")), _place(key, self.after[key]))
                )
        return result


def _place(key: str, value: str) -> str:
    try:
        if key == "city_code":
            return reference.city(value).name
        if key == "county_code":
            return reference.county(value).name
    except KeyError:
        pass
    return value


class ExternalIdentity(TimeStampedModel):
    """A person's identity at one of the province's identity services, linked to the account it opens.

    Linked on the first login by a claim the province configured (never by a display name) or, for
    a company, by the credit code; from then on the provider's subject alone finds the account.
    """

    provider = models.CharField(_("身份服务"), max_length=40)
    subject = models.CharField(_("身份标识（sub）"), max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    last_login_at = models.DateTimeField(_("最近登录"), null=True, blank=True)

    class Meta:
        verbose_name = _("统一身份认证关联")
        verbose_name_plural = _("统一身份认证关联")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="one_account_per_identity"),
            models.UniqueConstraint(fields=["provider", "user"], name="one_identity_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} → {self.user}"


class SsoSession(models.Model):
    """A Shifan session opened through a provider, found again when the provider ends its own
    session (back-channel logout names the provider's `sid`, or the `sub` for all of them)."""

    provider = models.CharField(max_length=40)
    sid = models.CharField(max_length=255, blank=True, db_index=True)
    subject = models.CharField(max_length=255, db_index=True)
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("统一身份认证会话")
        verbose_name_plural = _("统一身份认证会话")

    def __str__(self) -> str:
        return f"{self.provider}:{self.sid or self.subject}"
