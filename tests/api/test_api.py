"""The API's behaviour: tokens, scope, filters, pagination, ETags, rate limits, writes, schema."""

import hashlib

import pytest
from django.test import override_settings
from django.urls import reverse

from shifan.api.models import ApiCall, ApiClient
from shifan.api.services import create_client
from shifan.applications.models import ApplicationState
from tests import factories
from tests.api.conftest import api_client


@pytest.fixture
def small(db):
    batch = factories.BatchFactory()
    province = factories.ProvinceOfficerFactory()
    guangzhou = factories.many_submitted(batch, 5, city_code="440100")
    shenzhen = factories.many_submitted(batch, 3, city_code="440300", start=100)
    draft = factories.ApplicationFactory(
        batch=batch, organisation=factories.OrganisationFactory(city_code="440100")
    )
    tokens = {}
    for kind, role, city, write in (
        ("province", "province", "", False),
        ("city", "city", "440100", True),
    ):
        _client, tokens[kind] = create_client(
            actor=province, name=kind, role=role, city_code=city, can_write=write, valid_days=30
        )
    return {"batch": batch, "guangzhou": guangzhou, "shenzhen": shenzhen, "draft": draft, "tokens": tokens}


def ids_of(response):
    return {item["id"] for item in response.json()["results"]}


def test_token_is_stored_only_as_its_digest(small):
    token = small["tokens"]["city"]
    client = ApiClient.objects.get(name="city")
    assert client.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    assert not client.account.is_active
    assert not client.account.has_usable_password()


def test_city_client_lists_only_its_city_and_never_drafts(small):
    response = api_client(small["tokens"]["city"]).get(reverse("api:applications"))
    assert response.status_code == 200
    assert ids_of(response) == {a.pk for a in small["guangzhou"]}
    province = api_client(small["tokens"]["province"]).get(reverse("api:applications"))
    assert ids_of(province) == {a.pk for a in small["guangzhou"] + small["shenzhen"]}
    # Asking for another city's rows narrows nothing open: the scope is the selector's.
    other = api_client(small["tokens"]["city"]).get(reverse("api:applications"), {"city": "440300"})
    assert ids_of(other) == set()


def test_filters_and_bad_values_answer_problems_in_chinese(small):
    client = api_client(small["tokens"]["province"])
    assert ids_of(client.get(reverse("api:applications"), {"city": "440300"})) == {
        a.pk for a in small["shenzhen"]
    }
    assert ids_of(client.get(reverse("api:applications"), {"category": "platform"})) == {
        a.pk for a in small["guangzhou"] + small["shenzhen"] if a.category == "platform"
    }
    assert ids_of(client.get(reverse("api:applications"), {"state": ApplicationState.RECOGNISED})) == set()
    assert (
        len(ids_of(client.get(reverse("api:applications"), {"updated_since": "2000-01-01T00:00:00Z"}))) == 8
    )
    bad = client.get(reverse("api:applications"), {"updated_since": "昨天", "state": "nonsense"})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    problem = bad.json()
    assert problem["title"] == "请求有误"
    assert set(problem["errors"]) == {"updated_since", "state"}
    assert "日期时间" in problem["errors"]["updated_since"][0]


def test_cursor_pages_cover_every_row_once(small):
    client = api_client(small["tokens"]["province"])
    seen, url = [], reverse("api:applications") + "?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert sorted(seen, reverse=True) == seen
    assert set(seen) == {a.pk for a in small["guangzhou"] + small["shenzhen"]}
    assert client.get(reverse("api:applications"), {"cursor": "garbage"}).status_code == 404


def test_reads_carry_an_etag_and_answer_304_when_unchanged(small):
    client = api_client(small["tokens"]["city"])
    url = reverse("api:application", kwargs={"pk": small["guangzhou"][0].pk})
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_every_call_is_logged_with_its_client(small):
    client = api_client(small["tokens"]["city"])
    client.get(reverse("api:applications"))
    client.get(reverse("api:application", kwargs={"pk": small["shenzhen"][0].pk}))
    calls = list(ApiCall.objects.filter(client__name="city").order_by("id").values_list("method", "status"))
    assert calls == [("GET", 200), ("GET", 404)]


def test_calls_older_than_the_retention_leave_the_log(small, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.SHIFAN_API_CALL_DAYS = 90
    client = api_client(small["tokens"]["city"])
    client.get(reverse("api:applications"))
    city = ApiClient.objects.get(name="city")
    ApiCall.objects.filter(client=city).update(occurred_at=timezone.now() - timedelta(days=91))
    kept = ApiCall.objects.create(client=city, method="GET", path="/x", status=200, duration_ms=1)
    other = ApiCall.objects.create(
        client=ApiClient.objects.get(name="province"), method="GET", path="/x", status=200, duration_ms=1
    )
    ApiCall.objects.filter(pk=other.pk).update(occurred_at=timezone.now() - timedelta(days=91))
    ApiClient.objects.filter(pk=city.pk).update(last_used_at=None)  # its next call prunes
    client.get(reverse("api:batches"))
    assert set(ApiCall.objects.filter(client=city).values_list("path", flat=True)) == {
        kept.path,
        reverse("api:batches"),
    }
    assert ApiCall.objects.filter(pk=other.pk).exists()  # another client's log is its own


@override_settings(SHIFAN_API_RATE="3/min")
def test_rate_limit_per_client_answers_429_with_retry_after(small):
    city = api_client(small["tokens"]["city"])
    for _ in range(3):
        assert city.get(reverse("api:batches")).status_code == 200
    refused = city.get(reverse("api:batches"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["title"] == "请求过于频繁"
    # Another client has its own allowance.
    assert api_client(small["tokens"]["province"]).get(reverse("api:batches")).status_code == 200


def test_city_decisions_go_through_the_services_and_keep_their_refusals(small):
    client = api_client(small["tokens"]["city"])
    application = small["guangzhou"][0]
    url = reverse("api:decisions", kwargs={"pk": application.pk})
    missing = client.post(
        url, {"action": "recommend", "text": "推荐", "truthfulness_confirmed": False}, format="json"
    )
    assert missing.status_code == 400
    assert missing.json()["errors"] == {
        "truthfulness_confirmed": ["推荐前须确认已对申报材料的真实性进行复核。"]
    }
    done = client.post(
        url, {"action": "recommend", "text": "推荐", "truthfulness_confirmed": True}, format="json"
    )
    assert done.status_code == 201
    assert done.json()["state"] == ApplicationState.RECOMMENDED
    assert done.json()["recommendation_rank"] == 1
    again = client.post(url, {"action": "decline", "text": "不予推荐"}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"]


def test_national_recommendation_in_priority_order_as_json_and_xlsx(db):
    from tests.test_permissions import build_world

    world = build_world()
    unit = world["unit"]
    type(unit).objects.filter(pk=unit.pk).update(national_recommended=True, national_priority=1)
    _client, token = create_client(
        actor=factories.ProvinceOfficerFactory(),
        name="p",
        role="province",
        city_code="",
        can_write=False,
        valid_days=5,
    )
    url = reverse("api:national_recommendation", kwargs={"pk": unit.announcement.batch_id})
    document = api_client(token).get(url).json()
    assert [item["id"] for item in document["units"]] == [unit.pk]
    assert document["units"][0]["national_priority"] == 1
    workbook = api_client(token).get(url, {"format": "xlsx"})
    assert workbook.status_code == 200
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    cells = [
        cell
        for row in load_workbook(BytesIO(workbook.content)).active.iter_rows(values_only=True)
        for cell in row
    ]
    assert unit.unit_name in cells


@pytest.mark.parametrize("rows", [1, 100])
def test_application_page_costs_the_same_queries_at_1_and_100_rows(db, rows, django_assert_num_queries):
    batch = factories.BatchFactory()
    factories.many_submitted(batch, rows, city_code="440100")
    _client, token = create_client(
        actor=factories.ProvinceOfficerFactory(),
        name="p",
        role="province",
        city_code="",
        can_write=False,
        valid_days=5,
    )
    client = api_client(token)
    client.get(reverse("api:batches"))  # the client's first call also notes when it was last used
    # The client and its account, the page, the batches' category names, the call's log line.
    with django_assert_num_queries(4):
        response = client.get(reverse("api:applications"), {"page_size": 100})
    assert len(response.json()["results"]) == rows


def test_scoped_reads_of_reports_objections_and_figures(api_world):
    """A city client reads its own city's reports and figures; objections never name their author."""
    from tests.api.conftest import api_client as client_for

    tokens = api_world["tokens"]
    round_url = reverse("api:round_reports", kwargs={"pk": api_world["tracking_round"].pk})
    province_reports = client_for(tokens["province"]).get(round_url).json()["results"]
    assert province_reports
    other = client_for(tokens["other_city_writer"]).get(round_url).json()["results"]
    assert other == []  # the round's units are all in 广州
    assert {r["city_code"] for r in client_for(tokens["city"]).get(round_url).json()["results"]} == {"440100"}

    objection = api_world["objection"]
    objections = client_for(tokens["province"]).get(
        reverse("api:objections", kwargs={"pk": api_world["public_notice"].pk})
    )
    text = objections.content.decode()
    assert objection.reference in text
    for private in (objection.name, objection.phone, objection.grounds):
        assert private not in text

    city_figures = client_for(tokens["city"]).get(reverse("api:dashboard")).json()
    assert city_figures["scope"] == "广州市"
    province_figures = client_for(tokens["province"]).get(reverse("api:dashboard")).json()
    assert province_figures["scope"] == "全省"
    assert len(province_figures["charts"]) > len(city_figures["charts"])


def test_province_revokes_a_client_after_confirming_and_its_token_stops_at_once(small, client):
    from shifan.core.models import AuditEvent
    from tests.helpers import login_verified

    officer = factories.ProvinceOfficerFactory()
    login_verified(client, officer)
    target = ApiClient.objects.get(name="city")
    url = reverse("api_clients:revoke", kwargs={"pk": target.pk})
    assert "确认吊销" in client.get(url).content.decode()
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 400
    target.refresh_from_db()
    assert target.revoked_at is None
    assert client.post(url, {"confirm": "on"}).status_code == 302
    target.refresh_from_db()
    assert target.revoked_by == officer
    assert AuditEvent.objects.filter(action="api.client_revoked", actor=officer).count() == 1
    refused = api_client(small["tokens"]["city"]).get(reverse("api:batches"))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "该令牌已被吊销，请联系省工信厅。"
    # The clients' accounts are not listed with the officers.
    accounts = client.get(reverse("accounts:account_list")).content.decode()
    assert "接口客户端：city" not in accounts


def test_application_detail_has_the_submitted_snapshot_and_the_decisions(small):
    application = small["guangzhou"][0]
    client = api_client(small["tokens"]["city"])
    url = reverse("api:decisions", kwargs={"pk": application.pk})
    client.post(url, {"action": "decline", "text": "不符合本市推荐条件"}, format="json")
    detail = client.get(reverse("api:application", kwargs={"pk": application.pk})).json()
    assert detail["submitted"]["sequence"] == 1
    assert detail["submitted"]["unit"]["name"] == application.organisation.name
    decisions = [(d["action"], d["text"]) for d in detail["city_decisions"]]
    assert decisions == [("declined", "不符合本市推荐条件")]
    assert detail["formal_reviews"] == []
    assert detail["state"] == ApplicationState.DECLINED


def test_announcement_detail_costs_the_same_queries_whatever_its_units(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.test_permissions import build_world

    unit = build_world()["unit"]
    _client, token = create_client(
        actor=factories.ProvinceOfficerFactory(),
        name="p",
        role="province",
        city_code="",
        can_write=False,
        valid_days=5,
    )
    client = api_client(token)
    url = reverse("api:announcement", kwargs={"pk": unit.announcement_id})
    client.get(url)  # the client's first call also notes when it was last used

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(response.json()["units"]), len(captured)

    one = queries()
    for position in range(100, 105):
        unit.pk = None
        unit.application = factories.ApplicationFactory(batch=unit.announcement.batch)
        unit.position = position
        unit.unit_name = f"{unit.unit_name}{position}"
        unit.save()
    six = queries()
    assert six[0] == one[0] + 5
    assert one[1] == six[1]
    assert all(item["city_code"] for item in client.get(url).json()["units"])
