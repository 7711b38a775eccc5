"""The application journey's pages in English, and unchanged in Chinese: one test per page."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shifan.reviews import services as reviews
from shifan.tracking.flags import flag_reason
from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import PDF, resubmit, submitted_application
from tests.test_english_pages import chinese, english, shows

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory(name="2024年征集")


def resubmitted(batch, city_officer):
    application = submitted_application(batch)
    reviews.return_application(
        actor=city_officer,
        application=application,
        reason="请补充",
        field_comments={"main_business": "过于笼统"},
    )
    resubmit(application, {"main_business": "新的主营"})
    return application


def test_register_button_in_english_and_chinese(client):
    shows(english(client, "/"), ["Register organisation"], ["Registered organisations</a>", "注册单位"])
    shows(chinese(client, "/"), ["注册单位"], ["Register organisation"])


def test_review_diff_in_english_and_chinese(client, batch, city_officer):
    application = resubmitted(batch, city_officer)
    login_verified(client, city_officer)
    url = reverse("reviews:application", kwargs={"pk": application.pk})
    shows(
        english(client, url),
        [
            "Compared with submission 1, 1 items changed:",
            "Only what changed is expanded below",
            "City recommendation deadline:",
        ],
        ["与第 1 次提交相比", "下文只展开有变化的内容", "其余", "地市推荐截止："],
    )
    shows(chinese(client, url), ["与第 1 次提交相比，1 项内容有变化：", "地市推荐截止："], ["Compared with"])


def test_city_home_waiting_in_english_and_chinese(client, batch, city_officer):
    submitted_application(batch)
    login_verified(client, city_officer)
    shows(
        english(client, "/"),
        ["“2024年征集”: 1 application awaits your review", "Due "],
        ["份申报书待审核推荐", "尚未上线"],
    )
    shows(chinese(client, "/"), ["“2024年征集”有 1 份申报书待审核推荐"], ["awaits your review"])


def test_application_timeline_and_receipt_in_english_and_chinese(
    client, batch, city_officer, province_officer
):
    application = resubmitted(batch, city_officer)
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    reviews.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    reviews.submit_city_set(actor=city_officer, batch=batch)
    reviews.accept_application(actor=province_officer, application=application)
    login_verified(client, application.organisation.memberships.get().user)
    detail = reverse("applications:detail", kwargs={"pk": application.pk})
    shows(
        english(client, detail),
        [
            "Progress",
            "Resubmitted",
            "Print the acceptance receipt",
            "Bureau of Industry and Information Technology",
        ],
        ["办理进度", "重新提交", "打印受理回执", "广州市工业和信息化局"],
    )
    shows(chinese(client, detail), ["办理进度", "重新提交", "打印受理回执"], ["Resubmitted"])
    receipt = reverse("reviews:receipt", kwargs={"pk": application.pk})
    shows(
        english(client, receipt), ["Acceptance receipt", "Receipt number", "Print"], ["回执编号", "受理时间"]
    )
    shows(chinese(client, receipt), ["回执编号", "受理时间"], ["Receipt number"])


def test_flash_message_in_english_and_chinese(client, batch, city_officer):
    application = submitted_application(batch)
    login_verified(client, city_officer)
    url = reverse("reviews:decide", kwargs={"pk": application.pk, "action": "decline"})
    response = client.post(url, {"text": "材料不足"}, HTTP_ACCEPT_LANGUAGE="en")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Not recommended; the applicant has been notified."
    ]


def test_tracking_flags_read_in_the_page_language():
    from django.utils import translation

    flag = {"kind": "accident", "figures": {}, "reason": "报告年度内发生重大质量、安全或环保事故"}
    with translation.override("en"):
        assert flag_reason(flag) == "A major quality, safety or environmental accident in the reporting year"
    with translation.override("zh-hans"):
        assert flag_reason(flag) == "报告年度内发生重大质量、安全或环保事故"
    # A flag stored without the figures its sentence needs reads as stored.
    assert flag_reason({"kind": "revenue_drop", "figures": {}, "reason": "旧的说明"}) == "旧的说明"


def test_audit_trail_in_english_and_chinese(client, batch, province_officer):
    submitted_application(batch)
    login_verified(client, province_officer)
    url = reverse("accounts:audit_list")
    shows(english(client, url), ["Status: Submitted"], ["状态：已提交", "&#x27;state&#x27;"])
    shows(chinese(client, url), ["状态：已提交"], ["Status: Submitted"])
