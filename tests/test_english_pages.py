"""The tracking, case, publicity and verification pages in English, and unchanged in Chinese."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from shifan.expert_review.models import ProposedList
from shifan.tracking import services as tracking_services
from tests import factories
from tests.cases.conftest import published_case, recognised_unit
from tests.helpers import login_verified
from tests.publicity.conftest import START, open_notice, proposed
from tests.tracking.conftest import announced, recognised

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Public pages and the verification's rate limit keep state in the cache.
    cache.clear()
    yield
    cache.clear()


def english(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def chinese(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# Tracking ----------------------------------------------------------------------------------------


def test_public_revocations_in_english_and_chinese(client):
    url = reverse("tracking:public_revocations")
    page = english(client, url)
    assert "Revocations of demonstration status" in page
    assert "No demonstration status has been revoked." in page
    assert "示范称号撤销公布" not in page
    assert "目前没有撤销的示范称号。" not in page
    # The public pages' own header and footer too.
    assert '<html lang="en">' in page
    assert "Log in to apply" in page
    assert "登录申报系统" not in page

    page = chinese(client, url)
    assert '<h1 class="h3 mb-3">示范称号撤销公布</h1>' in page
    assert "目前没有撤销的示范称号。" in page
    assert "Revocations of demonstration status" not in page
    assert '<html lang="zh-CN">' in page
    assert "登录申报系统" in page


def test_round_list_in_english_and_chinese(client, province_officer):
    announcement = announced(factories.BatchFactory(), province_officer)
    recognised(announcement)
    tracking_services.open_round(
        actor=province_officer,
        title="2025年度运行情况报告",
        year=2025,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    login_verified(client, province_officer)
    url = reverse("tracking:rounds")
    page = english(client, url)
    for text in ["Reporting rounds", "Request reports", "Submitted late", "Flagged", "Open</span>"]:
        assert text in page
    for text in ["报告轮次", "发起报告", "逾期提交", "有提示", "填报中"]:
        assert text not in page

    page = chinese(client, url)
    for text in ["报告轮次", "发起报告", '<th class="text-end">逾期提交</th>', "填报中"]:
        assert text in page
    assert "Reporting rounds" not in page


# Cases -------------------------------------------------------------------------------------------


def test_public_case_list_in_english_and_chinese(client, province_officer):
    published_case(province_officer, recognised_unit(), title="以工业设计服务带动整机升级")
    url = reverse("cases:public_list")
    page = english(client, url)
    assert "Typical cases of service-oriented manufacturing" in page
    assert "All models" in page
    assert "以工业设计服务带动整机升级" in page  # the case's own title stays as written
    assert "服务型制造典型案例" not in page
    assert "全部模式" not in page

    page = chinese(client, url)
    assert '<h1 class="h3 mb-2">服务型制造典型案例</h1>' in page
    assert '<option value="">全部模式</option>' in page
    assert "Typical cases of service-oriented manufacturing" not in page


# Publicity ---------------------------------------------------------------------------------------


def test_public_notices_in_english_and_chinese(client, province_officer):
    batch = factories.BatchFactory()
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province_officer)
    for city_code in ["440100", "440300", "440600"]:
        proposed(batch, city_code=city_code)
    open_notice(province_officer, batch, starts_on=START, today=START)
    url = reverse("publicity:public_notices")

    page = english(client, url)
    assert "Public notices of proposed lists" in page
    assert "Public notice period 2025年3月3日 to 2025年3月11日 · 3 organisations" in page
    assert "There are no recognition announcements at present." in page
    assert 'id="notices-heading">拟认定名单公示</h2>' not in page  # the notice's own title has it
    assert "家单位" not in page
    assert "目前没有认定通告" not in page

    page = chinese(client, url)
    assert 'id="notices-heading">拟认定名单公示</h2>' in page
    assert "公示期 2025年3月3日 至 2025年3月11日 · 3 家单位" in page
    assert "目前没有认定通告。" in page
    assert "Public notices of proposed lists" not in page


# Documents ---------------------------------------------------------------------------------------


def test_verification_page_in_english_and_chinese(client):
    url = reverse("documents:verify")
    page = english(client, url)
    assert "Verify an application" in page
    assert "This page does not show the content of the application." in page
    assert "本页不显示申报内容" not in page

    page = chinese(client, url)
    assert '<h1 class="h3">申报书核验</h1>' in page
    assert "本页不显示申报内容。" in page
    assert "Verify an application" not in page


def test_unknown_verification_result_in_english_and_chinese(client):
    url = reverse("documents:verify")
    query = {"number": "GD-SMD-2024-E-9999", "digest": "0" * 12}
    page = english(client, url, **query)
    assert 'data-outcome="unknown"' in page
    assert "Cannot be verified" in page
    assert "No submitted version matches this application number and digest." in page
    assert "无法核验" not in page

    page = chinese(client, url, **query)
    assert 'data-outcome="unknown"' in page
    assert "无法核验" in page
    assert "没有找到与该申报编号和摘要相符的提交版本" in page
