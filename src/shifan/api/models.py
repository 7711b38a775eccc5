"""The clients of the open API (/api/v1/) and the log of their calls.

A client acts through an account of its own: an officer account of the client's role and city
that cannot log in (no usable password, not active). Every selector and service of the pages
then sees a user of that role and city, so the API reads and decides exactly as the pages do, and
the audit trail names the client as the actor. Inactive, the account receives no notice or mail
meant for the officers of its city. Tokens are shown once and kept only as their SHA-256 digest.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shifan.core import reference


class ClientRole(models.TextChoices):
    PROVINCE = "province", _("省级（全省数据）")
    CITY = "city", _("地市（本市数据）")


class ApiClient(models.Model):
    name = models.CharField(_("客户端名称"), max_length=100)
    role = models.CharField(_("范围"), max_length=10, choices=ClientRole.choices)
    city_code = models.CharField(_("城市"), max_length=6, blank=True)
    can_write = models.BooleanField(_("允许写入"), default=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client", editable=False
    )
    # The SHA-256 of the token, in hex: the token itself is shown once and never stored.
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("令牌前缀"), max_length=12, editable=False)
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近调用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="city") | ~models.Q(city_code=""), name="api_city_client_has_city"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def city_name(self) -> str:
        return reference.city(self.city_code).name if self.city_code else ""

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: object = None) -> bool:
        return (now or timezone.now()) >= self.expires_at  # type: ignore[operator]

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired()


class ApiCall(models.Model):
    """One call of a client: what it asked and what it was answered."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="calls")
    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True)
    method = models.CharField(_("方法"), max_length=10)
    path = models.CharField(_("路径"), max_length=500)
    status = models.PositiveSmallIntegerField(_("状态码"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))

    class Meta:
        verbose_name = _("接口调用")
        verbose_name_plural = _("接口调用")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "-occurred_at"], name="api_call_client_recent")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.method} {self.path} {self.status}"
