import pytest
from django.urls import reverse

from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import submitted_application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("role", ["city", "province"])
def test_review_queue_query_count_is_bounded(
    client, city_officer, province_officer, rows, role, django_assert_max_num_queries
):
    batch = factories.BatchFactory()
    for _ in range(rows):
        submitted_application(batch)
    login_verified(client, city_officer if role == "city" else province_officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reviews:queue"), {"batch": batch.pk})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="queue-row"') == rows


def test_queue_filters_by_eligibility_outcome(client, city_officer):
    batch = factories.BatchFactory()
    submitted_application(batch)
    login_verified(client, city_officer)
    content = client.get(reverse("reviews:queue"), {"batch": batch.pk, "outcome": "fail"}).content.decode()
    assert 'data-testid="queue-row"' not in content


def test_a_decision_text_with_a_nul_character_is_saved_without_it(client, city_officer):
    # Read without a form: the NUL would reach the database, which PostgreSQL refuses (a 500).
    from shifan.reviews.models import Recommendation

    batch = factories.BatchFactory()
    application = submitted_application(batch)
    login_verified(client, city_officer)
    response = client.post(
        reverse("reviews:decide", kwargs={"pk": application.pk, "action": "recommend"}),
        {"text": "同意\x00推荐", "truthfulness": "on"},
    )
    assert response.status_code == 302
    assert Recommendation.objects.get(application=application).opinion == "同意推荐"
