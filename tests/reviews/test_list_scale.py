"""The province's progress page and the city's recommendations cost the same for 1 application and 1,000."""

import pytest
from django.urls import reverse

from tests import factories
from tests.helpers import assert_flat, read_list

pytestmark = pytest.mark.django_db


def test_the_progress_page_counts_by_city_in_the_database(client, province_officer):
    small, large = factories.BatchFactory(), factories.BatchFactory()
    factories.many_submitted(small, 1)
    factories.many_submitted(large, 1000, start=1)
    few, _page = read_list(
        client,
        province_officer,
        reverse("reviews:progress", args=[small.pk]),
        table="applications_application",
        reads_rows=False,
    )
    many, page = read_list(
        client,
        province_officer,
        reverse("reviews:progress", args=[large.pk]),
        table="applications_application",
        reads_rows=False,
    )
    assert_flat(few, many)
    assert ">1000<" in page


def test_the_city_recommendations_page_counts_the_waiting_in_the_database(client, city_officer):
    small, large = factories.BatchFactory(), factories.BatchFactory()
    factories.many_submitted(small, 1)
    factories.many_submitted(large, 1000, start=1)
    few, _page = read_list(
        client,
        city_officer,
        reverse("reviews:city_recommendations", args=[small.pk]),
        table="applications_application",
        reads_rows=False,
    )
    many, page = read_list(
        client,
        city_officer,
        reverse("reviews:city_recommendations", args=[large.pk]),
        table="applications_application",
        reads_rows=False,
    )
    assert_flat(few, many)
    assert "1000" in page
