"""Who sees which pair (the visibility matrix), through the pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shifan.expert_review.models import Assignment, AssignmentState
from shifan.similarity.models import PairDecision, SimilarPair
from tests import factories
from tests.expert_review.conftest import expert
from tests.helpers import login_verified
from tests.similarity.conftest import submit, written_answers

pytestmark = pytest.mark.django_db

GUANGZHOU, SHENZHEN = "440100", "440300"


@pytest.fixture
def pairs(batch):
    """Two Guangzhou copies of one text, and a Shenzhen copy of another Guangzhou text."""
    same_city = written_answers(1)
    cross_city = written_answers(2)
    gz_first = submit(batch, answers=same_city, name="广州甲制造有限公司")
    gz_second = submit(batch, answers=dict(same_city), name="广州乙装备有限公司")
    gz_third = submit(batch, answers=cross_city, name="广州丙科技有限公司")
    sz = submit(batch, answers=dict(cross_city), city_code=SHENZHEN, name="深圳丁智能有限公司")
    local = SimilarPair.objects.get(application=gz_second, other_application=gz_first)
    across = SimilarPair.objects.get(application=sz, other_application=gz_third)
    assert not local.cross_city
    assert across.cross_city
    return {"local": local, "across": across, "apps": (gz_first, gz_second, gz_third, sz)}


def assigned_expert(application, *, confirmed=True):
    user = expert(city_code="440600")
    Assignment.objects.create(
        batch=application.batch,
        application=application,
        expert=user,
        state=AssignmentState.PUBLISHED,
        published_at=timezone.now(),
        confirmed_at=timezone.now() if confirmed else None,
    )
    return user


def pair_url(pair):
    return reverse("similarity:pair", args=[pair.pk])


def test_province_sees_both_pairs_with_units_and_the_batch_list(client, province_officer, pairs):
    login_verified(client, province_officer)
    for pair in (pairs["local"], pairs["across"]):
        page = client.get(pair_url(pair)).content.decode()
        assert pair.application.unit_name in page
        assert pair.other_application.unit_name in page
        assert "<mark>" in page
        assert 'id="passage-1"' in page
    listing = client.get(reverse("similarity:batch", args=[pairs["local"].batch_id]), {"sort": "number"})
    assert listing.status_code == 200
    assert listing.content.decode().count("对照查看") == 2
    page = client.get(reverse("reviews:application", args=[pairs["apps"][0].pk])).content.decode()
    assert 'data-testid="similarity-flag"' in page
    assert "广州乙装备有限公司" in page


def test_city_sees_its_own_pair_only(client, pairs):
    gz = factories.CityOfficerFactory(city_code=GUANGZHOU)
    sz = factories.CityOfficerFactory(city_code=SHENZHEN)
    login_verified(client, gz)
    assert client.get(pair_url(pairs["local"])).status_code == 200
    assert client.get(pair_url(pairs["across"])).status_code == 404
    # The Guangzhou application of the cross-city pair shows no flag to the city.
    page = client.get(reverse("reviews:application", args=[pairs["apps"][2].pk])).content.decode()
    assert 'data-testid="similarity-flag"' not in page
    assert "深圳丁智能有限公司" not in page
    page = client.get(reverse("reviews:application", args=[pairs["apps"][0].pk])).content.decode()
    assert 'data-testid="similarity-flag"' in page
    # Province pages and decisions stay closed to the city.
    assert client.get(reverse("similarity:batch", args=[pairs["local"].batch_id])).status_code == 403
    response = client.post(
        reverse("similarity:decide", args=[pairs["local"].pk]), {"decision": "explained", "note": "x"}
    )
    assert response.status_code == 403
    client.logout()
    login_verified(client, sz)
    assert client.get(pair_url(pairs["local"])).status_code == 404
    assert client.get(pair_url(pairs["across"])).status_code == 404


def test_expert_sees_the_passages_without_the_other_unit_unless_the_batch_allows(client, pairs):
    pair = pairs["across"]
    user = assigned_expert(pair.other_application)  # the Guangzhou side
    login_verified(client, user)
    page = client.get(pair_url(pair)).content.decode()
    assert "<mark>" in page
    assert "深圳丁智能有限公司" not in page
    assert pair.application.number not in page
    assert "另一份申报书" in page
    # The left side is the Shenzhen application (the later one): the expert's own is on the right.
    left = page.split('data-testid="pair-left">')[1].split("<")[0]
    right = page.split('data-testid="pair-right">')[1].split("<")[0]
    assert (left, right) == ("另一份申报书", "本申报书")
    assert "保存处理结果" not in page
    assert client.get(pair_url(pairs["local"])).status_code == 404

    pair.batch.similar_units_to_experts = True
    pair.batch.save()
    page = client.get(pair_url(pair)).content.decode()
    assert "深圳丁智能有限公司" in page

    # An expert who has not confirmed the absence of conflicts sees nothing yet.
    client.logout()
    login_verified(client, assigned_expert(pair.other_application, confirmed=False))
    assert client.get(pair_url(pair)).status_code == 404


def test_the_province_note_stays_hidden_from_an_expert_who_does_not_see_the_units(
    client, province_officer, pairs
):
    from shifan.similarity import services

    pair = pairs["across"]
    services.decide(
        actor=province_officer, pair=pair, decision="explained", note="与深圳丁智能有限公司同属一集团"
    )
    login_verified(client, assigned_expert(pair.other_application))
    page = client.get(pair_url(pair)).content.decode()
    assert "已说明" in page
    assert "深圳丁智能有限公司" not in page
    assert province_officer.name not in page
    pair.batch.similar_units_to_experts = True
    pair.batch.save()
    assert "同属一集团" in client.get(pair_url(pair)).content.decode()


def test_a_withdrawn_application_leaves_every_list_and_page(client, province_officer, pairs):
    from shifan.applications.models import ApplicationState

    gz_first = pairs["apps"][0]
    gz_first.state = ApplicationState.WITHDRAWN
    gz_first.save()
    login_verified(client, province_officer)
    assert client.get(pair_url(pairs["local"])).status_code == 404
    listing = client.get(reverse("similarity:batch", args=[pairs["local"].batch_id])).content.decode()
    assert listing.count("对照查看") == 1
    assert "广州甲制造有限公司" not in listing
    page = client.get(reverse("reviews:application", args=[pairs["apps"][1].pk])).content.decode()
    assert 'data-testid="similarity-flag"' not in page
    client.logout()
    login_verified(client, assigned_expert(pairs["apps"][1]))
    assert client.get(pair_url(pairs["local"])).status_code == 404


def test_applicants_and_anonymous_visitors_see_no_pair(client, pairs):
    pair = pairs["local"]
    assert client.get(pair_url(pair)).status_code == 302  # to the login page
    member = factories.MembershipFactory(organisation=pair.application.organisation)
    login_verified(client, member.user)
    assert client.get(pair_url(pair)).status_code == 403


def test_province_decides_beside_the_field_and_the_decision_is_kept(client, province_officer, pairs):
    pair = pairs["local"]
    login_verified(client, province_officer)
    url = reverse("similarity:decide", args=[pair.pk])
    response = client.post(url, {"decision": "returned", "note": ""})
    assert response.status_code == 400
    assert "请写明处理说明。" in response.content.decode()
    response = client.post(url, {"decision": "returned", "note": "两份申报书由同一中介撰写"})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.decision == PairDecision.RETURNED
    listing = client.get(reverse("similarity:batch", args=[pair.batch_id]), {"decision": "returned"})
    assert listing.content.decode().count("对照查看") == 1
    listing = client.get(reverse("similarity:batch", args=[pair.batch_id]), {"decision": "pending"})
    assert listing.content.decode().count("对照查看") == 1


def test_pair_and_batch_pages_in_english(client, province_officer, pairs):
    login_verified(client, province_officer)
    pair = pairs["local"]
    page = client.get(pair_url(pair), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Similar content side by side" in page
    assert "Save decision" in page
    assert "相似内容对照" not in page
    listing = client.get(
        reverse("similarity:batch", args=[pair.batch_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Check this batch again" in listing
    assert "Similarity, highest first" in listing
