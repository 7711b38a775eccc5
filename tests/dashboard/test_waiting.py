"""Every role's home lists what waits for it, with due dates, and no page says a built feature is missing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shifan.reviews import services as reviews
from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import PDF, submitted_application
from tests.tracking.conftest import announced, member_of, open_round, recognised

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory(name="2024年征集")


def home(client, user):
    login_verified(client, user)
    return client.get(reverse("home")).content.decode()


def test_city_home_lists_submissions_to_review_with_the_city_deadline(client, batch, city_officer):
    submitted_application(batch)
    submitted_application(batch)
    submitted_application(batch, city_code="440300")  # another city's
    content = home(client, city_officer)
    assert "尚未上线" not in content
    assert "“2024年征集”有 2 份申报书待审核推荐" in content
    assert f"截止 {batch.city_deadline.astimezone().strftime('%Y-%m-%d %H:%M')}" in content
    assert f"/review/?batch={batch.pk}&amp;state=submitted" in content


def test_city_home_lists_an_unsent_recommendation_set_until_it_is_sent(client, batch, city_officer):
    application = submitted_application(batch)
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    assert "推荐结果尚未报送省工信厅" in home(client, city_officer)
    reviews.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    reviews.submit_city_set(actor=city_officer, batch=batch)
    content = home(client, city_officer)
    assert "推荐结果尚未报送" not in content
    assert "目前没有待办事项。" in content


def test_province_home_lists_recommended_applications_once_the_city_has_sent_them(
    client, batch, city_officer, province_officer
):
    application = submitted_application(batch)
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    assert "待形式审查" not in home(client, province_officer)
    reviews.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    reviews.submit_city_set(actor=city_officer, batch=batch)
    assert "“2024年征集”有 1 份地市推荐的申报书待形式审查" in home(client, province_officer)


def test_applicant_home_lists_a_returned_application_with_the_city_deadline(client, batch, city_officer):
    application = submitted_application(batch)
    reviews.return_application(actor=city_officer, application=application, reason="请补充")
    content = home(client, application.organisation.memberships.get().user)
    assert f"申报书 {application.number} 被退回修改，请修改后重新提交" in content
    assert f"截止 {batch.city_deadline.astimezone().strftime('%Y-%m-%d %H:%M')}" in content


def test_applicant_home_lists_an_overdue_report_as_overdue(client, batch, province_officer):
    unit = recognised(announced(batch, province_officer))
    open_round(province_officer)  # due 2025-03-31: long past
    content = home(client, member_of(unit))
    assert "运行情况报告“2024年度运行情况报告”待提交" in content
    assert "已逾期（截止 2025-03-31 23:59）" in content


def test_city_home_reads_a_bounded_number_of_queries(
    client, batch, city_officer, django_assert_max_num_queries
):
    for _index in range(5):
        submitted_application(batch)
    login_verified(client, city_officer)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("home")).status_code == 200
