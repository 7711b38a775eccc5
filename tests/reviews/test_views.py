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
