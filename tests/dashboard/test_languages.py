"""The dashboard in the reader's language: on the English page every word of the charts (titles,
axes, notes, series, legends, descriptions, data tables, downloads) is English, and on the Chinese
page it is the Chinese it always was. The names of things from the spec and the reference data
(categories, modes, cities, industries) stay Chinese, as the forms and lists show them on English
pages. The scores cached for a batch hold no words, so either language reads them.
"""

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from openpyxl import load_workbook

from shifan.core import reference
from shifan.dashboard import charts, selectors
from shifan.tracking import services as tracking
from shifan.tracking.models import Report
from tests.dashboard.world import build_programme
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

# Chinese characters and the full-width punctuation that goes with them (（），：；、。).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
CHART_KEYS = ["progress", *charts.BATCH_CHARTS, *charts.TRACKING_CHARTS]


@pytest.fixture
def programme():
    """The dashboard's small programme with one report evaluated, so that the tracking charts show."""
    programme = build_programme()
    today = timezone.localdate()
    tracking.open_round(
        actor=programme["province"],
        title="2024年度运行情况报告",
        year=today.year - 1,
        due_on=today - timedelta(days=1),
        batch=programme["batch"],
        today=today - timedelta(days=10),
    )
    tracking.evaluate_report(
        actor=programme["province"], report=Report.objects.get(), evaluation="attention", reason="逾期未交。"
    )
    return programme


def names_of_things(batch):
    """The data values shown as the rest of the product shows them, in Chinese, longest first."""
    names = [city.name for city in reference.cities()]
    names += [str(category.name) for category in batch.spec.categories]
    names += [mode.label for mode in selectors.modes_of(batch)]
    names += [selectors.industry_label(industry.code) for industry in reference.industries()]
    return sorted(set(names), key=len, reverse=True)


def words_left(text, names):
    """Return the Chinese left in `text` once the names of things are taken out."""
    for name in names:
        text = text.replace(name, "")
    return "".join(CJK.findall(text))


def dashboard(client, user, language, **params):
    login_verified(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("dashboard:programme"), params)
    assert response.status_code == 200
    return response


def chart_sections(html):
    """Return {chart key: the text of its card} (title, note, description, table, download)."""
    found = re.findall(r'<section class="sf-card[^"]*" data-testid="chart-(\w+)">(.*?)</section>', html, re.S)
    return {key: strip_tags(body) for key, body in found}


def test_every_word_of_the_charts_is_english_on_the_english_page(client, programme):
    response = dashboard(client, programme["province"], "en")
    names = names_of_things(programme["batch"])
    data = response.context["chart_data"]
    assert list(data) == CHART_KEYS
    for key, chart in response.context["charts"].items():
        words = [chart.title, chart.axis, chart.note, chart.description(), data[key]["empty"]]
        words += [series.name for series in chart.series]
        words += [label for label, _values in chart.rows()]
        assert words_left(" ".join(words), names) == "", (key, words)
    # The keys of the scores' bins are Chinese; what the reader sees is not.
    assert data["scores"]["labels"][0] == "Below 60"
    assert data["funnel"]["labels"] == [
        "Started (drafts included)",
        "Submitted",
        "Recommended by the city",
        "Accepted by the province",
        "Expert review",
        "Proposed for recognition",
        "Recognised",
    ]
    assert data["progress"]["series"][0]["name"] == "示范企业 (recognised that year)"
    assert data["eligibility"]["labels"][0] == "Meets"
    evaluations = dict(
        zip(data["evaluations"]["labels"], data["evaluations"]["series"][0]["values"], strict=True)
    )
    assert (evaluations["Watch"], evaluations["Not evaluated"]) == (1, 0)
    assert data["reports"]["series"][0]["name"] == "Reports"
    # The names of things as everywhere else.
    assert data["cities"]["labels"][0] == "广州市"
    assert "定制化服务" in data["modes"]["labels"]

    html = response.content.decode()
    sections = chart_sections(html)
    assert list(sections) == CHART_KEYS
    for key, text in sections.items():
        assert words_left(text, names) == "", (key, text)
    assert "The figures are in the data table below the chart." in sections["cities"]
    funnel_table = re.search(r'data-testid="funnel-table">(.*?)</section>', html, re.S)
    assert funnel_table is not None
    assert words_left(strip_tags(funnel_table.group(1)), names) == ""
    assert "Whole province" in html


def test_the_chinese_page_keeps_its_chinese(client, programme):
    dashboard(client, programme["province"], "en")  # English first: nothing of it stays behind
    response = dashboard(client, programme["province"], "zh-hans")
    data = response.context["chart_data"]
    assert [data[key]["title"] for key in CHART_KEYS] == [
        "示范单位认定进度",
        "申报各阶段数量",
        "申报当前状态",
        "各地市申报情况",
        "服务型制造模式",
        "所属行业",
        "申报条件核验结果",
        "专家评审得分分布",
        "年度报告提交情况",
        "跟踪评价结果",
    ]
    assert data["funnel"]["labels"][0] == "填报（含暂存）"
    assert data["funnel"]["empty"] == "暂无数据"
    assert data["scores"]["labels"][:2] == ["60分以下", "60–65"]
    assert data["progress"]["labels"][0] == f"{data['progress']['labels'][0][:4]}年"
    assert [s["name"] for s in data["progress"]["series"]][-2:] == ["累计", "按期达标所需（累计）"]
    assert data["eligibility"]["labels"] == ["符合", "请注意", "需专家判断", "待填写", "不符合"]
    assert {"关注", "未评价"} <= set(data["evaluations"]["labels"])
    charts_by_key = response.context["charts"]
    assert charts_by_key["industries"].note == "已提交的申报；图中为申报最多的 15 个行业，表格列出全部"
    assert (
        charts_by_key["cities"]
        .description()
        .startswith("柱状图，按地市共 21 项，系列：填报（含暂存）、已提交、")
    )
    html = response.content.decode()
    assert "全省" in html
    assert "Whole province" not in html


def test_a_download_is_in_the_language_of_the_page(client, programme):
    login_verified(client, programme["province"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("dashboard:chart_download", args=["cities"]))
    assert response.status_code == 200
    rows = [
        list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    ]
    assert rows[0][0] == "Applications by city"
    assert rows[1][0].split("; ")[1] == "Whole province"
    header = next(row for row in rows if row[0] == "City")
    assert header[1:4] == ["Started (drafts included)", "Submitted", "Recommended by the city"]
    assert next(row for row in rows if row[0] == "广州市")[1:4] == [3, 2, 1]
    assert "Applications%20by%20city-Whole%20province.xlsx" in response["Content-Disposition"]


@pytest.mark.parametrize(("first", "then"), [("zh-hans", "en"), ("en", "zh-hans")])
def test_the_cached_scores_show_in_the_language_of_each_reader(client, programme, settings, first, then):
    """The scores are cached per batch under a key without the language: what is kept is counts by
    bin key, and each page names the bins in its own language."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    label = {"zh-hans": "60分以下", "en": "Below 60"}
    before = dashboard(client, programme["province"], first).context["chart_data"]["scores"]
    assert before["labels"][0] == label[first]
    assert before["series"][0]["values"][6] == 1  # 85–90
    # What the first reader's page kept, altered: the other reader's page shows it, so it reads
    # the same entry, whatever the language.
    (name,) = [key for key in caches["default"]._cache if "shifan:dashboard:" in key]
    name = name.split(":", 2)[2]  # without the key prefix and version
    kept = cache.get(name)
    assert {bin_key for _city, _category, bin_key in kept} == {"85–90"}
    cache.set(name, {("440300", "enterprise", "60分以下"): 7}, selectors.CACHE_SECONDS)
    after = dashboard(client, programme["province"], then).context["chart_data"]["scores"]
    assert after["labels"][0] == label[then]
    assert after["labels"][1:] == before["labels"][1:] == [f"{low}–{low + 5}" for low in range(60, 100, 5)]
    assert after["series"][0]["values"] == [7, 0, 0, 0, 0, 0, 0, 0, 0]
    assert after["title"] != before["title"]
