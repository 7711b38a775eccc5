"""Where am I: an application's timeline, next deadline, acceptance receipt and marked comments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shifan.applications import services as applications
from shifan.reviews import services as reviews
from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import PDF, resubmit, submitted_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


def applicant_of(application):
    return application.organisation.memberships.get().user


def detail(client, user, application):
    login_verified(client, user)
    return client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()


def accepted(batch, city_officer, province_officer):
    application = submitted_application(batch)
    reviews.return_application(
        actor=city_officer,
        application=application,
        reason="请补充佐证",
        field_comments={"main_business": "过于笼统"},
    )
    resubmit(application, {"main_business": "新的"})
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    reviews.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    reviews.submit_city_set(actor=city_officer, batch=batch)
    reviews.accept_application(actor=province_officer, application=application)
    application.refresh_from_db()
    return application


def test_timeline_lists_every_step_with_the_return_reason_and_the_receipt(
    client, batch, city_officer, province_officer
):
    application = accepted(batch, city_officer, province_officer)
    content = detail(client, applicant_of(application), application)
    timeline = content[content.index('data-testid="timeline"') :]
    labels = ["已提交", "退回修改", "重新提交", "已推荐", "已受理"]
    positions = [timeline.index(f'<div class="fw-semibold">{label}</div>') for label in labels]
    assert positions == sorted(positions)
    assert "理由：请补充佐证" in timeline
    assert "广州市工业和信息化局" in timeline
    assert city_officer.name not in timeline  # officers are shown by their bureau
    assert f"SL-{application.number}" in timeline
    assert reverse("reviews:receipt", kwargs={"pk": application.pk}) in timeline
    assert "省工业和信息化厅已受理，将组织专家评审。" in content


def test_the_officers_reasons_to_each_other_stay_off_the_applicants_timeline(
    client, batch, city_officer, province_officer
):
    application = submitted_application(batch)
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    reviews.withdraw_recommendation(
        actor=city_officer, application=application, reason="市局内部复核：名额调整"
    )
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    reviews.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    reviews.submit_city_set(actor=city_officer, batch=batch)
    reviews.return_to_city(actor=province_officer, application=application, reason="请市局核实营收口径")
    content = detail(client, applicant_of(application), application)
    timeline = content[content.index('data-testid="timeline"') :]
    assert "名额调整" not in timeline
    assert "营收口径" not in timeline
    assert '<div class="fw-semibold">已推荐</div>' in timeline


def test_receipt_shows_the_unit_and_number_to_its_readers_only(client, batch, city_officer, province_officer):
    application = accepted(batch, city_officer, province_officer)
    url = reverse("reviews:receipt", kwargs={"pk": application.pk})
    for reader in (applicant_of(application), city_officer, province_officer):
        login_verified(client, reader)
        content = client.get(url).content.decode()
        assert f"SL-{application.number}" in content
        assert application.applicant_name in content
    login_verified(client, factories.CityOfficerFactory(city_code="440300"))
    assert client.get(url).status_code == 404
    outsider = factories.MembershipFactory(organisation=factories.OrganisationFactory(), is_admin=True).user
    login_verified(client, outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_no_receipt_before_acceptance(client, batch):
    application = submitted_application(batch)
    login_verified(client, applicant_of(application))
    assert client.get(reverse("reviews:receipt", kwargs={"pk": application.pk})).status_code == 404


def test_returned_application_shows_the_city_deadline_and_marks_commented_sections(
    client, batch, city_officer
):
    application = submitted_application(batch)
    reviews.return_application(
        actor=city_officer,
        application=application,
        reason="请补充",
        field_comments={"main_business": "过于笼统"},
    )
    content = detail(client, applicant_of(application), application)
    assert f"修改后重新提交截止（地市推荐截止）：{batch.city_deadline.astimezone():%Y-%m-%d %H:%M}" in content
    section_url = reverse("applications:section", kwargs={"pk": application.pk, "section": "basic"})
    assert f'href="{section_url}#field-main_business" data-testid="comment-link"' in content
    assert content.count('data-testid="outline-comments"') == 1
    section = client.get(section_url).content.decode()
    assert section.count('data-testid="outline-comments"') == 1


def test_a_submitted_application_names_the_city_it_waits_for(client, batch):
    application = submitted_application(batch)
    content = detail(client, applicant_of(application), application)
    assert "正在等待广州市工业和信息化局审核推荐。" in content
    assert "地市审核推荐截止" in content


def test_a_failed_revenue_rule_is_shown_beside_the_figure_and_in_the_autosave_answer(client, batch):
    organisation = factories.OrganisationFactory(city_code="440100")  # 珠三角: 5,000万 at least
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    application = applications.start_application(actor=admin, batch=batch, category="enterprise")
    applications.save_answers(
        actor=admin,
        application=application,
        base_version=application.version,
        values={"operating": {"main_business_revenue": {"2023": "3000"}}},
    )
    login_verified(client, admin)
    url = reverse("applications:section", kwargs={"pk": application.pk, "section": "operations"})
    content = client.get(url).content.decode()
    box = content[content.index('id="feedback-operating"') :]
    box = box[: box.index("</div></div>") if "</div></div>" in box else 2000]
    assert 'data-testid="rule-failure"' in box
    assert "不符合申报条件（申报前一年主营业务收入）" in box
    # A field no rule reads carries no failure.
    assert content.count('data-testid="rule-failure"') == 1
