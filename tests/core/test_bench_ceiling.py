import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from shifan.core.views import bench_ceiling, bench_one_query


def test_bench_views_are_not_routed_without_their_setting(client, db):
    for name, path in [("bench_ceiling", "/bench/ceiling/"), ("bench_one_query", "/bench/one-query/")]:
        with pytest.raises(NoReverseMatch):
            reverse(name)
        assert client.get(path).status_code == 404


def test_bench_ceiling_answers_a_few_bytes():
    response = bench_ceiling(RequestFactory().get("/bench/ceiling/"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_bench_one_query_reads_one_row(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = bench_one_query(RequestFactory().get("/bench/one-query/"))
    assert response.status_code == 200
    assert int(response.content) == ContentType.objects.order_by("pk").first().pk
