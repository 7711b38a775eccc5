import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from shifan.applications import services as applications
from shifan.applications.models import ApplicationState
from shifan.applications.services import ApplicationError
from shifan.core import reference
from shifan.core.models import AuditEvent, Notice
from shifan.reviews import exports, selectors, services
from shifan.reviews.models import CityDecision, FormalReview, Recommendation
from shifan.reviews.services import ReviewError
from tests import factories
from tests.applications.test_services import complete

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


def submitted_application(batch, city_code="440100", category="enterprise"):
    organisation = factories.OrganisationFactory(city_code=city_code)
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    application = applications.start_application(actor=admin, batch=batch, category=category)
    complete(application, admin)
    applications.submit_application(actor=admin, application=application)
    application.refresh_from_db()
    return application


def resubmit(application, values):
    """The applicant's administrator changes `values` of a returned application and submits it again."""
    admin = application.organisation.memberships.get().user
    application.refresh_from_db()
    applications.save_answers(
        actor=admin, application=application, base_version=application.version, values=values
    )
    application.refresh_from_db()
    applications.submit_application(actor=admin, application=application)


@pytest.fixture
def application(batch):
    return submitted_application(batch)


def state_of(application):
    application.refresh_from_db()
    return application.state


def test_return_with_field_comments_notifies_the_applicant(application, city_officer):
    services.return_application(
        actor=city_officer,
        application=application,
        reason="请补充材料",
        field_comments={"main_business": "表述过于笼统", "intro": " "},
    )
    assert state_of(application) == ApplicationState.RETURNED
    decision = CityDecision.objects.get()
    assert decision.field_comments == {"main_business": "表述过于笼统"}
    assert Notice.objects.filter(title__contains="退回修改").count() == 1
    assert AuditEvent.objects.filter(action="city.returned", reason="请补充材料").exists()


def test_return_needs_a_reason_and_known_fields(application, city_officer):
    with pytest.raises(ReviewError):
        services.return_application(actor=city_officer, application=application, reason=" ")
    with pytest.raises(ReviewError):
        services.return_application(
            actor=city_officer, application=application, reason="x", field_comments={"nope": "x"}
        )
    assert state_of(application) == ApplicationState.SUBMITTED


def test_returned_application_can_be_resubmitted_after_the_application_deadline(
    application, city_officer, batch
):
    services.return_application(actor=city_officer, application=application, reason="补充")
    batch.opens_at = timezone.now() - timezone.timedelta(days=30)
    batch.closes_at = timezone.now() - timezone.timedelta(days=1)
    batch.save()
    application.refresh_from_db()
    admin = application.organisation.memberships.get(is_admin=True).user
    snapshot = applications.submit_application(actor=admin, application=application)
    assert snapshot.sequence == 2
    assert state_of(application) == ApplicationState.SUBMITTED


def test_other_city_cannot_act(application):
    other = factories.CityOfficerFactory(city_code="440300")
    with pytest.raises(ReviewError):
        services.decline_application(actor=other, application=application, reason="x")


def test_recommend_needs_opinion_and_truthfulness_and_ranks_last(batch, city_officer):
    first, second = submitted_application(batch), submitted_application(batch)
    with pytest.raises(ReviewError):
        services.recommend_application(
            actor=city_officer, application=first, opinion="好", truthfulness_confirmed=False
        )
    one = services.recommend_application(
        actor=city_officer, application=first, opinion="推荐", truthfulness_confirmed=True
    )
    two = services.recommend_application(
        actor=city_officer, application=second, opinion="推荐", truthfulness_confirmed=True
    )
    assert (one.rank, two.rank) == (1, 2)
    services.rank_recommendations(
        actor=city_officer, batch=batch, category="enterprise", order=[second.pk, first.pk]
    )
    assert Recommendation.objects.get(application=second).rank == 1
    with pytest.raises(ReviewError):
        services.rank_recommendations(
            actor=city_officer, batch=batch, category="enterprise", order=[second.pk]
        )


def test_actions_only_in_states_where_they_make_sense(application, city_officer):
    services.decline_application(actor=city_officer, application=application, reason="不符合")
    with pytest.raises(ApplicationError) as refusal:
        services.recommend_application(
            actor=city_officer, application=application, opinion="x", truthfulness_confirmed=True
        )
    assert "不予推荐" in refusal.value.message


def test_withdraw_recommendation_before_the_deadline_only(batch, city_officer):
    first, second = submitted_application(batch), submitted_application(batch)
    services.recommend_application(
        actor=city_officer, application=first, opinion="x", truthfulness_confirmed=True
    )
    services.recommend_application(
        actor=city_officer, application=second, opinion="x", truthfulness_confirmed=True
    )
    services.withdraw_recommendation(actor=city_officer, application=first, reason="重新审核")
    assert state_of(first) == ApplicationState.SUBMITTED
    assert Recommendation.objects.get(application=second).rank == 1  # the gap closes
    batch.city_deadline = timezone.now() - timezone.timedelta(minutes=1)
    batch.closes_at = timezone.now() - timezone.timedelta(minutes=2)
    batch.opens_at = timezone.now() - timezone.timedelta(days=30)
    batch.save()
    second.refresh_from_db()
    with pytest.raises(ReviewError) as refusal:
        services.withdraw_recommendation(actor=city_officer, application=second, reason="x")
    assert "截止" in refusal.value.message


def test_city_set_needs_every_application_handled_and_a_letter(batch, city_officer):
    first, second = submitted_application(batch), submitted_application(batch)
    services.recommend_application(
        actor=city_officer, application=first, opinion="x", truthfulness_confirmed=True
    )
    with pytest.raises(ReviewError) as waiting:
        services.submit_city_set(actor=city_officer, batch=batch)
    assert "1 份申报书未处理" in waiting.value.message
    services.decline_application(actor=city_officer, application=second, reason="x")
    with pytest.raises(ReviewError):
        services.submit_city_set(actor=city_officer, batch=batch)
    with pytest.raises(ReviewError):
        services.upload_letter(
            actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", b"not a pdf")
        )
    services.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    submission = services.submit_city_set(actor=city_officer, batch=batch)
    assert submission.submitted_at is not None
    with pytest.raises(ReviewError) as closed:
        services.withdraw_recommendation(actor=city_officer, application=first, reason="x")
    assert "已报送" in closed.value.message


def sent_set(batch, city_officer, count=1):
    items = [submitted_application(batch) for _ in range(count)]
    for item in items:
        services.recommend_application(
            actor=city_officer, application=item, opinion="推荐", truthfulness_confirmed=True
        )
    services.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    services.submit_city_set(actor=city_officer, batch=batch)
    return items


def test_province_accepts_only_after_the_city_sent_its_set(batch, city_officer, province_officer):
    application = submitted_application(batch)
    services.recommend_application(
        actor=city_officer, application=application, opinion="x", truthfulness_confirmed=True
    )
    with pytest.raises(ReviewError):
        services.accept_application(actor=province_officer, application=application)
    services.upload_letter(actor=city_officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))
    services.submit_city_set(actor=city_officer, batch=batch)
    services.accept_application(actor=province_officer, application=application)
    assert state_of(application) == ApplicationState.ACCEPTED
    assert FormalReview.objects.get().decision == "accepted"


def test_province_returns_to_city_reopening_its_set(batch, city_officer, province_officer):
    [application] = sent_set(batch, city_officer)
    services.return_to_city(actor=province_officer, application=application, reason="推荐意见不完整")
    assert state_of(application) == ApplicationState.SUBMITTED
    allowed, _reason = services.city_can_act(batch, "440100")
    assert allowed
    assert Notice.objects.filter(recipient=city_officer, title__contains="退回推荐").exists()


def test_province_returns_to_applicant(batch, city_officer, province_officer):
    [application] = sent_set(batch, city_officer)
    services.return_to_applicant(actor=province_officer, application=application, reason="缺少盖章承诺页")
    assert state_of(application) == ApplicationState.RETURNED
    assert not Recommendation.objects.filter(application=application).exists()


def test_reopen_lets_the_city_act_after_its_deadline(batch, city_officer, province_officer):
    [application] = sent_set(batch, city_officer)
    batch.opens_at = timezone.now() - timezone.timedelta(days=30)
    batch.closes_at = timezone.now() - timezone.timedelta(days=2)
    batch.city_deadline = timezone.now() - timezone.timedelta(days=1)
    batch.save()
    assert not services.city_can_act(batch, "440100")[0]
    services.reopen_city_set(actor=province_officer, batch=batch, city_code="440100", reason="补充排序")
    assert services.city_can_act(batch, "440100")[0]
    application.refresh_from_db()
    services.withdraw_recommendation(actor=city_officer, application=application, reason="重新审核")


def test_summary_workbook_has_the_columns_and_rows(batch, city_officer):
    first, second = sent_set(batch, city_officer, count=2)
    data = exports.recommendation_summary(batch, "440100", selectors.recommendations(batch, "440100"))
    sheet = load_workbook(io.BytesIO(data)).active
    assert "广州市服务型制造示范推荐汇总表" in sheet["A1"].value
    header = [cell.value for cell in sheet[3]]
    assert header[:5] == ["推荐排序", "申报编号", "申报单位", "区县", "统一社会信用代码"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert [row[1] for row in rows] == [first.number, second.number]
    assert rows[0][3] == reference.county(first.organisation.county_code).name
    assert rows[0][4] == first.organisation.credit_code
    assert rows[0][7] == 9000.0
    assert rows[0][8] == 30.0
    assert "本表栏目为本遴选自定" in sheet["A2"].value


def test_summary_workbook_prints_landscape_one_page_wide_with_its_headings_on_every_page(batch, city_officer):
    sent_set(batch, city_officer, count=2)
    data = exports.recommendation_summary(batch, "440100", selectors.recommendations(batch, "440100"))
    sheet = load_workbook(io.BytesIO(data)).active
    setup = sheet.page_setup
    assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9")
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$3"
    assert "&P" in sheet.oddFooter.center.text


def test_city_progress_counts(batch, city_officer, province_officer):
    sent_set(batch, city_officer)
    submitted_application(batch, city_code="440300")
    rows = {row["city"].code: row for row in selectors.city_progress(batch)}
    assert rows["440100"]["recommended"] == 1
    assert rows["440100"]["submission"].submitted_at is not None
    assert rows["440300"]["submitted"] == 1
    assert rows["440300"]["submission"] is None
