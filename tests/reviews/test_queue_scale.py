"""The review queue costs what it shows: the same queries for 1 application and for 1,000."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.helpers import assert_flat, login_verified

pytestmark = pytest.mark.django_db


def queries_for(client, user, params):
    login_verified(client, user)
    client.get(reverse("reviews:queue"), params)  # the first request of a session fills per-user caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reviews:queue"), params)
    assert response.status_code == 200
    # The rows are read a page at a time: no query reads the batch's applications without a limit.
    listing = [
        query["sql"]
        for query in captured
        if 'FROM "applications_application"' in query["sql"] and "COUNT(" not in query["sql"]
    ]
    assert listing
    assert all("LIMIT" in sql for sql in listing), listing
    # …and without what no row shows: the answers, and the batch's spec (the page has its batch).
    assert not any('"answers"' in sql or '"spec_text"' in sql for sql in listing), listing
    return len(captured), response.content.decode()


@pytest.mark.parametrize("role", ["city", "province"])
@pytest.mark.parametrize("params", [{}, {"outcome": "fail"}, {"q": "批量", "sort": "name"}, {"page": "2"}])
def test_the_queue_reads_one_page_whatever_the_batch_holds(
    client, city_officer, province_officer, role, params
):
    user = city_officer if role == "city" else province_officer
    small, large = factories.BatchFactory(), factories.BatchFactory()
    factories.many_submitted(small, 1)
    factories.many_submitted(large, 1000, start=1)
    few, _page = queries_for(client, user, {"batch": small.pk, **params})
    many, page = queries_for(client, user, {"batch": large.pk, **params})
    assert_flat(few, many)
    rows = page.count('data-testid="queue-row"')
    assert rows == 30
    if params.get("outcome") == "fail":
        assert "bi-x-circle-fill" in page


def test_the_outcome_filter_counts_in_the_database(client, city_officer):
    batch = factories.BatchFactory()
    factories.many_submitted(batch, 90)
    login_verified(client, city_officer)
    page = client.get(reverse("reviews:queue"), {"batch": batch.pk, "outcome": "fail", "page": "2"})
    # 30 of the 90 have a failed rule: one page of them, and no second.
    assert page.context["page"].paginator.count == 30
    assert page.context["page"].number == 1


@pytest.mark.parametrize("role", ["city", "province"])
def test_the_default_queue_reads_its_rows_in_index_order(client, city_officer, province_officer, role):
    """Newest submission first, the queue's order, is an index's order: a page stops after its rows
    instead of sorting the whole batch (which computes every row's columns before the sort)."""
    user = city_officer if role == "city" else province_officer
    batch = factories.BatchFactory()
    factories.many_submitted(batch, 60)
    login_verified(client, user)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("reviews:queue"), {"batch": batch.pk})
    [rows] = [
        query["sql"]
        for query in captured
        if 'FROM "applications_application"' in query["sql"] and "LIMIT" in query["sql"]
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {rows}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "application_city_queue" in plan or "application_province_queue" in plan, plan
            # The only sorts left are inside the per-row subqueries (a row's newest scan).
            assert plan.count("TEMP B-TREE FOR ORDER BY") == 1, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # the test's few rows would be scanned
            cursor.execute(f"EXPLAIN {rows}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "application_city_queue" in plan or "application_province_queue" in plan, plan
            top = plan.splitlines()[:3]
            assert not any("Sort" in line for line in top), plan
