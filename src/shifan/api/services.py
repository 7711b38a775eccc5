"""Creating and revoking API clients; both audited in the transaction of the change."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shifan.accounts.models import Role, User
from shifan.api.models import ApiCall, ApiClient, ClientRole
from shifan.core import reference
from shifan.core.services import record_event

TOKEN_PREFIX = "sfk_"
MAX_VALID_DAYS = 730


class ApiClientError(Exception):
    """Raised when a client cannot be created or revoked; `message` says why, for the officer."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def token_digest(token: str) -> str:
    """Return the stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise ApiClientError("只有省工信厅可以管理接口客户端。")


@transaction.atomic
def create_client(
    *, actor: User, name: str, role: str, city_code: str, can_write: bool, valid_days: int
) -> tuple[ApiClient, str]:
    """Create a client and its account; return it with its token, which is never shown again."""
    _require_province(actor)
    name = name.strip()
    if not name:
        raise ApiClientError("请填写客户端名称。", field="name")
    if role not in ClientRole.values:
        raise ApiClientError("请选择省级或地市范围。", field="role")
    if role == ClientRole.CITY:
        if not city_code or not any(city.code == city_code for city in reference.cities()):
            raise ApiClientError("地市范围的客户端须选择所属城市。", field="city_code")
    else:
        city_code = ""
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ApiClientError(f"有效期须在 1 至 {MAX_VALID_DAYS} 天之间。", field="valid_days")
    account = User(
        email=f"api-{uuid.uuid4().hex}@api.invalid",
        name=f"接口客户端：{name}"[:100],
        role=Role.PROVINCE_OFFICER if role == ClientRole.PROVINCE else Role.CITY_OFFICER,
        city_code=city_code,
        # It never logs in and receives no notice or mail meant for the officers.
        is_active=False,
    )
    account.set_unusable_password()
    account.save()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name,
        role=role,
        city_code=city_code,
        can_write=can_write,
        account=account,
        token_digest=token_digest(token),
        token_prefix=token[:10],
        expires_at=timezone.now() + timedelta(days=valid_days),
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="api.client_created",
        target=client,
        city_code=city_code,
        after={
            "role": role,
            "city_code": city_code,
            "can_write": can_write,
            "expires_at": str(client.expires_at),
        },
    )
    return client, token


@transaction.atomic
def revoke_client(*, actor: User, client: ApiClient) -> ApiClient:
    """Revoke a client's token at once; its calls are answered 401 from now on."""
    _require_province(actor)
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is not None:
        raise ApiClientError("该客户端已被吊销。")
    client.revoked_at = timezone.now()
    client.revoked_by = actor
    client.save(update_fields=["revoked_at", "revoked_by"])
    record_event(actor=actor, action="api.client_revoked", target=client, city_code=client.city_code)
    return client


def log_call(*, client: ApiClient, method: str, path: str, status: int, duration_ms: int) -> None:
    ApiCall.objects.create(
        client=client, method=method, path=path[:500], status=status, duration_ms=duration_ms
    )


def prune_calls(client: ApiClient, now: datetime) -> int:
    """Delete the client's logged calls older than SHIFAN_API_CALL_DAYS (by the client's index)."""
    cutoff = now - timedelta(days=settings.SHIFAN_API_CALL_DAYS)
    deleted, _ = ApiCall.objects.filter(client=client, occurred_at__lt=cutoff).delete()
    return deleted
