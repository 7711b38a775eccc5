"""The API's permission matrix: every endpoint against every kind of client and bad token.

A new API URL fails `test_matrix_covers_every_endpoint` until its row is added. Answers: 200 or
201 where allowed, 401 without a valid token (none, unknown, revoked, expired), 403 for a scope
or a read-only client the endpoint refuses, 404 for a row outside the client's scope, 409 for a
service's refusal (a province client cannot take a city's decision, as on the pages).
"""

import pytest
from django.urls import get_resolver, reverse

from tests.api.conftest import api_client

# The successful writers last: a write changes what the next one finds.
KINDS = [
    "anonymous",
    "wrong",
    "revoked",
    "expired",
    "province",
    "city",
    "other_city_writer",
    "province_writer",
    "city_writer",
]
UNAUTHENTICATED = {"anonymous": 401, "wrong": 401, "revoked": 401, "expired": 401}


def expect(default, **by_kind):
    return {kind: by_kind.get(kind, UNAUTHENTICATED.get(kind, default)) for kind in KINDS}


CITY_OF_SENT = {"other_city_writer": 404}
CREDIT_CHECK = {"not_listed": True, "note": "2024-05-01 查询国家企业信用信息公示系统，未列入"}
DECLINE = {"action": "decline", "text": "申报材料与本市企业库登记不符"}

# name, method, kwargs (from the world), body, expected answers by kind
MATRIX = [
    ("api:batches", "get", None, None, expect(200)),
    ("api:batch", "get", lambda w: {"pk": w["batch"].pk}, None, expect(200)),
    (
        "api:national_recommendation",
        "get",
        lambda w: {"pk": w["announcement"].batch_id},
        None,
        expect(403, province=200, province_writer=200),
    ),
    ("api:applications", "get", None, None, expect(200)),
    ("api:application", "get", lambda w: {"pk": w["sent"].pk}, None, expect(200, **CITY_OF_SENT)),
    ("api:application", "get", lambda w: {"pk": w["draft"].pk}, None, expect(404)),
    (
        "api:application",
        "get",
        lambda w: {"pk": w["reviewed"].pk},
        None,
        expect(404, province=200, province_writer=200),
    ),
    (
        "api:credit_checks",
        "post",
        lambda w: {"pk": w["sent"].pk},
        CREDIT_CHECK,
        expect(403, province_writer=201, city_writer=201, **CITY_OF_SENT),
    ),
    (
        "api:decisions",
        "post",
        lambda w: {"pk": w["sent"].pk},
        DECLINE,
        expect(403, province_writer=409, city_writer=201, **CITY_OF_SENT),
    ),
    ("api:announcements", "get", None, None, expect(200)),
    ("api:announcement", "get", lambda w: {"pk": w["announcement"].pk}, None, expect(200)),
    (
        "api:review_results",
        "get",
        lambda w: {"pk": w["batch"].pk},
        None,
        expect(403, province=200, province_writer=200),
    ),
    ("api:dashboard", "get", None, None, expect(200)),
    ("api:rounds", "get", None, None, expect(200)),
    ("api:round_reports", "get", lambda w: {"pk": w["tracking_round"].pk}, None, expect(200)),
    ("api:notices", "get", None, None, expect(403, province=200, province_writer=200)),
    (
        "api:objections",
        "get",
        lambda w: {"pk": w["public_notice"].pk},
        None,
        expect(403, province=200, province_writer=200),
    ),
]
OPEN = {"api:schema", "api:docs"}


def api_url_names():
    resolver = get_resolver()
    return {
        f"api:{pattern.name}"
        for pattern in resolver.namespace_dict["api"][1].url_patterns
        if getattr(pattern, "name", None)
    }


def test_matrix_covers_every_endpoint():
    assert api_url_names() - OPEN == {name for name, *_ in MATRIX}


@pytest.mark.parametrize(
    ("name", "method", "kwargs", "body", "expected"),
    MATRIX,
    ids=[f"{row[0]}-{index}" for index, row in enumerate(MATRIX)],
)
def test_api_permission_matrix(api_world, name, method, kwargs, body, expected):
    url = reverse(name, kwargs=kwargs(api_world) if kwargs else None)
    for kind in KINDS:
        client = api_client(api_world["tokens"][kind])
        response = getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
        assert response.status_code == expected[kind], (
            f"{kind} {method.upper()} {url}: {response.content[:300]!r}"
        )
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["status"] == response.status_code
            assert problem["title"]
            assert problem["detail"]
        if response.status_code == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
        assert {"private", "no-store"} <= {
            part.strip() for part in response.get("Cache-Control", "").split(",")
        }
