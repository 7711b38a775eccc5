"""Which API clients a province officer sees, and the client a token belongs to."""

from django.db.models import QuerySet
from django.http import Http404

from shifan.accounts.models import User
from shifan.api.models import ApiCall, ApiClient


def clients_visible_to(user: User) -> QuerySet[ApiClient]:
    if not user.is_province_officer:
        return ApiClient.objects.none()
    return ApiClient.objects.select_related("created_by").order_by("-created_at", "-id")


def client_for(user: User, pk: int) -> ApiClient:
    try:
        return clients_visible_to(user).get(pk=pk)
    except ApiClient.DoesNotExist as error:
        raise Http404 from error


def client_by_digest(digest: str) -> ApiClient | None:
    """Return the client whose token has this digest, with its account, revoked or not."""
    return ApiClient.objects.select_related("account").filter(token_digest=digest).first()


def recent_calls(client: ApiClient, limit: int = 20) -> QuerySet[ApiCall]:
    return client.calls.all()[:limit]
