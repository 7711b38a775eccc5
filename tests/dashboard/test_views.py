import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from shifan.dashboard import charts
from tests import factories
from tests.dashboard.world import build_programme, make_application
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return build_programme()


def page(client, user, **params):
    login_verified(client, user)
    return client.get(reverse("dashboard:programme"), params)


def sheet_rows(response):
    book = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_province_sees_every_chart_with_its_data(client, programme):
    response = page(client, programme["province"])
    assert response.status_code == 200
    data = response.context["chart_data"]
    assert [key for key in data if key not in charts.TRACKING_CHARTS] == ["progress", *charts.BATCH_CHARTS]
    assert data["funnel"]["labels"][0] == "填报（含暂存）"
    assert data["funnel"]["series"][0] == {
        "name": "示范企业",
        "values": [4, 3, 2, 2, 2, 1, 1],
        "kind": "bar",
        "shown": True,
    }
    cities = data["cities"]
    assert len(cities["labels"]) == 21
    assert cities["labels"][0] == "广州市"
    assert [s["name"] for s in cities["series"] if s["shown"]] == ["已提交", "地市推荐", "已认定"]
    html = response.content.decode()
    assert 'id="sf-dashboard-data"' in html
    assert "vendor/echarts/echarts.common.min.js" in html
    assert "2027年目标 160 家" in html


def test_a_category_narrows_the_batch_charts(client, programme):
    data = page(client, programme["province"], category="platform").context["chart_data"]
    assert [s["name"] for s in data["funnel"]["series"]] == ["示范平台"]
    submitted = next(s for s in data["cities"]["series"] if s["name"] == "已提交")
    assert sum(submitted["values"]) == 3
    # Progress is the programme's, whatever the category.
    assert [s["name"] for s in data["progress"]["series"]][:2] == [
        "示范企业（当年认定）",
        "示范平台（当年认定）",
    ]


def test_city_officer_sees_the_own_city_without_cities_and_scores(client, programme):
    officer = factories.CityOfficerFactory(city_code="440300")
    response = page(client, officer, batch=programme["batch"].pk)
    data = response.context["chart_data"]
    assert "cities" not in data
    assert "scores" not in data
    assert data["funnel"]["series"][0]["values"][0] == 2  # 深圳's two enterprises
    assert "深圳市" in response.content.decode()
    assert "其中深圳市 1 家" in response.content.decode()


def test_city_officer_cannot_download_the_scores(client, programme):
    login_verified(client, factories.CityOfficerFactory(city_code="440300"))
    assert client.get(reverse("dashboard:chart_download", args=["scores"])).status_code == 404
    assert client.get(reverse("dashboard:chart_download", args=["nonsense"])).status_code == 404


def test_every_chart_downloads_as_a_workbook_of_its_data(client, programme):
    login_verified(client, programme["province"])
    for key in ["progress", *charts.BATCH_CHARTS]:
        response = client.get(
            reverse("dashboard:chart_download", args=[key]), {"batch": programme["batch"].pk}
        )
        assert response.status_code == 200, key
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        rows = sheet_rows(response)
        assert rows[0][0], key  # the title
    rows = sheet_rows(client.get(reverse("dashboard:chart_download", args=["cities"])))
    header = next(row for row in rows if row[0] == "地市")
    assert header[1:] == ["填报（含暂存）", "已提交", "地市推荐", "省厅受理", "专家评审", "拟认定", "已认定"]
    guangzhou = next(row for row in rows if row[0] == "广州市")
    assert guangzhou[1:4] == [3, 2, 1]
    assert len(rows[rows.index(header) + 1 :]) == 21
    rows = sheet_rows(client.get(reverse("dashboard:chart_download", args=["eligibility"])))
    header = next(row for row in rows if row[0] == "结果")
    assert header == ["结果", "示范企业", "示范平台"]
    assert rows[rows.index(header) + 1] == ["符合", 1, 0]
    assert rows[-1] == ["不符合", 1, 0]


def test_a_city_download_is_of_the_own_city(client, programme):
    login_verified(client, factories.CityOfficerFactory(city_code="440100"))
    rows = sheet_rows(client.get(reverse("dashboard:chart_download", args=["funnel"])))
    assert any("广州市" in str(row[0]) for row in rows[:2])
    header = next(row for row in rows if row[0] == "阶段")
    assert rows[rows.index(header) + 1] == ["填报（含暂存）", 2, 1]


def test_the_page_works_without_any_batch(client, db):
    response = page(client, factories.ProvinceOfficerFactory())
    assert response.status_code == 200
    assert list(response.context["chart_data"]) == ["progress"]  # no report yet: no tracking panel


def _queries(client, user, batch):
    login_verified(client, user)
    url = reverse("dashboard:programme")
    client.get(url, {"batch": batch.pk})  # session and device rows cached like any later request
    cache.clear()  # the figures computed, not read from the cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, {"batch": batch.pk}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["province", "city"])
def test_queries_do_not_grow_with_the_applications(client, programme, role):
    user = programme["province"] if role == "province" else factories.CityOfficerFactory(city_code="440300")
    batch = programme["batch"]
    before = _queries(client, user, batch)
    for city in ("440300", "440100", "440600"):
        for state in ("submitted", "in_review", "recognised", "draft"):
            make_application(batch, city, "enterprise", state, {"modes": {"selected": ["customization"]}})
    assert _queries(client, user, batch) == before
    assert before <= 20


def test_modes_follow_a_change_of_the_applications(client, programme):
    login_verified(client, programme["province"])
    url = reverse("dashboard:programme")

    def customization():
        modes = client.get(url).context["chart_data"]["modes"]
        index = modes["labels"].index("定制化服务")
        return modes["series"][0]["values"][index]

    assert customization() == 1
    draft = programme["applications"]["gz_draft"]
    draft.answers = {"modes": {"selected": ["customization"], "other": {}}}
    draft.save(update_fields=["answers", "updated_at"])
    assert customization() == 1  # a draft is not read
    draft.state = "submitted"
    draft.save(update_fields=["state", "updated_at"])
    assert customization() == 2


def test_cached_scores_follow_a_new_score_sheet(client, programme):
    from decimal import Decimal

    from django.utils import timezone

    from shifan.expert_review.models import Assignment

    login_verified(client, programme["province"])
    url = reverse("dashboard:programme")
    assert client.get(url).context["chart_data"]["scores"]["series"][0]["values"][6] == 1  # 85–90
    sheet = Assignment.objects.filter(application=programme["applications"]["sz_review"]).first()
    sheet.total = Decimal(50)
    sheet.submitted_at = timezone.now()
    sheet.save(update_fields=["total", "submitted_at"])
    values = client.get(url).context["chart_data"]["scores"]["series"][0]["values"]
    assert values[3] == 1  # 70–75: (50 + 90) / 2


def test_a_decision_and_a_new_check_show_on_the_next_view(client, programme):
    from shifan.eligibility.services import record_check
    from shifan.reviews.services import recommend_application

    login_verified(client, programme["province"])
    url = reverse("dashboard:programme")

    def figures():
        data = client.get(url).context["chart_data"]
        enterprise = data["funnel"]["series"][0]["values"]
        eligibility = {s["name"]: s["values"] for s in data["eligibility"]["series"]}["示范企业"]
        return enterprise[2], eligibility

    recommended, eligibility = figures()
    assert (recommended, eligibility) == (2, [1, 0, 0, 0, 1])  # 符合 1, 不符合 1
    application = programme["applications"]["gz_submitted"]
    recommend_application(
        actor=factories.CityOfficerFactory(city_code="440100"),
        application=application,
        opinion="同意推荐。",
        truthfulness_confirmed=True,
    )
    record_check(
        actor=programme["province"],
        application=application,
        snapshot=application.snapshots.get(),
        trigger="submission",
    )
    recommended, eligibility = figures()
    assert recommended == 3
    assert eligibility[0] == 0  # its new check, on answers that fill few fields, no longer passes
    assert sum(eligibility) == 2


def test_saved_answers_show_on_the_next_view(client, programme):
    from shifan.applications.services import save_answers

    application = programme["applications"]["gz_submitted"]
    application.state = "returned"  # back with the applicant, who changes the modes
    application.save(update_fields=["state"])
    member = factories.MembershipFactory(organisation=application.organisation, is_admin=True).user
    login_verified(client, programme["province"])
    url = reverse("dashboard:programme")

    def modes():
        data = client.get(url).context["chart_data"]["modes"]
        return dict(zip(data["labels"], data["series"][0]["values"], strict=True))

    assert (modes()["工业设计服务"], modes()["定制化服务"]) == (2, 1)
    save_answers(
        actor=member,
        application=application,
        base_version=application.version,
        values={"modes": {"selected": ["customization"], "other": {}}},
    )
    assert (modes()["工业设计服务"], modes()["定制化服务"]) == (1, 2)


def test_cached_scores_follow_a_hearing(client, programme):
    from decimal import Decimal

    from django.utils import timezone

    from shifan.expert_review.models import Hearing

    login_verified(client, programme["province"])
    url = reverse("dashboard:programme")
    assert client.get(url).context["chart_data"]["scores"]["series"][0]["values"][6] == 1  # 85–90
    Hearing.objects.create(
        application=programme["applications"]["sz_review"],
        kind="defence",
        held_on=timezone.localdate(),
        panel="专家组",
        record="答辩情况",
        adjustment=Decimal(-20),
        recorded_by=programme["province"],
    )
    values = client.get(url).context["chart_data"]["scores"]["series"][0]["values"]
    assert (values[6], values[2]) == (0, 1)  # 65–70
