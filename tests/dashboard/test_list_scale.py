"""The dashboard costs the same queries for 1 application and for 1,000, with its cache empty or full."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


def page_queries(client, user, batch):
    """Return the queries of the page with an empty cache (the first view after a change) and
    with its figures cached, after a first request that filled what a session caches."""
    login_verified(client, user)
    url = reverse("dashboard:programme")
    client.get(url, {"batch": batch.pk})
    counts = []
    for empty in (True, False):
        if empty:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"batch": batch.pk})
        assert response.status_code == 200
        counts.append(len(captured))
    return counts, response.context["chart_data"]


@pytest.mark.parametrize("role", ["province", "city"])
def test_the_dashboard_counts_in_the_database_at_1_and_1000_applications(client, role):
    user = factories.ProvinceOfficerFactory() if role == "province" else factories.CityOfficerFactory()
    small, large = factories.BatchFactory(), factories.BatchFactory()
    factories.many_submitted(small, 1)
    factories.many_submitted(large, 1000, start=1)
    few, small_data = page_queries(client, user, small)
    many, large_data = page_queries(client, user, large)
    assert many == few
    assert few[0] <= 20
    assert sum(series["values"][1] for series in small_data["funnel"]["series"]) == 1  # 已提交
    # Every third has a failed rule (many_submitted): the eligibility chart counts all 1,000.
    eligibility = large_data["eligibility"]
    assert sum(sum(series["values"]) for series in eligibility["series"]) == 1000
    assert sum(series["values"][-1] for series in eligibility["series"]) == 334
