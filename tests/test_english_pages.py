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


def shows(page, present, absent):
    """Assert the page shows every text of `present` and none of `absent`."""
    assert [text for text in present if text not in page] == []
    assert [text for text in absent if text in page] == []


# Tracking ----------------------------------------------------------------------------------------


def test_public_revocations_in_english_and_chinese(client):
    url = reverse("tracking:public_revocations")
    # With the public pages' own header and footer.
    shows(
        english(client, url),
        [
            "Revocations of demonstration status",
            "No demonstration status has been revoked.",
            '<html lang="en">',
            "Log in to apply",
        ],
        ["示范称号撤销公布", "目前没有撤销的示范称号。", "登录申报系统"],
    )
    shows(
        chinese(client, url),
        [
            '<h1 class="h3 mb-3">示范称号撤销公布</h1>',
            "目前没有撤销的示范称号。",
            '<html lang="zh-CN">',
            "登录申报系统",
        ],
        ["Revocations of demonstration status"],
    )


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
    shows(
        english(client, url),
        ["Reporting rounds", "Request reports", "Submitted late", "Flagged", "Open</span>"],
        ["报告轮次", "发起报告", "逾期提交", "有提示", "填报中"],
    )
    shows(
        chinese(client, url),
        ["报告轮次", "发起报告", '<th class="text-end">逾期提交</th>', "填报中"],
        ["Reporting rounds"],
    )


# Cases -------------------------------------------------------------------------------------------


def test_public_case_list_in_english_and_chinese(client, province_officer):
    published_case(province_officer, recognised_unit(), title="以工业设计服务带动整机升级")
    url = reverse("cases:public_list")
    # The case's own title stays as written.
    shows(
        english(client, url),
        ["Typical cases of service-oriented manufacturing", "All models", "以工业设计服务带动整机升级"],
        ["服务型制造典型案例", "全部模式"],
    )
    shows(
        chinese(client, url),
        ['<h1 class="h3 mb-2">服务型制造典型案例</h1>', '<option value="">全部模式</option>'],
        ["Typical cases of service-oriented manufacturing"],
    )


# Publicity ---------------------------------------------------------------------------------------


def test_public_notices_in_english_and_chinese(client, province_officer):
    batch = factories.BatchFactory()
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province_officer)
    for city_code in ["440100", "440300", "440600"]:
        proposed(batch, city_code=city_code)
    open_notice(province_officer, batch, starts_on=START, today=START)
    url = reverse("publicity:public_notices")

    # The heading, not the notice's own title, which says 拟认定名单公示 too.
    shows(
        english(client, url),
        [
            "Public notices of proposed lists",
            "Public notice period 2025年3月3日 to 2025年3月11日 · 3 organisations",
            "There are no recognition announcements at present.",
        ],
        ['id="notices-heading">拟认定名单公示</h2>', "家单位", "目前没有认定通告"],
    )
    shows(
        chinese(client, url),
        [
            'id="notices-heading">拟认定名单公示</h2>',
            "公示期 2025年3月3日 至 2025年3月11日 · 3 家单位",
            "目前没有认定通告。",
        ],
        ["Public notices of proposed lists"],
    )


# Documents ---------------------------------------------------------------------------------------


def test_verification_page_in_english_and_chinese(client):
    url = reverse("documents:verify")
    shows(
        english(client, url),
        ["Verify an application", "This page shows only the applicant's name and the page count"],
        ["本页只显示申报单位名称和页数"],
    )
    shows(
        chinese(client, url),
        ['<h1 class="h3">申报书核验</h1>', "本页只显示申报单位名称和页数，不显示申报内容。"],
        ["Verify an application"],
    )


def test_unknown_verification_result_in_english_and_chinese(client):
    url = reverse("documents:verify")
    query = {"number": "GD-SMD-2024-E-9999", "digest": "0" * 12}
    shows(
        english(client, url, **query),
        [
            'data-outcome="unknown"',
            "Cannot be verified",
            "No submitted version matches this application number and digest.",
        ],
        ["无法核验"],
    )
    shows(
        chinese(client, url, **query),
        ['data-outcome="unknown"', "无法核验", "没有找到与该申报编号和摘要相符的提交版本"],
        [],
    )
