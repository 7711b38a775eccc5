"""Every transition of the application journey tells whoever acts next, in the app and by mail."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shifan.applications import services as applications
from shifan.core.dates import local_moment
from shifan.core.models import Notice
from shifan.reviews import services
from tests import factories
from tests.reviews.test_services import PDF, resubmit, submitted_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


def test_a_submission_tells_the_applicants_city_with_its_deadline(
    batch, city_officer, mailoutbox, django_capture_on_commit_callbacks
):
    other_city = factories.CityOfficerFactory(city_code="440300")
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application(batch)
    notice = Notice.objects.get(recipient=city_officer)
    assert notice.title == f"收到新的申报书：{application.number}"
    assert local_moment(batch.city_deadline) in notice.body
    assert notice.url == f"/review/applications/{application.pk}/"
    assert not Notice.objects.filter(recipient=other_city).exists()
    assert any(city_officer.email in mail.to and application.number in mail.subject for mail in mailoutbox)


def test_a_resubmission_after_a_return_tells_the_city_and_the_return_mail_gives_the_deadline(
    batch, city_officer, mailoutbox, django_capture_on_commit_callbacks
):
    application = submitted_application(batch)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_application(actor=city_officer, application=application, reason="请补充佐证材料")
    returned = next(mail for mail in mailoutbox if "退回修改" in mail.subject)
    assert f"地市推荐截止（{local_moment(batch.city_deadline)}）" in returned.body
    with django_capture_on_commit_callbacks(execute=True):
        resubmit(application, {"main_business": "改过的主营业务"})
    assert Notice.objects.filter(
        recipient=city_officer, title=f"申报书已重新提交：{application.number}"
    ).exists()
    assert any("重新提交" in mail.subject and city_officer.email in mail.to for mail in mailoutbox)


def test_a_sent_recommendation_set_tells_the_province(batch, city_officer, province_officer):
    application = submitted_application(batch)
    services.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    services.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    services.submit_city_set(actor=city_officer, batch=batch)
    notice = Notice.objects.get(recipient=province_officer)
    assert "已报送推荐结果" in notice.title
    assert "1 份推荐申报书" in notice.body
    assert f"batch={batch.pk}" in notice.url


def test_a_refused_submission_notifies_nobody(batch, city_officer):
    organisation = factories.OrganisationFactory(city_code="440100")
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    application = applications.start_application(actor=admin, batch=batch, category="enterprise")
    with pytest.raises(applications.SubmissionIncomplete):
        applications.submit_application(actor=admin, application=application)
    assert not Notice.objects.filter(recipient=city_officer).exists()
