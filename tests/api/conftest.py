import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from shifan.api.services import create_client
from tests import factories
from tests.test_permissions import build_world

# The client kinds of the matrix: scope, city, writes; and the tokens no call may pass with.
CLIENT_KINDS = {
    "province": ("province", "", False),
    "province_writer": ("province", "", True),
    "city": ("city", "440100", False),
    "city_writer": ("city", "440100", True),
    "other_city_writer": ("city", "440300", True),
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the rate limits are counted in the cache
    yield
    cache.clear()


@pytest.fixture
def api_world(db):
    world = build_world()
    province = factories.ProvinceOfficerFactory()
    tokens = {}
    for kind, (role, city_code, can_write) in CLIENT_KINDS.items():
        _client, tokens[kind] = create_client(
            actor=province, name=kind, role=role, city_code=city_code, can_write=can_write, valid_days=30
        )
    revoked, tokens["revoked"] = create_client(
        actor=province, name="revoked", role="province", city_code="", can_write=True, valid_days=30
    )
    from shifan.api.services import revoke_client

    revoke_client(actor=province, client=revoked)
    expired, tokens["expired"] = create_client(
        actor=province, name="expired", role="province", city_code="", can_write=True, valid_days=1
    )
    type(expired).objects.filter(pk=expired.pk).update(expires_at=expired.created_at)
    tokens["anonymous"] = None
    tokens["wrong"] = "sfk_not-a-token"
    world["tokens"] = tokens
    world["province_officer"] = province
    return world


def api_client(token):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
