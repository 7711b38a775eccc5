"""Bearer tokens of API clients, looked up by their SHA-256 digest."""

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from shifan.api.selectors import client_by_digest
from shifan.api.services import prune_calls, token_digest

# Writing last_used_at on every call would add a write to each read: once a minute is enough, and
# then the client's calls older than SHIFAN_API_CALL_DAYS leave the log.
LAST_USED_PRECISION_SECONDS = 60


class ClientTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`: the request acts as the client's account."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("令牌格式不正确，应为 Authorization: Bearer <令牌>。")
        try:
            token = parts[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("令牌无效。") from None
        client = client_by_digest(token_digest(token))
        if client is None:
            raise AuthenticationFailed("令牌无效。")
        if client.revoked_at is not None:
            raise AuthenticationFailed("该令牌已被吊销，请联系省工信厅。")
        now = timezone.now()
        if client.is_expired(now):
            raise AuthenticationFailed("该令牌已过期，请联系省工信厅重新签发。")
        if (
            client.last_used_at is None
            or (now - client.last_used_at).total_seconds() > LAST_USED_PRECISION_SECONDS
        ):
            type(client).objects.filter(pk=client.pk).update(last_used_at=now)
            prune_calls(client, now)
        return client.account, client

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="shifan"'


class ClientTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "shifan.api.authentication.ClientTokenAuthentication"
    name = "clientToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "省工信厅签发的接口令牌（只显示一次）。"}
