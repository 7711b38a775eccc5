import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from shifan.core.views import bench_ceiling


def test_bench_ceiling_is_not_routed_without_its_setting(client, db):
    with pytest.raises(NoReverseMatch):
        reverse("bench_ceiling")
    assert client.get("/bench/ceiling/").status_code == 404


def test_bench_ceiling_answers_a_few_bytes():
    response = bench_ceiling(RequestFactory().get("/bench/ceiling/"))
    assert response.status_code == 200
    assert response.content == b"ok"
