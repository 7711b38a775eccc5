"""What the city's 推荐函 covered when it was uploaded, and how the recommendations changed since."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shifan.applications import services as applications
from shifan.reviews import selectors, services
from shifan.reviews.models import CitySubmission
from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import PDF, submitted_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


def recommend(application, officer):
    services.recommend_application(
        actor=officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    application.refresh_from_db()


def upload_letter(batch, officer):
    return services.upload_letter(actor=officer, batch=batch, uploaded=SimpleUploadedFile("推荐函.pdf", PDF))


def admin_of(application):
    return application.organisation.memberships.get(is_admin=True).user


def test_the_letter_records_the_snapshots_it_covers(batch, city_officer):
    first, second = submitted_application(batch), submitted_application(batch)
    recommend(first, city_officer)
    submission = upload_letter(batch, city_officer)
    snapshot = first.snapshots.get()
    assert submission.letter_snapshots == [
        {"application": first.pk, "number": first.number, "snapshot": snapshot.pk, "sequence": 1}
    ]
    assert second.pk not in {entry["application"] for entry in submission.letter_snapshots}
    assert selectors.letter_discrepancies(batch) == {}


def test_a_resubmitted_recommendation_is_named(batch, city_officer, province_officer):
    application = submitted_application(batch)
    recommend(application, city_officer)
    upload_letter(batch, city_officer)
    # The province sends it back for material; the applicant resubmits; the city recommends again.
    services.return_to_applicant(actor=province_officer, application=application, reason="补充营业执照")
    application.refresh_from_db()
    applications.submit_application(actor=admin_of(application), application=application)
    application.refresh_from_db()
    recommend(application, city_officer)
    found = selectors.letter_discrepancies(batch)
    assert found == {
        "440100": [
            selectors.LetterDiscrepancy(
                selectors.RESUBMITTED, application.number, application.organisation.name, 1, 2
            )
        ]
    }


def test_an_added_and_a_removed_recommendation_are_named(batch, city_officer):
    kept, removed, added = (submitted_application(batch) for _ in range(3))
    recommend(kept, city_officer)
    recommend(removed, city_officer)
    upload_letter(batch, city_officer)
    services.withdraw_recommendation(actor=city_officer, application=removed, reason="再核实")
    recommend(added, city_officer)
    found = selectors.letter_discrepancies(batch, "440100")["440100"]
    assert {(item.kind, item.number) for item in found} == {
        (selectors.REMOVED, removed.number),
        (selectors.ADDED, added.number),
    }
    # A new letter covers the set as it is now.
    upload_letter(batch, city_officer)
    assert selectors.letter_discrepancies(batch) == {}


def test_a_letter_recorded_before_snapshots_were_kept_is_not_compared(batch, city_officer):
    recommend(submitted_application(batch), city_officer)
    factories.city_letter(batch, "440100")
    assert CitySubmission.objects.get().letter_snapshots is None
    assert selectors.letter_discrepancies(batch) == {}


def test_the_city_and_the_province_see_the_warning(client, batch, city_officer, province_officer):
    kept, removed = submitted_application(batch), submitted_application(batch)
    recommend(kept, city_officer)
    recommend(removed, city_officer)
    upload_letter(batch, city_officer)
    login_verified(client, city_officer)
    page = client.get(reverse("reviews:city_recommendations", kwargs={"batch_pk": batch.pk})).content.decode()
    assert 'data-testid="letter-discrepancies"' not in page
    services.withdraw_recommendation(actor=city_officer, application=removed, reason="再核实")
    page = client.get(reverse("reviews:city_recommendations", kwargs={"batch_pk": batch.pk})).content.decode()
    assert "推荐函与当前推荐结果不一致，请按当前推荐结果重新盖章、上传推荐函" in page
    assert f"{removed.number} {removed.organisation.name}：推荐函上传后已不在推荐名单中" in page
    assert kept.number not in page.split('data-testid="letter-discrepancies"')[1].split("</ul>")[0]
    login_verified(client, province_officer)
    page = client.get(reverse("reviews:progress", kwargs={"batch_pk": batch.pk})).content.decode()
    assert "推荐函上传后推荐结果有变化" in page
    assert removed.number in page
